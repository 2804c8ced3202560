using System;
using System.Collections.Generic;
using BnGen.Tests.Kernels;

namespace BnGen.Tests.Accuracy;

// Generated layers for the accuracy comparison with ATen. Their static kernels are driven directly (the saved
// statistics are visible there; the instance methods call the same kernels), so the compile-time momentum plays no
// part: the factor is an argument. Epsilon is compile-time: 1e-5 (PyTorch's default), 1e-12 (tiny) and 1e3 (huge).

[BatchNormLayer(1)]
public partial class AccNc1F32 : IStaticNcAffineTracked<float> { }

[BatchNormLayer(3)]
public partial class AccNc3F32 : IStaticNcAffineTracked<float> { }

[BatchNormLayer(17, Affine = false)]
public partial class AccNc17F32NoAffine : IStaticNcTracked<float> { }

[BatchNormLayer(8, TrackRunningStats = false)]
public partial class AccNc8F32NoTrack : IStaticNcAffine<float> { }

[BatchNormLayer(5, Affine = false, TrackRunningStats = false)]
public partial class AccNc5F32Plain : IStaticNc<float> { }

[BatchNormLayer(37, Epsilon = 1e-12)]
public partial class AccNc37F32TinyEps : IStaticNcAffineTracked<float> { }

[BatchNormLayer(6, Epsilon = 1e3)]
public partial class AccNc6F32HugeEps : IStaticNcAffineTracked<float> { }

[BatchNormLayer(300)]
public partial class AccNc300F32 : IStaticNcAffineTracked<float> { }

[BatchNormLayer(1, BatchNormLayout.NCHW)]
public partial class AccNchw1F32 : IStaticNchwAffineTracked<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW)]
public partial class AccNchw3F32 : IStaticNchwAffineTracked<float> { }

[BatchNormLayer(7, BatchNormLayout.NCHW, Affine = false)]
public partial class AccNchw7F32NoAffine : IStaticNchwTracked<float> { }

[BatchNormLayer(16, BatchNormLayout.NCHW, TrackRunningStats = false)]
public partial class AccNchw16F32NoTrack : IStaticNchwAffine<float> { }

[BatchNormLayer(2, BatchNormLayout.NCHW, Affine = false, TrackRunningStats = false)]
public partial class AccNchw2F32Plain : IStaticNchw<float> { }

[BatchNormLayer(5, BatchNormLayout.NCHW, Epsilon = 1e-12)]
public partial class AccNchw5F32TinyEps : IStaticNchwAffineTracked<float> { }

[BatchNormLayer(4, BatchNormLayout.NCHW, Epsilon = 1e3)]
public partial class AccNchw4F32HugeEps : IStaticNchwAffineTracked<float> { }

[BatchNormLayer(37, BatchNormLayout.NCHW)]
public partial class AccNchw37F32 : IStaticNchwAffineTracked<float> { }

[BatchNormLayer(3, ElementType = typeof(double))]
public partial class AccNc3F64 : IStaticNcAffineTracked<double> { }

[BatchNormLayer(17, ElementType = typeof(double), Affine = false)]
public partial class AccNc17F64NoAffine : IStaticNcTracked<double> { }

[BatchNormLayer(5, ElementType = typeof(double), TrackRunningStats = false)]
public partial class AccNc5F64NoTrack : IStaticNcAffine<double> { }

[BatchNormLayer(9, ElementType = typeof(double), Epsilon = 1e-12)]
public partial class AccNc9F64TinyEps : IStaticNcAffineTracked<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class AccNchw3F64 : IStaticNchwAffineTracked<double> { }

[BatchNormLayer(7, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false)]
public partial class AccNchw7F64NoAffine : IStaticNchwTracked<double> { }

[BatchNormLayer(6, BatchNormLayout.NCHW, ElementType = typeof(double), TrackRunningStats = false)]
public partial class AccNchw6F64NoTrack : IStaticNchwAffine<double> { }

[BatchNormLayer(2, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false, TrackRunningStats = false)]
public partial class AccNchw2F64Plain : IStaticNchw<double> { }

[BatchNormLayer(5, BatchNormLayout.NCHW, ElementType = typeof(double), Epsilon = 1e3)]
public partial class AccNchw5F64HugeEps : IStaticNchwAffineTracked<double> { }

/// <summary>A generated layer under test: its configuration (as in its attribute) and its static kernels.</summary>
public sealed record AccuracyLayer<T>(string Name, Type Type, LayerConfig Config, IKernels<T> Kernels)
{
    public override string ToString() => Name;
}

/// <summary>Every generated accuracy layer, by element type.</summary>
public static class AccuracyLayers
{
    public static readonly IReadOnlyList<AccuracyLayer<float>> Float = new[]
    {
        Layer<AccNc1F32, float>(new StaticNcAffineTracked<AccNc1F32, float>(), 1, BatchNormLayout.NC, 1e-5, affine: true, track: true),
        Layer<AccNc3F32, float>(new StaticNcAffineTracked<AccNc3F32, float>(), 3, BatchNormLayout.NC, 1e-5, affine: true, track: true),
        Layer<AccNc17F32NoAffine, float>(new StaticNcTracked<AccNc17F32NoAffine, float>(), 17, BatchNormLayout.NC, 1e-5, affine: false, track: true),
        Layer<AccNc8F32NoTrack, float>(new StaticNcAffine<AccNc8F32NoTrack, float>(), 8, BatchNormLayout.NC, 1e-5, affine: true, track: false),
        Layer<AccNc5F32Plain, float>(new StaticNc<AccNc5F32Plain, float>(), 5, BatchNormLayout.NC, 1e-5, affine: false, track: false),
        Layer<AccNc37F32TinyEps, float>(new StaticNcAffineTracked<AccNc37F32TinyEps, float>(), 37, BatchNormLayout.NC, 1e-12, affine: true, track: true),
        Layer<AccNc6F32HugeEps, float>(new StaticNcAffineTracked<AccNc6F32HugeEps, float>(), 6, BatchNormLayout.NC, 1e3, affine: true, track: true),
        Layer<AccNc300F32, float>(new StaticNcAffineTracked<AccNc300F32, float>(), 300, BatchNormLayout.NC, 1e-5, affine: true, track: true),
        Layer<AccNchw1F32, float>(new StaticNchwAffineTracked<AccNchw1F32, float>(), 1, BatchNormLayout.NCHW, 1e-5, affine: true, track: true),
        Layer<AccNchw3F32, float>(new StaticNchwAffineTracked<AccNchw3F32, float>(), 3, BatchNormLayout.NCHW, 1e-5, affine: true, track: true),
        Layer<AccNchw7F32NoAffine, float>(new StaticNchwTracked<AccNchw7F32NoAffine, float>(), 7, BatchNormLayout.NCHW, 1e-5, affine: false, track: true),
        Layer<AccNchw16F32NoTrack, float>(new StaticNchwAffine<AccNchw16F32NoTrack, float>(), 16, BatchNormLayout.NCHW, 1e-5, affine: true, track: false),
        Layer<AccNchw2F32Plain, float>(new StaticNchw<AccNchw2F32Plain, float>(), 2, BatchNormLayout.NCHW, 1e-5, affine: false, track: false),
        Layer<AccNchw5F32TinyEps, float>(new StaticNchwAffineTracked<AccNchw5F32TinyEps, float>(), 5, BatchNormLayout.NCHW, 1e-12, affine: true, track: true),
        Layer<AccNchw4F32HugeEps, float>(new StaticNchwAffineTracked<AccNchw4F32HugeEps, float>(), 4, BatchNormLayout.NCHW, 1e3, affine: true, track: true),
        Layer<AccNchw37F32, float>(new StaticNchwAffineTracked<AccNchw37F32, float>(), 37, BatchNormLayout.NCHW, 1e-5, affine: true, track: true),
    };

    public static readonly IReadOnlyList<AccuracyLayer<double>> Double = new[]
    {
        Layer<AccNc3F64, double>(new StaticNcAffineTracked<AccNc3F64, double>(), 3, BatchNormLayout.NC, 1e-5, affine: true, track: true),
        Layer<AccNc17F64NoAffine, double>(new StaticNcTracked<AccNc17F64NoAffine, double>(), 17, BatchNormLayout.NC, 1e-5, affine: false, track: true),
        Layer<AccNc5F64NoTrack, double>(new StaticNcAffine<AccNc5F64NoTrack, double>(), 5, BatchNormLayout.NC, 1e-5, affine: true, track: false),
        Layer<AccNc9F64TinyEps, double>(new StaticNcAffineTracked<AccNc9F64TinyEps, double>(), 9, BatchNormLayout.NC, 1e-12, affine: true, track: true),
        Layer<AccNchw3F64, double>(new StaticNchwAffineTracked<AccNchw3F64, double>(), 3, BatchNormLayout.NCHW, 1e-5, affine: true, track: true),
        Layer<AccNchw7F64NoAffine, double>(new StaticNchwTracked<AccNchw7F64NoAffine, double>(), 7, BatchNormLayout.NCHW, 1e-5, affine: false, track: true),
        Layer<AccNchw6F64NoTrack, double>(new StaticNchwAffine<AccNchw6F64NoTrack, double>(), 6, BatchNormLayout.NCHW, 1e-5, affine: true, track: false),
        Layer<AccNchw2F64Plain, double>(new StaticNchw<AccNchw2F64Plain, double>(), 2, BatchNormLayout.NCHW, 1e-5, affine: false, track: false),
        Layer<AccNchw5F64HugeEps, double>(new StaticNchwAffineTracked<AccNchw5F64HugeEps, double>(), 5, BatchNormLayout.NCHW, 1e3, affine: true, track: true),
    };

    private static AccuracyLayer<T> Layer<TLayer, T>(IKernels<T> kernels, int features, BatchNormLayout layout, double epsilon, bool affine, bool track)
        => new(typeof(TLayer).Name, typeof(TLayer),
            new LayerConfig(features, layout, typeof(T) == typeof(double), epsilon, 0.1, affine, track, Cumulative: false), kernels);
}

// The static-kernel shapes the Kernels folder has no adapter for: NC with Affine only or neither option, NCHW with
// TrackRunningStats only or neither option (see Kernels/StaticKernelAdapters.cs for the others).

public interface IStaticNcAffine<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);
}

public interface IStaticNc<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);
}

public interface IStaticNchwTracked<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);
}

public interface IStaticNchw<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width,
        Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);
}

public sealed class StaticNcAffine<TLayer, T> : IKernels<T>
    where TLayer : IStaticNcAffine<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, weight, bias, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, weight, savedMean, savedInvStd, weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");
}

public sealed class StaticNc<TLayer, T> : IKernels<T>
    where TLayer : IStaticNc<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, savedMean, savedInvStd);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");
}

public sealed class StaticNchwTracked<TLayer, T> : IKernels<T>
    where TLayer : IStaticNchwTracked<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, height, width, savedMean, savedInvStd, runningMean, runningVar, factor);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => TLayer.ForwardInference(input, output, batch, height, width, runningMean, runningVar);

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, height, width, savedMean, savedInvStd);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardInference(input, gradOutput, gradInput, batch, height, width, runningMean, runningVar);
}

public sealed class StaticNchw<TLayer, T> : IKernels<T>
    where TLayer : IStaticNchw<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, height, width, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, height, width, savedMean, savedInvStd);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");
}
