using System;
using System.Collections.Generic;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.State;

/// <summary>
/// <c>AccumulateGradients</c> and <c>ZeroGradients</c> on every affine configuration. PyTorch's autograd adds each
/// backward's gradient, already rounded to the parameter's dtype, to <c>.grad</c> in that dtype (<c>.grad += g</c>): so
/// with accumulation on, each Backward must give WeightGrad = WeightGrad +_T g, where g is, bit for bit, what a twin
/// layer without accumulation writes for the same call. The default (off) overwrites. dx never depends on it.
/// </summary>
public class GradientAccumulationTests
{
    public static TheoryData<string> Affine() => StateLayers.Names(o => o.Affine);

    [Theory]
    [MemberData(nameof(Affine))]
    public void Backward_adds_in_T_like_grad_plus_equals(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Accumulates<double>(name);
        }
        else
        {
            Accumulates<float>(name);
        }
    }

    private static void Accumulates<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> accumulating = StateLayers.Create<T>(name), overwriting = StateLayers.Create<T>(name);
        Assert.False(accumulating.Affine!.AccumulateGradients);
        accumulating.Affine.AccumulateGradients = true;
        Assert.True(accumulating.Affine.AccumulateGradients);

        // Gradients left from earlier calls (as .grad holds them): accumulation starts from these.
        var random = new Random(name.Length);
        int f = accumulating.Options.Features;
        Data.FromDoubles<T>(Data.Uniform(random, f, -3, 3)).CopyTo(accumulating.WeightGrad!, 0);
        Data.FromDoubles<T>(Data.Uniform(random, f, -3, 3)).CopyTo(accumulating.BiasGrad!, 0);
        T[] weightGrad = (T[])accumulating.WeightGrad!.Clone(), biasGrad = (T[])accumulating.BiasGrad!.Clone();

        Scenario scenario = Scenario.Make(accumulating.Options, 30 + name.Length, Scenario.RandomDims(accumulating.Options.Layout), 3, 2);
        List<Observed<T>> alone = scenario.Play(overwriting), summed = scenario.Play(accumulating);
        for (int step = 0; step < alone.Count; step++)
        {
            AddInT(weightGrad, alone[step].WeightGrad!);
            AddInT(biasGrad, alone[step].BiasGrad!);
            Bits.Equal($"{name} step {step}: accumulated WeightGrad", weightGrad, summed[step].WeightGrad);
            Bits.Equal($"{name} step {step}: accumulated BiasGrad", biasGrad, summed[step].BiasGrad);
            Bits.Equal($"{name} step {step}: dx", alone[step].GradInput, summed[step].GradInput);
            Bits.Equal($"{name} step {step}: output", alone[step].Output, summed[step].Output);
        }

        // ZeroGradients: +0 everywhere; the next backward then gives g itself.
        accumulating.Affine.ZeroGradients();
        Bits.Equal("WeightGrad after ZeroGradients", new T[f], accumulating.WeightGrad);
        Bits.Equal("BiasGrad after ZeroGradients", new T[f], accumulating.BiasGrad);
        Scenario next = Scenario.Make(accumulating.Options, 40 + name.Length, Scenario.RandomDims(accumulating.Options.Layout), 1, 0) with
        {
            RunningMean = null,
            RunningVar = null,
        };
        TestLayer<T> fresh = StateLayers.Create<T>(name);
        Observed<T> once = next.Play(fresh)[0], afterZero = next.Play(accumulating)[0];
        Bits.Equal("WeightGrad of the first backward after ZeroGradients", once.WeightGrad, afterZero.WeightGrad);
        Bits.Equal("BiasGrad of the first backward after ZeroGradients", once.BiasGrad, afterZero.BiasGrad);

        // Switched off again: the next backward overwrites.
        accumulating.Affine.AccumulateGradients = false;
        next.Play(fresh);
        Observed<T> overwritten = next.Play(accumulating)[0];
        Bits.Equal("WeightGrad with accumulation switched off", once.WeightGrad, overwritten.WeightGrad);
    }

    [Theory]
    [MemberData(nameof(Affine))]
    public void By_default_Backward_overwrites(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Overwrites<double>(name);
        }
        else
        {
            Overwrites<float>(name);
        }
    }

    private static void Overwrites<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> layer = StateLayers.Create<T>(name), fresh = StateLayers.Create<T>(name);
        int f = layer.Options.Features;
        Array.Fill(layer.WeightGrad!, Data.From<T>(1e6));
        Array.Fill(layer.BiasGrad!, Data.From<T>(-1e6));
        Scenario scenario = Scenario.Make(layer.Options, 50 + name.Length, Scenario.RandomDims(layer.Options.Layout), 1, 0);
        Observed<T> expected = scenario.Play(fresh)[0], actual = scenario.Play(layer)[0];
        Bits.Equal("WeightGrad", expected.WeightGrad, actual.WeightGrad);
        Bits.Equal("BiasGrad", expected.BiasGrad, actual.BiasGrad);
        Assert.Contains(actual.WeightGrad!, g => Math.Abs(Data.To(g)) < 1e5);
        Assert.Equal(f, actual.WeightGrad!.Length);
    }

    /// <summary>sum[i] = sum[i] + g[i] in T's own arithmetic (float + float rounds to float).</summary>
    private static void AddInT<T>(T[] sum, T[] g)
    {
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] = sum is float[] s ? (T)(object)(s[i] + ((float[])(object)g)[i]) : (T)(object)(((double[])(object)sum)[i] + ((double[])(object)g)[i]);
        }
    }
}
