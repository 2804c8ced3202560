using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit.Sdk;

namespace BnGen.Tests.Layouts;

/// <summary>Element-type plumbing and layout transposes for tests written once for float and double.</summary>
public static class Data
{
    public static T From<T>(double value)
        => typeof(T) == typeof(float) ? (T)(object)(float)value : (T)(object)value;

    public static double To<T>(T value) => value is float f ? f : (double)(object)value!;

    public static T[] Filled<T>(int length, double value)
    {
        var array = new T[length];
        Array.Fill(array, From<T>(value));
        return array;
    }

    public static T[] FromDoubles<T>(ReadOnlySpan<double> values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = From<T>(values[i]);
        }
        return result;
    }

    public static double[] ToDoubles<T>(ReadOnlySpan<T> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = To(values[i]);
        }
        return result;
    }

    /// <summary>The values rounded to float when <paramref name="isDouble"/> is false: what a float layer sees.</summary>
    public static double[] RoundTo(bool isDouble, double[] values)
        => isDouble ? values : values.Select(v => (double)(float)v).ToArray();

    /// <summary>[batch, channels, height, width] to [batch, height, width, channels].</summary>
    public static T[] NchwToNhwc<T>(ReadOnlySpan<T> source, int features, Dims dims)
    {
        var result = new T[source.Length];
        int plane = dims.Plane;
        for (int n = 0; n < dims.Batch; n++)
        {
            for (int c = 0; c < features; c++)
            {
                for (int s = 0; s < plane; s++)
                {
                    result[(n * plane + s) * features + c] = source[(n * features + c) * plane + s];
                }
            }
        }
        return result;
    }

    /// <summary>[batch, height, width, channels] to [batch, channels, height, width].</summary>
    public static T[] NhwcToNchw<T>(ReadOnlySpan<T> source, int features, Dims dims)
    {
        var result = new T[source.Length];
        int plane = dims.Plane;
        for (int n = 0; n < dims.Batch; n++)
        {
            for (int c = 0; c < features; c++)
            {
                for (int s = 0; s < plane; s++)
                {
                    result[(n * features + c) * plane + s] = source[(n * plane + s) * features + c];
                }
            }
        }
        return result;
    }

    /// <summary>Canonical (NCHW-ordered) values to the order of <paramref name="layout"/>.</summary>
    public static T[] ToLayout<T>(BatchNormLayout layout, T[] canonical, int features, Dims dims)
        => layout == BatchNormLayout.NHWC ? NchwToNhwc<T>(canonical, features, dims) : canonical;

    /// <summary>Values in the order of <paramref name="layout"/> to the canonical (NCHW) order.</summary>
    public static T[] FromLayout<T>(BatchNormLayout layout, T[] values, int features, Dims dims)
        => layout == BatchNormLayout.NHWC ? NhwcToNchw<T>(values, features, dims) : values;

    /// <summary>
    /// Canonical [batch, features, height, width] inputs with a random offset (−3 … 3) and spread (0.1 … 3.1) per
    /// channel, as a layer upstream would produce.
    /// </summary>
    public static double[] Inputs(Random random, int features, Dims dims)
    {
        var offsets = Enumerable.Range(0, features).Select(_ => random.NextDouble() * 6 - 3).ToArray();
        var spreads = Enumerable.Range(0, features).Select(_ => 0.1 + random.NextDouble() * 3).ToArray();
        int plane = dims.Plane;
        var x = new double[dims.Count(features)];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % features;
            x[i] = offsets[c] + spreads[c] * (random.NextDouble() * 2 - 1);
        }
        return x;
    }

    public static double[] Uniform(Random random, int count, double low, double high)
        => Enumerable.Range(0, count).Select(_ => low + (high - low) * random.NextDouble()).ToArray();
}

/// <summary>Exact comparisons: every bit of every value.</summary>
public static class Bits
{
    public static void Equal<T>(string what, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual)
        where T : unmanaged
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        }
        if (MemoryMarshal.AsBytes(expected).SequenceEqual(MemoryMarshal.AsBytes(actual)))
        {
            return;
        }
        ReadOnlySpan<byte> e = MemoryMarshal.AsBytes(expected), a = MemoryMarshal.AsBytes(actual);
        int size = e.Length / expected.Length;
        int differing = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (!e.Slice(i * size, size).SequenceEqual(a.Slice(i * size, size)))
            {
                differing++;
                first = first < 0 ? i : first;
            }
        }
        throw new XunitException(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {differing} of {expected.Length} values differ; the first at [{first}]: "
            + $"expected {Data.To(expected[first]):R}, got {Data.To(actual[first]):R}"));
    }

    public static void Equal<T>(string what, T[]? expected, T[]? actual)
        where T : unmanaged
    {
        if (expected is null || actual is null)
        {
            if (expected is not null || actual is not null)
            {
                throw new XunitException($"{what}: one side has no array");
            }
            return;
        }
        Equal<T>(what, expected.AsSpan(), actual.AsSpan());
    }
}

/// <summary>One step of a scenario, in the canonical NCHW order, values already rounded to the layer's element type.</summary>
public sealed record ScenarioStep(bool Training, Dims Dims, double[] X, double[] Dy, double[]? Weight, double[]? Bias);

/// <summary>What a layer showed after one step: y and dx in the canonical order, then its state.</summary>
public sealed record Observed<T>(T[] Output, T[] GradInput, T[]? WeightGrad, T[]? BiasGrad, T[]? RunningMean, T[]? RunningVar, long? Count)
    where T : unmanaged;

/// <summary>
/// A seeded sequence of calls for one layer configuration: the user writes running statistics once, then before every
/// step new γ and β; each step is a forward then a backward, first in training mode, then in evaluation mode. Any two
/// layers of the same options (whatever their layout or implementation) can play it and be compared step by step.
/// </summary>
public sealed record Scenario(LayerOptions Options, double[]? RunningMean, double[]? RunningVar, IReadOnlyList<ScenarioStep> Steps)
{
    /// <param name="options">The configuration (its layout does not matter: the data are canonical).</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="shape">Draws the dims of a step; the flag says whether it uses batch statistics (needs more than one value per channel).</param>
    /// <param name="trainingSteps">Training-mode steps.</param>
    /// <param name="evalSteps">Evaluation-mode steps that follow.</param>
    public static Scenario Make(LayerOptions options, int seed, Func<Random, bool, Dims> shape, int trainingSteps = 3, int evalSteps = 2)
    {
        var random = new Random(seed);
        int f = options.Features;
        bool d = options.IsDouble;
        double[]? runningMean = options.Track ? Data.RoundTo(d, Data.Uniform(random, f, -1, 1)) : null;
        double[]? runningVar = options.Track ? Data.RoundTo(d, Data.Uniform(random, f, 0.5, 2)) : null;
        var steps = new List<ScenarioStep>();
        for (int step = 0; step < trainingSteps + evalSteps; step++)
        {
            bool training = step < trainingSteps;
            Dims dims = shape(random, training || !options.Track);
            double[]? weight = options.Affine ? Data.RoundTo(d, Data.Uniform(random, f, -2, 2)) : null;
            double[]? bias = options.Affine ? Data.RoundTo(d, Data.Uniform(random, f, -1, 1)) : null;
            double[] x = Data.RoundTo(d, Data.Inputs(random, f, dims));
            double[] dy = Data.RoundTo(d, Data.Uniform(random, x.Length, -1, 1));
            steps.Add(new ScenarioStep(training, dims, x, dy, weight, bias));
        }
        return new Scenario(options, runningMean, runningVar, steps);
    }

    /// <summary>Random dims for a layout: batch 1 … 6; planes up to 7 × 9 (NCHW, NHWC), lengths up to 40 (NCL, height 1).</summary>
    public static Func<Random, bool, Dims> RandomDims(BatchNormLayout layout) => (random, batchStatistics) =>
    {
        while (true)
        {
            int batch = random.Next(1, 7);
            var dims = layout switch
            {
                BatchNormLayout.NC => Dims.Nc(batch),
                BatchNormLayout.NCL => Dims.Ncl(batch, random.Next(1, 41)),
                _ => new Dims(batch, random.Next(1, 8), random.Next(1, 10)),
            };
            if (!batchStatistics || dims.Batch * dims.Plane > 1)
            {
                return dims;
            }
        }
    };

    /// <summary>
    /// Dims large enough for several row blocks of the NHWC column sums (blocks of 128 KiB of values: 3,720 rows are
    /// one block at 5 float features, 9 at 37) and long channel runs: NCHW and NHWC 4 × 30 × 31, NCL 3 × 1,500.
    /// </summary>
    public static Func<Random, bool, Dims> LargeDims(BatchNormLayout layout) => (_, _) => layout switch
    {
        BatchNormLayout.NC => Dims.Nc(3000),
        BatchNormLayout.NCL => Dims.Ncl(3, 1500),
        _ => new Dims(4, 30, 31),
    };

    /// <summary>Plays the scenario on <paramref name="layer"/>, data transposed to and from its layout.</summary>
    public List<Observed<T>> Play<T>(ILayerDriver<T> layer)
        where T : unmanaged
    {
        if (RunningMean is not null)
        {
            Data.FromDoubles<T>(RunningMean).CopyTo(layer.RunningMean!, 0);
            Data.FromDoubles<T>(RunningVar).CopyTo(layer.RunningVar!, 0);
        }
        return PlaySteps(layer, 0, Steps.Count);
    }

    /// <summary>Plays steps <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 on the layer as it is.</summary>
    public List<Observed<T>> PlaySteps<T>(ILayerDriver<T> layer, int first, int count)
        where T : unmanaged
    {
        int f = Options.Features;
        BatchNormLayout layout = layer.Options.Layout;
        var observed = new List<Observed<T>>();
        for (int i = first; i < first + count; i++)
        {
            ScenarioStep step = Steps[i];
            layer.Training = step.Training;
            if (step.Weight is not null)
            {
                Data.FromDoubles<T>(step.Weight).CopyTo(layer.Weight!, 0);
                Data.FromDoubles<T>(step.Bias).CopyTo(layer.Bias!, 0);
            }
            (T[] x, T[] dy) = Inputs<T>(layout, step);
            T[] y = Data.Filled<T>(x.Length, double.NaN);
            T[] dx = Data.Filled<T>(x.Length, double.NaN);
            layer.Forward(x, y, step.Dims);
            layer.Backward(x, dy, dx, step.Dims);
            observed.Add(new Observed<T>(Data.FromLayout(layout, y, f, step.Dims), Data.FromLayout(layout, dx, f, step.Dims),
                Copy(layer.WeightGrad), Copy(layer.BiasGrad), Copy(layer.RunningMean), Copy(layer.RunningVar), layer.NumBatchesTracked));
        }
        return observed;
    }

    // The inputs converted to T and transposed to a layout, made once per step (keyed by the step's data, which the
    // copies `with` makes share). Layers only read them.
    private readonly ConcurrentDictionary<(Type, BatchNormLayout, double[], double[]), (Array X, Array Dy)> _inputs = new();

    /// <summary>x and dy of a step in T and in the order of <paramref name="layout"/> (shared: do not write into them).</summary>
    public (T[] X, T[] Dy) Inputs<T>(BatchNormLayout layout, ScenarioStep step)
    {
        var (x, dy) = _inputs.GetOrAdd((typeof(T), layout, step.X, step.Dy), _ =>
            (Data.ToLayout(layout, Data.FromDoubles<T>(step.X), Options.Features, step.Dims),
                Data.ToLayout(layout, Data.FromDoubles<T>(step.Dy), Options.Features, step.Dims)));
        return ((T[])x, (T[])dy);
    }

    /// <summary>Every value of every step equal in every bit.</summary>
    public static void AssertIdentical<T>(string what, IReadOnlyList<Observed<T>> expected, IReadOnlyList<Observed<T>> actual)
        where T : unmanaged
    {
        if (expected.Count != actual.Count)
        {
            throw new XunitException($"{what}: {expected.Count} steps against {actual.Count}");
        }
        for (int i = 0; i < expected.Count; i++)
        {
            Observed<T> e = expected[i], a = actual[i];
            string at = $"{what}, step {i}";
            Bits.Equal($"{at}: output", e.Output, a.Output);
            Bits.Equal($"{at}: grad input", e.GradInput, a.GradInput);
            Bits.Equal($"{at}: weight grad", e.WeightGrad, a.WeightGrad);
            Bits.Equal($"{at}: bias grad", e.BiasGrad, a.BiasGrad);
            Bits.Equal($"{at}: running mean", e.RunningMean, a.RunningMean);
            Bits.Equal($"{at}: running var", e.RunningVar, a.RunningVar);
            if (e.Count != a.Count)
            {
                throw new XunitException($"{at}: NumBatchesTracked {e.Count} against {a.Count}");
            }
        }
    }

    private static T[]? Copy<T>(T[]? values) => values is null ? null : (T[])values.Clone();
}
