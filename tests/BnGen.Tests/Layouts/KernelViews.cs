using System;
using System.Runtime.InteropServices;

namespace BnGen.Tests.Layouts;

// The stateless kernels seen one way: the generated static kernels of layers with Affine = true and
// TrackRunningStats = true (their signatures depend on the layout's dimensions and, with ReLU, on the bias that both
// backward kernels take), and the runtime-shaped BatchNormKernels. A layer class declares its static shape through one
// of the IStatic* interfaces, which its generated static methods implement implicitly, overloads with a trailing
// maxDegreeOfParallelism included. KernelLayer<T> builds a whole layer from a kernel set.

/// <summary>The four kernels with every argument present; <c>degree</c> null calls the overload without it.</summary>
public interface IKernelSet<T>
{
    void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree);

    void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree);

    void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree);

    void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree);
}

/// <summary>Static kernels of an NC layer, Affine and TrackRunningStats, no activation.</summary>
public interface IStaticNc<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor,
        int maxDegreeOfParallelism);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int maxDegreeOfParallelism);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int maxDegreeOfParallelism);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int maxDegreeOfParallelism);
}

/// <summary>Static kernels of an NC layer with ReLU: both backward kernels take the bias after the weight.</summary>
public interface IStaticNcRelu<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor,
        int maxDegreeOfParallelism);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int maxDegreeOfParallelism);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad,
        int maxDegreeOfParallelism);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad,
        int maxDegreeOfParallelism);
}

/// <summary>Static kernels of an NCHW or NHWC layer, Affine and TrackRunningStats, no activation.</summary>
public interface IStaticPlane<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar,
        double exponentialAverageFactor);

    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar,
        double exponentialAverageFactor, int maxDegreeOfParallelism);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int maxDegreeOfParallelism);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad,
        int maxDegreeOfParallelism);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad,
        int maxDegreeOfParallelism);
}

/// <summary>Static kernels of an NCHW or NHWC layer with ReLU.</summary>
public interface IStaticPlaneRelu<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar,
        double exponentialAverageFactor);

    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar,
        double exponentialAverageFactor, int maxDegreeOfParallelism);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int maxDegreeOfParallelism);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad,
        Span<T> biasGrad);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad,
        Span<T> biasGrad, int maxDegreeOfParallelism);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad,
        Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad,
        Span<T> biasGrad, int maxDegreeOfParallelism);
}

/// <summary>Static kernels of an NCL layer, Affine and TrackRunningStats, no activation.</summary>
public interface IStaticNcl<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor,
        int maxDegreeOfParallelism);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int maxDegreeOfParallelism);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad,
        int maxDegreeOfParallelism);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad,
        int maxDegreeOfParallelism);
}

/// <summary>Static kernels of an NCL layer with ReLU.</summary>
public interface IStaticNclRelu<T>
{
    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor);

    static abstract void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor,
        int maxDegreeOfParallelism);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    static abstract void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int length, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int maxDegreeOfParallelism);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad,
        Span<T> biasGrad);

    static abstract void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad,
        Span<T> biasGrad, int maxDegreeOfParallelism);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad,
        Span<T> biasGrad);

    static abstract void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad,
        Span<T> biasGrad, int maxDegreeOfParallelism);
}

public sealed class NcKernels<TLayer, T> : IKernelSet<T>
    where TLayer : IStaticNc<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardTraining(input, output, dims.Batch, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor, d);
        }
        else
        {
            TLayer.ForwardTraining(input, output, dims.Batch, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardInference(input, output, dims.Batch, weight, bias, runningMean, runningVar, d);
        }
        else
        {
            TLayer.ForwardInference(input, output, dims.Batch, weight, bias, runningMean, runningVar);
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, weight, savedMean, savedInvStd, weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, weight, savedMean, savedInvStd, weightGrad, biasGrad);
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, weight, runningMean, runningVar, weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, weight, runningMean, runningVar, weightGrad, biasGrad);
        }
    }
}

public sealed class NcReluKernels<TLayer, T> : IKernelSet<T>
    where TLayer : IStaticNcRelu<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardTraining(input, output, dims.Batch, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor, d);
        }
        else
        {
            TLayer.ForwardTraining(input, output, dims.Batch, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardInference(input, output, dims.Batch, weight, bias, runningMean, runningVar, d);
        }
        else
        {
            TLayer.ForwardInference(input, output, dims.Batch, weight, bias, runningMean, runningVar);
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, weight, bias, savedMean, savedInvStd, weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, weight, bias, savedMean, savedInvStd, weightGrad, biasGrad);
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, weight, bias, runningMean, runningVar, weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, weight, bias, runningMean, runningVar, weightGrad, biasGrad);
        }
    }
}

public sealed class PlaneKernels<TLayer, T> : IKernelSet<T>
    where TLayer : IStaticPlane<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, savedMean, savedInvStd, runningMean,
                runningVar, factor, d);
        }
        else
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, savedMean, savedInvStd, runningMean,
                runningVar, factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, runningMean, runningVar, d);
        }
        else
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, runningMean, runningVar);
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, savedMean, savedInvStd, weightGrad,
                biasGrad, d);
        }
        else
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, savedMean, savedInvStd, weightGrad,
                biasGrad);
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, runningMean, runningVar, weightGrad,
                biasGrad, d);
        }
        else
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, runningMean, runningVar, weightGrad,
                biasGrad);
        }
    }
}

public sealed class PlaneReluKernels<TLayer, T> : IKernelSet<T>
    where TLayer : IStaticPlaneRelu<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, savedMean, savedInvStd, runningMean,
                runningVar, factor, d);
        }
        else
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, savedMean, savedInvStd, runningMean,
                runningVar, factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, runningMean, runningVar, d);
        }
        else
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Height, dims.Width, weight, bias, runningMean, runningVar);
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, bias, savedMean, savedInvStd,
                weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, bias, savedMean, savedInvStd,
                weightGrad, biasGrad);
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, bias, runningMean, runningVar,
                weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width, weight, bias, runningMean, runningVar,
                weightGrad, biasGrad);
        }
    }
}

public sealed class NclKernels<TLayer, T> : IKernelSet<T>
    where TLayer : IStaticNcl<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        Flat(dims);
        if (degree is int d)
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor, d);
        }
        else
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        Flat(dims);
        if (degree is int d)
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Width, weight, bias, runningMean, runningVar, d);
        }
        else
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Width, weight, bias, runningMean, runningVar);
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        Flat(dims);
        if (degree is int d)
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, savedMean, savedInvStd, weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, savedMean, savedInvStd, weightGrad, biasGrad);
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        Flat(dims);
        if (degree is int d)
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, runningMean, runningVar, weightGrad, biasGrad, d);
        }
        else
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, runningMean, runningVar, weightGrad, biasGrad);
        }
    }

    private static void Flat(Dims dims)
    {
        if (dims.Height != 1)
        {
            throw new InvalidOperationException($"NCL takes height 1, not {dims}");
        }
    }
}

public sealed class NclReluKernels<TLayer, T> : IKernelSet<T>
    where TLayer : IStaticNclRelu<T>
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor, d);
        }
        else
        {
            TLayer.ForwardTraining(input, output, dims.Batch, dims.Width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        if (degree is int d)
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Width, weight, bias, runningMean, runningVar, d);
        }
        else
        {
            TLayer.ForwardInference(input, output, dims.Batch, dims.Width, weight, bias, runningMean, runningVar);
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, bias, savedMean, savedInvStd, weightGrad,
                biasGrad, d);
        }
        else
        {
            TLayer.BackwardTraining(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, bias, savedMean, savedInvStd, weightGrad,
                biasGrad);
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (degree is int d)
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, bias, runningMean, runningVar, weightGrad,
                biasGrad, d);
        }
        else
        {
            TLayer.BackwardInference(input, gradOutput, gradInput, dims.Batch, dims.Width, weight, bias, runningMean, runningVar, weightGrad,
                biasGrad);
        }
    }
}

/// <summary>
/// <see cref="BatchNormKernels"/> for one features / layout / ε: NCL passes height 1 and the length as width, NC a 1 × 1
/// plane. It has no activation: the bias of the backward kernels is not passed on.
/// </summary>
public sealed class RuntimeKernels<T>(int features, BatchNormLayout layout, double epsilon) : IKernelSet<T>
    where T : unmanaged
{
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor, int? degree)
    {
        if (typeof(T) == typeof(float))
        {
            if (degree is int d)
            {
                BatchNormKernels.ForwardTraining(F(input), F(output), features, layout, dims.Batch, dims.Height, dims.Width, F(weight), F(bias), epsilon,
                    savedMean, savedInvStd, F(runningMean), F(runningVar), factor, d);
            }
            else
            {
                BatchNormKernels.ForwardTraining(F(input), F(output), features, layout, dims.Batch, dims.Height, dims.Width, F(weight), F(bias), epsilon,
                    savedMean, savedInvStd, F(runningMean), F(runningVar), factor);
            }
        }
        else if (degree is int d)
        {
            BatchNormKernels.ForwardTraining(D(input), D(output), features, layout, dims.Batch, dims.Height, dims.Width, D(weight), D(bias), epsilon,
                savedMean, savedInvStd, D(runningMean), D(runningVar), factor, d);
        }
        else
        {
            BatchNormKernels.ForwardTraining(D(input), D(output), features, layout, dims.Batch, dims.Height, dims.Width, D(weight), D(bias), epsilon,
                savedMean, savedInvStd, D(runningMean), D(runningVar), factor);
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, Dims dims, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int? degree)
    {
        if (typeof(T) == typeof(float))
        {
            if (degree is int d)
            {
                BatchNormKernels.ForwardInference(F(input), F(output), features, layout, dims.Batch, dims.Height, dims.Width, F(weight), F(bias),
                    epsilon, F(runningMean), F(runningVar), d);
            }
            else
            {
                BatchNormKernels.ForwardInference(F(input), F(output), features, layout, dims.Batch, dims.Height, dims.Width, F(weight), F(bias),
                    epsilon, F(runningMean), F(runningVar));
            }
        }
        else if (degree is int d)
        {
            BatchNormKernels.ForwardInference(D(input), D(output), features, layout, dims.Batch, dims.Height, dims.Width, D(weight), D(bias),
                epsilon, D(runningMean), D(runningVar), d);
        }
        else
        {
            BatchNormKernels.ForwardInference(D(input), D(output), features, layout, dims.Batch, dims.Height, dims.Width, D(weight), D(bias),
                epsilon, D(runningMean), D(runningVar));
        }
    }

    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (typeof(T) == typeof(float))
        {
            if (degree is int d)
            {
                BatchNormKernels.BackwardTraining(F(input), F(gradOutput), F(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                    F(weight), savedMean, savedInvStd, F(weightGrad), F(biasGrad), d);
            }
            else
            {
                BatchNormKernels.BackwardTraining(F(input), F(gradOutput), F(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                    F(weight), savedMean, savedInvStd, F(weightGrad), F(biasGrad));
            }
        }
        else if (degree is int d)
        {
            BatchNormKernels.BackwardTraining(D(input), D(gradOutput), D(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                D(weight), savedMean, savedInvStd, D(weightGrad), D(biasGrad), d);
        }
        else
        {
            BatchNormKernels.BackwardTraining(D(input), D(gradOutput), D(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                D(weight), savedMean, savedInvStd, D(weightGrad), D(biasGrad));
        }
    }

    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int? degree)
    {
        if (typeof(T) == typeof(float))
        {
            if (degree is int d)
            {
                BatchNormKernels.BackwardInference(F(input), F(gradOutput), F(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                    F(weight), epsilon, F(runningMean), F(runningVar), F(weightGrad), F(biasGrad), d);
            }
            else
            {
                BatchNormKernels.BackwardInference(F(input), F(gradOutput), F(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                    F(weight), epsilon, F(runningMean), F(runningVar), F(weightGrad), F(biasGrad));
            }
        }
        else if (degree is int d)
        {
            BatchNormKernels.BackwardInference(D(input), D(gradOutput), D(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                D(weight), epsilon, D(runningMean), D(runningVar), D(weightGrad), D(biasGrad), d);
        }
        else
        {
            BatchNormKernels.BackwardInference(D(input), D(gradOutput), D(gradInput), features, layout, dims.Batch, dims.Height, dims.Width,
                D(weight), epsilon, D(runningMean), D(runningVar), D(weightGrad), D(biasGrad));
        }
    }

    private static ReadOnlySpan<float> F(ReadOnlySpan<T> values) => MemoryMarshal.Cast<T, float>(values);

    private static Span<float> F(Span<T> values) => MemoryMarshal.Cast<T, float>(values);

    private static ReadOnlySpan<double> D(ReadOnlySpan<T> values) => MemoryMarshal.Cast<T, double>(values);

    private static Span<double> D(Span<T> values) => MemoryMarshal.Cast<T, double>(values);
}

/// <summary>
/// A whole layer from a kernel set, with a generated instance's state and call sequence (LayerCore's): the running
/// update with the momentum or the cumulative factor, NumBatchesTracked, the saved statistics, the backward of the
/// last forward's mode. Arrays a configuration lacks are passed as empty spans. Parameter gradients are overwritten.
/// </summary>
public sealed class KernelLayer<T> : ILayerDriver<T>
    where T : unmanaged
{
    private readonly IKernelSet<T> _kernels;
    private bool _lastUsedRunning;

    public KernelLayer(IKernelSet<T> kernels, LayerOptions options)
    {
        _kernels = kernels;
        Options = options;
        int f = options.Features;
        SavedMean = new double[f];
        SavedInvStd = new double[f];
        if (options.Affine)
        {
            Weight = Data.Filled<T>(f, 1);
            Bias = new T[f];
            WeightGrad = new T[f];
            BiasGrad = new T[f];
        }
        if (options.Track)
        {
            RunningMean = new T[f];
            RunningVar = Data.Filled<T>(f, 1);
            NumBatchesTracked = 0;
        }
    }

    public LayerOptions Options { get; }

    public bool Training { get; set; } = true;

    /// <summary>The degree passed to every kernel (null: the overload without it).</summary>
    public int? Degree { get; set; }

    public T[]? Weight { get; }

    public T[]? Bias { get; }

    public T[]? WeightGrad { get; }

    public T[]? BiasGrad { get; }

    public T[]? RunningMean { get; }

    public T[]? RunningVar { get; }

    public long? NumBatchesTracked { get; private set; }

    public double[] SavedMean { get; }

    public double[] SavedInvStd { get; }

    public void Forward(ReadOnlySpan<T> input, Span<T> output, Dims dims)
    {
        if (Options.Track && !Training)
        {
            _kernels.ForwardInference(input, output, dims, Weight, Bias, RunningMean, RunningVar, Degree);
            _lastUsedRunning = true;
            return;
        }
        double factor = Options.Track ? Options.Factor(NumBatchesTracked!.Value) : 0;
        _kernels.ForwardTraining(input, output, dims, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, factor, Degree);
        if (Options.Track)
        {
            NumBatchesTracked++;
        }
        _lastUsedRunning = false;
    }

    public void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims)
    {
        if (_lastUsedRunning)
        {
            _kernels.BackwardInference(input, gradOutput, gradInput, dims, Weight, Bias, RunningMean, RunningVar, WeightGrad, BiasGrad, Degree);
        }
        else
        {
            _kernels.BackwardTraining(input, gradOutput, gradInput, dims, Weight, Bias, SavedMean, SavedInvStd, WeightGrad, BiasGrad, Degree);
        }
    }
}
