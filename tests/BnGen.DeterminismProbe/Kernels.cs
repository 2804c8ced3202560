using System;

namespace BnGen.DeterminismProbe;

// Uniform views of a generated layer: its instance API (implemented implicitly by the generated members when the class
// declares the interface) and its static kernels (whose signatures differ with the options; each shape has a
// static-abstract interface and an adapter to IStaticKernels<T>). Dimensions are always (batch, height, width); NC
// layers get 1 × 1.

public interface INcInstance<T>
{
    bool Training { get; set; }

    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch);
}

/// <summary>NCHW (and NHWC, whose methods have the same dimensions).</summary>
public interface INchwInstance<T>
{
    bool Training { get; set; }

    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width);
}

public interface IAffineInstance<T>
{
    T[] Weight { get; }

    T[] Bias { get; }

    T[] WeightGrad { get; }

    T[] BiasGrad { get; }
}

public interface ITrackedInstance<T>
{
    T[] RunningMean { get; }

    T[] RunningVar { get; }

    long NumBatchesTracked { get; }
}

/// <summary>The four static kernels with every optional argument (empty spans where the layer has none).</summary>
public interface IStaticKernels<T>
{
    void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor);

    void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);
}

public interface INcAffineTracked<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);
}

public interface INcTracked<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);
}

public interface INcAffine<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);
}

public interface INcPlain<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);
}

public interface INchwAffineTracked<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);
}

public interface INchwTracked<T>
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

public interface INchwAffine<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);
}

public interface INchwPlain<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width,
        Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);
}

/// <summary>Thrown by an adapter for a kernel the layer does not have (inference kernels need running statistics).</summary>
public sealed class NoSuchKernelException() : InvalidOperationException("This layer has no such static kernel.");

public sealed class NcAffineTracked<TLayer, T> : IStaticKernels<T>
    where TLayer : INcAffineTracked<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => TLayer.ForwardInference(input, output, batch, weight, bias, runningMean, runningVar);

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, weight, savedMean, savedInvStd, weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardInference(input, gradOutput, gradInput, batch, weight, runningMean, runningVar, weightGrad, biasGrad);
}

public sealed class NcTracked<TLayer, T> : IStaticKernels<T>
    where TLayer : INcTracked<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, savedMean, savedInvStd, runningMean, runningVar, factor);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => TLayer.ForwardInference(input, output, batch, runningMean, runningVar);

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, savedMean, savedInvStd);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardInference(input, gradOutput, gradInput, batch, runningMean, runningVar);
}

public sealed class NcAffine<TLayer, T> : IStaticKernels<T>
    where TLayer : INcAffine<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, weight, bias, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new NoSuchKernelException();

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, weight, savedMean, savedInvStd, weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new NoSuchKernelException();
}

public sealed class NcPlain<TLayer, T> : IStaticKernels<T>
    where TLayer : INcPlain<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new NoSuchKernelException();

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, savedMean, savedInvStd);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new NoSuchKernelException();
}

public sealed class NchwAffineTracked<TLayer, T> : IStaticKernels<T>
    where TLayer : INchwAffineTracked<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, height, width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => TLayer.ForwardInference(input, output, batch, height, width, weight, bias, runningMean, runningVar);

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, height, width, weight, savedMean, savedInvStd, weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardInference(input, gradOutput, gradInput, batch, height, width, weight, runningMean, runningVar, weightGrad, biasGrad);
}

public sealed class NchwTracked<TLayer, T> : IStaticKernels<T>
    where TLayer : INchwTracked<T>
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

public sealed class NchwAffine<TLayer, T> : IStaticKernels<T>
    where TLayer : INchwAffine<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, height, width, weight, bias, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new NoSuchKernelException();

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, height, width, weight, savedMean, savedInvStd, weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new NoSuchKernelException();
}

public sealed class NchwPlain<TLayer, T> : IStaticKernels<T>
    where TLayer : INchwPlain<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, height, width, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new NoSuchKernelException();

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, height, width, savedMean, savedInvStd);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new NoSuchKernelException();
}

/// <summary>The runtime-shaped <see cref="BatchNormKernels"/> behind <see cref="IStaticKernels{T}"/>, with a layer's features, layout and ε.</summary>
public sealed class RuntimeKernels<T>(int features, BatchNormLayout layout, double epsilon) : IStaticKernels<T>
    where T : unmanaged
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
    {
        if (typeof(T) == typeof(float))
        {
            BatchNormKernels.ForwardTraining(F(input), F(output), features, layout, batch, height, width, F(weight), F(bias), epsilon, savedMean,
                savedInvStd, F(runningMean), F(runningVar), factor);
        }
        else
        {
            BatchNormKernels.ForwardTraining(D(input), D(output), features, layout, batch, height, width, D(weight), D(bias), epsilon, savedMean,
                savedInvStd, D(runningMean), D(runningVar), factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
    {
        if (typeof(T) == typeof(float))
        {
            BatchNormKernels.ForwardInference(F(input), F(output), features, layout, batch, height, width, F(weight), F(bias), epsilon,
                F(runningMean), F(runningVar));
        }
        else
        {
            BatchNormKernels.ForwardInference(D(input), D(output), features, layout, batch, height, width, D(weight), D(bias), epsilon,
                D(runningMean), D(runningVar));
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
    {
        if (typeof(T) == typeof(float))
        {
            BatchNormKernels.BackwardTraining(F(input), F(gradOutput), F(gradInput), features, layout, batch, height, width, F(weight), savedMean,
                savedInvStd, F(weightGrad), F(biasGrad));
        }
        else
        {
            BatchNormKernels.BackwardTraining(D(input), D(gradOutput), D(gradInput), features, layout, batch, height, width, D(weight), savedMean,
                savedInvStd, D(weightGrad), D(biasGrad));
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
    {
        if (typeof(T) == typeof(float))
        {
            BatchNormKernels.BackwardInference(F(input), F(gradOutput), F(gradInput), features, layout, batch, height, width, F(weight), epsilon,
                F(runningMean), F(runningVar), F(weightGrad), F(biasGrad));
        }
        else
        {
            BatchNormKernels.BackwardInference(D(input), D(gradOutput), D(gradInput), features, layout, batch, height, width, D(weight), epsilon,
                D(runningMean), D(runningVar), D(weightGrad), D(biasGrad));
        }
    }

    private static ReadOnlySpan<float> F(ReadOnlySpan<T> span) => System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(span);

    private static Span<float> F(Span<T> span) => System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(span);

    private static ReadOnlySpan<double> D(ReadOnlySpan<T> span) => System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(span);

    private static Span<double> D(Span<T> span) => System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(span);
}
