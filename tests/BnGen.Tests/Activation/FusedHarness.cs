using System;
using System.Globalization;
using BnGen.Tests.Kernels;

namespace BnGen.Tests.Activation;

// Uniform views of the fused-activation layers (FusedLayers.cs) for tests written once for every layout, element type
// and option: the instance API through the interfaces the generated members implement, the static kernels through the
// generated adapters, and a double-precision reference of relu(batch_norm(x)) in any layout.

/// <summary>The instance API of a generated NCL layer.</summary>
public interface INclLayer<T>
{
    bool Training { get; set; }

    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int length);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length);
}

/// <summary>A generated layer's thread budget.</summary>
public interface IParallelLayer
{
    int MaxDegreeOfParallelism { get; set; }
}

/// <summary>A generated layer's instance <c>FoldInto</c> (TrackRunningStats = true).</summary>
public interface IFoldable<T>
{
    void FoldInto(Span<T> weight, Span<T> bias);
}

/// <summary>
/// A tensor's dimensions in any layout: NC is <c>[Batch, F]</c> (Height = Width = 1), NCHW and NHWC use all three, NCL
/// is <c>[Batch, F, Width]</c> (Height = 1).
/// </summary>
public readonly record struct Dims(int Batch, int Height, int Width)
{
    public int Plane => Height * Width;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Batch}x{Height}x{Width}");
}

/// <summary>A fused layer's compile-time configuration, as in its attribute.</summary>
public sealed record FusedConfig(string Name, BatchNormLayout Layout, int Features, bool IsDouble, double Epsilon, double Momentum,
    bool Affine, bool Track)
{
    public override string ToString() => Name;
}

/// <summary>The static kernels of a ReLU layer with every optional argument present (unused ones are ignored).</summary>
public interface IFusedKernels<T>
{
    void ForwardTraining(ReadOnlySpan<T> x, Span<T> y, Dims d, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int degree);

    void ForwardInference(ReadOnlySpan<T> x, Span<T> y, Dims d, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int degree);

    void BackwardTraining(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Dims d, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int degree);

    void BackwardInference(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Dims d, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int degree);

    void FoldInto(Span<T> weight, Span<T> bias, ReadOnlySpan<T> bnWeight, ReadOnlySpan<T> bnBias, ReadOnlySpan<T> runningMean,
        ReadOnlySpan<T> runningVar);
}

/// <summary>One configuration: the ReLU layer, its plain twin (same attribute, no activation) and the ReLU layer's static kernels.</summary>
public sealed record FusedCase(FusedConfig Config, Func<object> CreateRelu, Func<object> CreatePlain, object StaticKernels)
{
    public override string ToString() => Config.Name;
}

/// <summary>A whole ReLU layer (state and all), seen the same way whatever is behind it.</summary>
public interface IFusedUnderTest<T>
{
    FusedConfig Config { get; }

    bool Training { get; set; }

    T[]? Weight { get; }

    T[]? Bias { get; }

    T[]? WeightGrad { get; }

    T[]? BiasGrad { get; }

    T[]? RunningMean { get; }

    T[]? RunningVar { get; }

    long? NumBatchesTracked { get; }

    void Forward(ReadOnlySpan<T> x, Span<T> y, Dims d);

    void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Dims d);
}

/// <summary>A generated instance (ReLU layer or plain twin) behind <see cref="IFusedUnderTest{T}"/>.</summary>
public sealed class InstanceUnderTest<T>(object layer, FusedConfig config) : IFusedUnderTest<T>
{
    public object Inner => layer;

    public FusedConfig Config => config;

    public bool Training
    {
        get => layer switch
        {
            INcLayer<T> nc => nc.Training,
            INchwLayer<T> nchw => nchw.Training,
            _ => ((INclLayer<T>)layer).Training,
        };
        set
        {
            switch (layer)
            {
                case INcLayer<T> nc: nc.Training = value; break;
                case INchwLayer<T> nchw: nchw.Training = value; break;
                default: ((INclLayer<T>)layer).Training = value; break;
            }
        }
    }

    public int MaxDegreeOfParallelism
    {
        get => ((IParallelLayer)layer).MaxDegreeOfParallelism;
        set => ((IParallelLayer)layer).MaxDegreeOfParallelism = value;
    }

    public T[]? Weight => (layer as IAffineLayer<T>)?.Weight;

    public T[]? Bias => (layer as IAffineLayer<T>)?.Bias;

    public T[]? WeightGrad => (layer as IAffineLayer<T>)?.WeightGrad;

    public T[]? BiasGrad => (layer as IAffineLayer<T>)?.BiasGrad;

    public T[]? RunningMean => (layer as ITrackedLayer<T>)?.RunningMean;

    public T[]? RunningVar => (layer as ITrackedLayer<T>)?.RunningVar;

    public long? NumBatchesTracked => (layer as ITrackedLayer<T>)?.NumBatchesTracked;

    public void Forward(ReadOnlySpan<T> x, Span<T> y, Dims d)
    {
        switch (layer)
        {
            case INcLayer<T> nc: nc.Forward(x, y, d.Batch); break;
            case INchwLayer<T> nchw: nchw.Forward(x, y, d.Batch, d.Height, d.Width); break;
            default: ((INclLayer<T>)layer).Forward(x, y, d.Batch, d.Width); break;
        }
    }

    public void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Dims d)
    {
        switch (layer)
        {
            case INcLayer<T> nc: nc.Backward(x, dy, dx, d.Batch); break;
            case INchwLayer<T> nchw: nchw.Backward(x, dy, dx, d.Batch, d.Height, d.Width); break;
            default: ((INclLayer<T>)layer).Backward(x, dy, dx, d.Batch, d.Width); break;
        }
    }
}

/// <summary>
/// A whole ReLU layer built from its static kernels: the same state and call sequence as the generated instance (saved
/// statistics, running statistics, the count, the mode of the last forward); γ and β go to both backward kernels.
/// </summary>
public sealed class StaticUnderTest<T> : IFusedUnderTest<T>
    where T : unmanaged
{
    private readonly IFusedKernels<T> _kernels;
    private readonly double[] _savedMean;
    private readonly double[] _savedInvStd;
    private int _lastMode;

    public StaticUnderTest(IFusedKernels<T> kernels, FusedConfig config, int degree = 1)
    {
        _kernels = kernels;
        Config = config;
        Degree = degree;
        int f = config.Features;
        _savedMean = new double[f];
        _savedInvStd = new double[f];
        if (config.Affine)
        {
            Weight = Num.Filled<T>(f, 1);
            Bias = new T[f];
            WeightGrad = new T[f];
            BiasGrad = new T[f];
        }
        if (config.Track)
        {
            RunningMean = new T[f];
            RunningVar = Num.Filled<T>(f, 1);
            NumBatchesTracked = 0;
        }
    }

    public FusedConfig Config { get; }

    public int Degree { get; }

    public bool Training { get; set; } = true;

    public T[]? Weight { get; }

    public T[]? Bias { get; }

    public T[]? WeightGrad { get; }

    public T[]? BiasGrad { get; }

    public T[]? RunningMean { get; }

    public T[]? RunningVar { get; }

    public long? NumBatchesTracked { get; private set; }

    public ReadOnlySpan<double> SavedMean => _savedMean;

    public ReadOnlySpan<double> SavedInvStd => _savedInvStd;

    public void Forward(ReadOnlySpan<T> x, Span<T> y, Dims d)
    {
        if (Config.Track && !Training)
        {
            _kernels.ForwardInference(x, y, d, Weight, Bias, RunningMean, RunningVar, Degree);
            _lastMode = 2;
            return;
        }
        bool update = Config.Track;
        _kernels.ForwardTraining(x, y, d, Weight, Bias, _savedMean, _savedInvStd, update ? RunningMean : default,
            update ? RunningVar : default, update ? Config.Momentum : 0, Degree);
        if (update)
        {
            NumBatchesTracked++;
        }
        _lastMode = 1;
    }

    public void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Dims d)
    {
        if (_lastMode == 1)
        {
            _kernels.BackwardTraining(x, dy, dx, d, Weight, Bias, _savedMean, _savedInvStd, WeightGrad, BiasGrad, Degree);
        }
        else
        {
            _kernels.BackwardInference(x, dy, dx, d, Weight, Bias, RunningMean, RunningVar, WeightGrad, BiasGrad, Degree);
        }
    }
}

/// <summary>Index arithmetic of the four layouts, and conversions to and from NCHW order (the reference's order).</summary>
public static class Layouts
{
    /// <summary>Where value (n, c, s) of a tensor lives, s the position within the plane (NC: 0; NCL: the position in the length).</summary>
    public static int Index(BatchNormLayout layout, int features, Dims d, int n, int c, int s) => layout == BatchNormLayout.NHWC
        ? (n * d.Plane + s) * features + c
        : (n * features + c) * d.Plane + s;

    /// <summary>The channel of the value at <paramref name="index"/>.</summary>
    public static int Channel(BatchNormLayout layout, int features, Dims d, int index) => layout == BatchNormLayout.NHWC
        ? index % features
        : index / d.Plane % features;

    public static double[] ToNchw(BatchNormLayout layout, int features, Dims d, ReadOnlySpan<double> values)
    {
        var result = new double[values.Length];
        for (int n = 0; n < d.Batch; n++)
        {
            for (int c = 0; c < features; c++)
            {
                for (int s = 0; s < d.Plane; s++)
                {
                    result[(n * features + c) * d.Plane + s] = values[Index(layout, features, d, n, c, s)];
                }
            }
        }
        return result;
    }

    public static double[] FromNchw(BatchNormLayout layout, int features, Dims d, ReadOnlySpan<double> values)
    {
        var result = new double[values.Length];
        for (int n = 0; n < d.Batch; n++)
        {
            for (int c = 0; c < features; c++)
            {
                for (int s = 0; s < d.Plane; s++)
                {
                    result[Index(layout, features, d, n, c, s)] = values[(n * features + c) * d.Plane + s];
                }
            }
        }
        return result;
    }

    /// <summary>Batch 1 … 7; planes up to 7 × 11 (NCHW, NHWC) or 1 × 37 (NCL); more than one value per channel when asked.</summary>
    public static Dims RandomDims(Random random, BatchNormLayout layout, bool needsMoreThanOne)
    {
        while (true)
        {
            int batch = random.Next(1, 8);
            var d = layout switch
            {
                BatchNormLayout.NC => new Dims(batch, 1, 1),
                BatchNormLayout.NCL => new Dims(batch, 1, random.Next(1, 38)),
                _ => new Dims(batch, random.Next(1, 8), random.Next(1, 12)),
            };
            if (!needsMoreThanOne || d.Batch * d.Plane > 1)
            {
                return d;
            }
        }
    }
}

/// <summary>
/// PyTorch's <c>relu(batch_norm(x))</c> in double, in any layout, built on <see cref="ReferenceBatchNorm"/>: the
/// normalization with its error scales, ReLU (<c>z &lt;= 0 ? 0 : z</c>), and the backward of the composite, where
/// ReLU passes dy exactly where its output is not <c>&lt;= 0</c> (<c>threshold_backward(dy, y, 0)</c>).
/// </summary>
public static class FusedReference
{
    public sealed record Forward(double[] Z, double[] ZScales, double[] Y, double[] Mean, double[] Var);

    public sealed record Backward(ReferenceBatchNorm.Result Dx, ReferenceBatchNorm.Result DWeight, ReferenceBatchNorm.Result DBias);

    public static double Relu(double z) => z <= 0 ? 0 : z;

    /// <summary>ReLU's gate from its output: dy passes where <c>!(y &lt;= 0)</c> (NaN passes, as in PyTorch).</summary>
    public static double Gate(double y, double dy) => y <= 0 ? 0 : dy;

    /// <summary>z = bn(x) and y = relu(z) with batch statistics, or with the given running statistics.</summary>
    public static Forward Forwards(FusedConfig config, Dims d, double[] x, double[]? weight, double[]? bias, double[]? runningMean,
        double[]? runningVar, bool batchStatistics)
    {
        int f = config.Features;
        double[] xn = Layouts.ToNchw(config.Layout, f, d, x);
        var (mean, variance) = batchStatistics
            ? ReferenceBatchNorm.BatchStatistics(xn, f, d.Batch, d.Plane)
            : (runningMean!, runningVar!);
        ReferenceBatchNorm.Result z = ReferenceBatchNorm.Normalize(xn, f, d.Batch, d.Plane, mean, variance, config.Epsilon, weight, bias);
        double[] zl = Layouts.FromNchw(config.Layout, f, d, z.Values);
        double[] y = Array.ConvertAll(zl, Relu);
        return new Forward(zl, Layouts.FromNchw(config.Layout, f, d, z.Scales), y, mean, variance);
    }

    /// <summary>
    /// dx, dγ, dβ of Σ dy · relu(bn(x)): BatchNorm's backward of the gated gradient <paramref name="gatedDy"/> (through
    /// the batch statistics, or through constant running statistics).
    /// </summary>
    public static Backward Backwards(FusedConfig config, Dims d, double[] x, double[] gatedDy, double[]? weight, double[] mean,
        double[] variance, bool batchStatistics)
    {
        int f = config.Features;
        double[] xn = Layouts.ToNchw(config.Layout, f, d, x);
        double[] dyn = Layouts.ToNchw(config.Layout, f, d, gatedDy);
        var (dx, dw, db) = batchStatistics
            ? ReferenceBatchNorm.BackwardBatch(xn, dyn, f, d.Batch, d.Plane, mean, variance, config.Epsilon, weight)
            : ReferenceBatchNorm.BackwardRunning(xn, dyn, f, d.Batch, d.Plane, mean, variance, config.Epsilon, weight);
        var dxl = new ReferenceBatchNorm.Result(Layouts.FromNchw(config.Layout, f, d, dx.Values), Layouts.FromNchw(config.Layout, f, d, dx.Scales));
        return new Backward(dxl, dw, db);
    }
}

/// <summary>Random test data of element type T.</summary>
public static class FusedData
{
    /// <summary>x with a random offset and spread per channel, rounded to T.</summary>
    public static T[] Input<T>(Random random, FusedConfig config, Dims d)
    {
        int f = config.Features;
        var offsets = new double[f];
        var spreads = new double[f];
        for (int c = 0; c < f; c++)
        {
            offsets[c] = random.NextDouble() * 6 - 3;
            spreads[c] = 0.1 + random.NextDouble() * 3;
        }
        var x = new double[d.Batch * f * d.Plane];
        for (int i = 0; i < x.Length; i++)
        {
            int c = Layouts.Channel(config.Layout, f, d, i);
            x[i] = offsets[c] + spreads[c] * (random.NextDouble() * 2 - 1);
        }
        return Num.FromDoubles<T>(x);
    }

    /// <summary>Uniform in [low, high), rounded to T.</summary>
    public static T[] Uniform<T>(Random random, int count, double low, double high)
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = Num.FromDouble<T>(low + (high - low) * random.NextDouble());
        }
        return values;
    }

    public static void Fill<T>(T[] target, Random random, double low, double high)
        => Uniform<T>(random, target.Length, low, high).CopyTo(target, 0);
}
