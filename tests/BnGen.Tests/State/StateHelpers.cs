using System;
using System.Linq;
using BnGen.Tests.Layouts;
using Xunit;
using Xunit.Sdk;

namespace BnGen.Tests.State;

public static partial class StateLayers
{
    /// <summary>The names of the layers whose options satisfy <paramref name="where"/>.</summary>
    public static TheoryData<string> Names(Func<LayerOptions, bool> where)
    {
        var names = new TheoryData<string>();
        foreach (string name in Float.Keys.Concat(Double.Keys))
        {
            if (where(Options(name)))
            {
                names.Add(name);
            }
        }
        return names;
    }

    public static LayerOptions Options(string name)
        => LayerOptions.Of((Float.TryGetValue(name, out Func<object>? f) ? f : Double[name])().GetType());

    public static bool IsDouble(string name) => Double.ContainsKey(name);

    public static TestLayer<T> Create<T>(string name)
        where T : unmanaged
        => new((typeof(T) == typeof(float) ? Float : Double)[name]());

    /// <summary>
    /// Brings a layer into a state no fresh layer has: running statistics written by the user, then training and
    /// evaluation steps with their own γ and β; the parameter gradients are those of the last backward.
    /// </summary>
    public static Scenario Exercise<T>(TestLayer<T> layer, int seed)
        where T : unmanaged
    {
        var scenario = Scenario.Make(layer.Options, seed, Scenario.RandomDims(layer.Options.Layout), 3, 1);
        scenario.Play(layer);
        return scenario;
    }
}

/// <summary>Everything a generated layer holds that a user can see, copied.</summary>
public sealed record LayerSnapshot<T>(T[]? Weight, T[]? Bias, T[]? WeightGrad, T[]? BiasGrad, T[]? RunningMean, T[]? RunningVar, long? Count,
    bool Training, int MaxDegreeOfParallelism, bool? AccumulateGradients)
    where T : unmanaged
{
    public static LayerSnapshot<T> Of(TestLayer<T> layer)
        => new(Copy(layer.Weight), Copy(layer.Bias), Copy(layer.WeightGrad), Copy(layer.BiasGrad), Copy(layer.RunningMean), Copy(layer.RunningVar),
            layer.NumBatchesTracked, layer.Training, layer.MaxDegreeOfParallelism, layer.Affine?.AccumulateGradients);

    /// <summary>The layer still holds this snapshot, every bit of it.</summary>
    public void AssertHeldBy(TestLayer<T> layer, string what)
    {
        Bits.Equal($"{what}: Weight", Weight, layer.Weight);
        Bits.Equal($"{what}: Bias", Bias, layer.Bias);
        Bits.Equal($"{what}: WeightGrad", WeightGrad, layer.WeightGrad);
        Bits.Equal($"{what}: BiasGrad", BiasGrad, layer.BiasGrad);
        Bits.Equal($"{what}: RunningMean", RunningMean, layer.RunningMean);
        Bits.Equal($"{what}: RunningVar", RunningVar, layer.RunningVar);
        if (Count != layer.NumBatchesTracked || Training != layer.Training || MaxDegreeOfParallelism != layer.MaxDegreeOfParallelism
            || AccumulateGradients != layer.Affine?.AccumulateGradients)
        {
            throw new XunitException($"{what}: NumBatchesTracked, Training, MaxDegreeOfParallelism or AccumulateGradients changed");
        }
    }

    private static T[]? Copy(T[]? values) => values is null ? null : (T[])values.Clone();
}
