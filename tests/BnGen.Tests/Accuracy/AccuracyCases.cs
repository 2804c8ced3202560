using System;
using System.Linq;
using System.Numerics;
using System.Runtime.CompilerServices;
using BnGen.Tests.Kernels;

namespace BnGen.Tests.Accuracy;

/// <summary>The adversarial input families of the accuracy comparison.</summary>
public enum AccuracyData
{
    /// <summary>Per channel an offset in [−3, 3] and a spread of 0.1 … 10.</summary>
    Normal,

    /// <summary>Offsets of 10² … 10⁶ times the spread (spread 10⁻³ … 10²).</summary>
    FarOffset,

    /// <summary>Two values per channel (NC batch 2, NCHW 2 × 1 × 1, 1 × 1 × 2, 1 × 2 × 1), near or far from zero.</summary>
    TwoPerChannel,

    /// <summary>Three values per channel.</summary>
    ThreePerChannel,

    /// <summary>Some channels hold one value (zero variance), near or far from zero; the others are normal or offset.</summary>
    ConstantChannels,

    /// <summary>Channels of subnormal values (and subnormal gradients), next to normal ones.</summary>
    Denormal,

    /// <summary>Values of magnitude 10⁻⁶ … 10⁶ within each channel, γ and β of 10⁻³ … 10³, dy of 10⁻⁴ … 10².</summary>
    MixedMagnitudes,

    /// <summary>A tiny ε (10⁻¹⁴ … 10⁻⁹; the 1e-12 layers) with a variance of the same order.</summary>
    TinyEpsilon,

    /// <summary>An ε far above the variance (10 … 10⁴ times it; the 1e3 layers).</summary>
    HugeEpsilon,

    /// <summary>dy = a·x̂ + b + tiny noise, or constant per channel: the true gradInput nearly or exactly cancels.</summary>
    CancellingGradient,
}

/// <summary>One comparison: the shape and options, and where its inputs come from.</summary>
public sealed record AccuracyCase(string Implementation, string Layer, BatchNormLayout Layout, int Features, int Batch, int Height, int Width,
    double Epsilon, double Factor, bool Affine, bool Track, AccuracyData Data, int Seed)
{
    public int Plane => Height * Width;

    public int Count => Batch * Features * Plane;

    public int PerChannel => Batch * Plane;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Implementation} {Layer}: {Layout} {Batch}x{Features}x{Height}x{Width} (n = {PerChannel} per channel), eps {Epsilon:G3}, " +
        $"factor {Factor:G3}, affine {Affine}, track {Track}, data {Data}, seed {Seed}");
}

/// <summary>The inputs of one case, already rounded to the element type (the truth sees exactly these values).</summary>
public sealed class AccuracyInputs<T>
    where T : unmanaged
{
    public required T[] X { get; init; }

    public required T[] GradOutput { get; init; }

    public required string GradKind { get; init; }

    public T[]? Weight { get; init; }

    public T[]? Bias { get; init; }

    /// <summary>Running statistics before the training step (and those the evaluation step uses).</summary>
    public T[]? RunningMean { get; init; }

    public T[]? RunningVar { get; init; }
}

/// <summary>Seeded shapes and inputs for each <see cref="AccuracyData"/> family.</summary>
public static class AccuracyGenerator
{
    private static readonly double[] Factors = { 0.1, 0.01, 0.5, 1d / 3, 1d / 7, 1, 0 };

    private static readonly double[] OrdinaryEpsilons = { 1e-5, 1e-3, 0.1 };

    /// <summary>A random configuration for the runtime-shaped kernels.</summary>
    public static (BatchNormLayout Layout, int Features, double Epsilon, bool Affine, bool Track) RuntimeConfig(Random random, AccuracyData data)
    {
        var layout = random.Next(2) == 0 ? BatchNormLayout.NC : BatchNormLayout.NCHW;
        int features = random.Next(8) == 0 ? random.Next(41, 301) : random.Next(1, 41);
        double epsilon = data switch
        {
            AccuracyData.TinyEpsilon => Math.Pow(10, -14 + 5 * random.NextDouble()),
            AccuracyData.HugeEpsilon => Math.Pow(10, 1 + 3 * random.NextDouble()),
            _ => OrdinaryEpsilons[random.Next(OrdinaryEpsilons.Length)],
        };
        return (layout, features, epsilon, random.Next(4) != 0, random.Next(4) != 0);
    }

    /// <summary>The shape of a case: n per channel as the family asks, the tensor kept to a few thousand values.</summary>
    public static (int Batch, int Height, int Width) Shape(Random random, BatchNormLayout layout, int features, AccuracyData data)
    {
        int n = data switch
        {
            AccuracyData.TwoPerChannel => 2,
            AccuracyData.ThreePerChannel => 3,
            _ => 0,
        };
        if (n != 0)
        {
            if (layout == BatchNormLayout.NC)
            {
                return (n, 1, 1);
            }
            return random.Next(3) switch
            {
                0 => (n, 1, 1),
                1 => (1, 1, n),
                _ => (1, n, 1),
            };
        }
        int budget = Math.Max(2, 2000 / features);
        while (true)
        {
            int batch, height = 1, width = 1;
            if (layout == BatchNormLayout.NC)
            {
                batch = random.Next(10) switch
                {
                    < 2 => random.Next(2, 4),
                    < 7 => random.Next(4, 17),
                    _ => random.Next(17, 129),
                };
            }
            else
            {
                batch = random.Next(1, 7);
                if (random.Next(8) != 0)
                {
                    height = random.Next(1, 10);
                    width = random.Next(1, 14);
                }
            }
            if (batch * height * width >= 2 && batch * height * width <= budget)
            {
                return (batch, height, width);
            }
        }
    }

    public static double Factor(Random random) => Factors[random.Next(Factors.Length)];

    /// <summary>The inputs of a case (x, dy, γ, β, running statistics), rounded to T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static AccuracyInputs<T> Inputs<T>(Random random, AccuracyCase spec)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int f = spec.Features, plane = spec.Plane, count = spec.Count;
        bool isDouble = typeof(T) == typeof(double);
        var offsets = new double[f];
        var spreads = new double[f];
        var constant = new bool[f];
        var mixed = spec.Data == AccuracyData.MixedMagnitudes;
        for (int c = 0; c < f; c++)
        {
            (offsets[c], spreads[c]) = ChannelScale(random, spec, isDouble);
        }
        if (spec.Data == AccuracyData.ConstantChannels)
        {
            for (int c = 0; c < f; c++)
            {
                constant[c] = random.Next(2) == 0;
            }
            constant[random.Next(f)] = true;
        }

        var x = new double[count];
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            x[i] = mixed
                ? Signed(random) * Math.Pow(10, -6 + 12 * random.NextDouble())
                : constant[c] ? offsets[c] : offsets[c] + spreads[c] * (2 * random.NextDouble() - 1);
        }
        T[] xt = Round<T>(x);
        x = Num.ToDoubles<T>(xt);

        var (dy, gradKind) = GradOutput(random, spec, x, isDouble);
        T[]? weight = null, bias = null, runningMean = null, runningVar = null;
        if (spec.Affine)
        {
            weight = Round<T>(Enumerable.Range(0, f).Select(_ => mixed ? Signed(random) * Math.Pow(10, -3 + 6 * random.NextDouble()) : 4 * random.NextDouble() - 2).ToArray());
            bias = Round<T>(Enumerable.Range(0, f).Select(_ => mixed ? Signed(random) * Math.Pow(10, -3 + 6 * random.NextDouble()) : 2 * random.NextDouble() - 1).ToArray());
        }
        if (spec.Track)
        {
            // Near the data's own statistics, as after some training (for mixed data: its overall scale).
            runningMean = Round<T>(Enumerable.Range(0, f).Select(c => mixed ? Signed(random) * Math.Pow(10, 6 * random.NextDouble()) : offsets[c] + spreads[c] * (2 * random.NextDouble() - 1)).ToArray());
            runningVar = Round<T>(Enumerable.Range(0, f).Select(c => mixed ? Math.Pow(10, 12 * random.NextDouble()) : Math.Max(spreads[c] * spreads[c] * (0.2 + 1.8 * random.NextDouble()), double.Epsilon)).ToArray());
        }
        return new AccuracyInputs<T>
        {
            X = xt,
            GradOutput = Round<T>(dy),
            GradKind = gradKind,
            Weight = weight,
            Bias = bias,
            RunningMean = runningMean,
            RunningVar = runningVar,
        };
    }

    /// <summary>A channel's offset and spread for the family.</summary>
    private static (double Offset, double Spread) ChannelScale(Random random, AccuracyCase spec, bool isDouble)
    {
        double Normal() => 6 * random.NextDouble() - 3;
        double Spread(double lowExponent, double highExponent) => Math.Pow(10, lowExponent + (highExponent - lowExponent) * random.NextDouble());
        (double, double) Far()
        {
            double spread = Spread(-3, 2);
            return (Signed(random) * spread * Math.Pow(10, 2 + 4 * random.NextDouble()), spread);
        }

        switch (spec.Data)
        {
            case AccuracyData.FarOffset:
                return Far();
            case AccuracyData.TwoPerChannel:
            case AccuracyData.ThreePerChannel:
            case AccuracyData.ConstantChannels:
            case AccuracyData.CancellingGradient:
                return random.Next(2) == 0 ? (Normal(), Spread(-1, 1)) : Far();
            case AccuracyData.Denormal:
                if (random.Next(2) == 0)
                {
                    // Subnormal: below 2^-126 (float) or 2^-1022 (double).
                    int top = isDouble ? -1023 : -127;
                    double spread = Math.ScaleB(1d, top - random.Next(0, 12));
                    return (random.Next(2) == 0 ? 0 : Signed(random) * Math.ScaleB(1d, top), spread);
                }
                return (Normal(), Spread(-1, 1));
            case AccuracyData.TinyEpsilon:
            case AccuracyData.HugeEpsilon:
            {
                // A spread of about sqrt(ε) (tiny: the variance is of the order of ε), or far below it (huge).
                double root = Math.Sqrt(spec.Epsilon);
                double spread = spec.Data == AccuracyData.TinyEpsilon ? root * Spread(-1, 1) : root * Spread(-4, -1.5);
                double offset = random.Next(2) == 0 ? spread * Normal() : Signed(random) * spread * Math.Pow(10, 4 * random.NextDouble());
                return (offset, spread);
            }
            default:
                return (Normal(), Spread(-1, 1));
        }
    }

    /// <summary>dy for the family: uniform, offset, subnormal, wide-ranging, or cancelling the gradInput.</summary>
    private static (double[] Dy, string Kind) GradOutput(Random random, AccuracyCase spec, double[] x, bool isDouble)
    {
        int count = spec.Count;
        var dy = new double[count];
        switch (spec.Data)
        {
            case AccuracyData.MixedMagnitudes:
                for (int i = 0; i < count; i++)
                {
                    dy[i] = Signed(random) * Math.Pow(10, -4 + 6 * random.NextDouble());
                }
                return (dy, "±10^[-4, 2]");
            case AccuracyData.Denormal when random.Next(3) == 0:
            {
                int top = isDouble ? -1023 : -127;
                for (int i = 0; i < count; i++)
                {
                    dy[i] = Math.ScaleB(2 * random.NextDouble() - 1, top);
                }
                return (dy, "subnormal");
            }
            case AccuracyData.CancellingGradient:
            case AccuracyData.TwoPerChannel or AccuracyData.ThreePerChannel when random.Next(3) == 0:
                return CancellingGradient(random, spec, x);
        }
        if (random.Next(5) == 0)
        {
            // A large common part: Σdy is large and dy − mean(dy) cancels.
            double common = Signed(random) * Math.Pow(10, 1 + 3 * random.NextDouble());
            for (int i = 0; i < count; i++)
            {
                dy[i] = common + (2 * random.NextDouble() - 1);
            }
            return (dy, "offset");
        }
        for (int i = 0; i < count; i++)
        {
            dy[i] = 2 * random.NextDouble() - 1;
        }
        return (dy, "uniform [-1, 1]");
    }

    /// <summary>
    /// dy = a·x̂ + b + η per channel with tiny η (the true gradInput is γ·invStd·η projected: tiny), or dy constant per
    /// channel (the true gradInput is exactly 0).
    /// </summary>
    private static (double[] Dy, string Kind) CancellingGradient(Random random, AccuracyCase spec, double[] x)
    {
        int f = spec.Features, plane = spec.Plane, count = spec.Count;
        var dy = new double[count];
        bool constant = random.Next(3) == 0;
        var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x, f, spec.Batch, plane);
        var slope = Enumerable.Range(0, f).Select(_ => 4 * random.NextDouble() - 2).ToArray();
        var intercept = Enumerable.Range(0, f).Select(_ => 2 * random.NextDouble() - 1).ToArray();
        double noise = Math.Pow(10, -7 + 4 * random.NextDouble());
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            if (constant)
            {
                dy[i] = intercept[c];
            }
            else
            {
                double xHat = variance[c] > 0 ? (x[i] - mean[c]) / Math.Sqrt(variance[c]) : 0;
                dy[i] = slope[c] * xHat + intercept[c] + noise * (2 * random.NextDouble() - 1);
            }
        }
        return (dy, constant ? "constant per channel" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"a·x̂ + b + {noise:G2}·noise"));
    }

    private static double Signed(Random random) => random.Next(2) == 0 ? -1 : 1;

    private static T[] Round<T>(double[] values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = T.CreateTruncating(values[i]);
        }
        return result;
    }
}
