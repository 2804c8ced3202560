using System;

namespace BnGen.Tests.Kernels;

// The generated static kernels differ in signature with the configuration (Affine adds weight, bias and the parameter
// gradients; TrackRunningStats adds the running statistics and the inference kernels; NCHW adds height and width).
// A layer class declares which shape of kernels it has through one of these interfaces, which its generated static
// methods implement implicitly; the adapters below present them all as IKernels<T>.

public interface IStaticNcAffineTracked<T>
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

public interface IStaticNcTracked<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);
}

public interface IStaticNchwAffineTracked<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);
}

public interface IStaticNchwAffine<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);
}

public sealed class StaticNcAffineTracked<TLayer, T> : IKernels<T>
    where TLayer : IStaticNcAffineTracked<T>
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

public sealed class StaticNcTracked<TLayer, T> : IKernels<T>
    where TLayer : IStaticNcTracked<T>
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

public sealed class StaticNchwAffineTracked<TLayer, T> : IKernels<T>
    where TLayer : IStaticNchwAffineTracked<T>
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

public sealed class StaticNchwAffine<TLayer, T> : IKernels<T>
    where TLayer : IStaticNchwAffine<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
        => TLayer.ForwardTraining(input, output, batch, height, width, weight, bias, savedMean, savedInvStd);

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        => TLayer.BackwardTraining(input, gradOutput, gradInput, batch, height, width, weight, savedMean, savedInvStd, weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        => throw new InvalidOperationException("A layer without running statistics has no inference kernel.");
}
