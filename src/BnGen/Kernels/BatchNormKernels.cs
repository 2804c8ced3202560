using System;
using BnGen.Internal;

namespace BnGen;

/// <summary>
/// Batch normalization with the shape given at run time (features, layout, batch, height, width): the same kernels the
/// generated layers run, with the feature count, ε and the layout read from arguments instead of folded in as
/// constants, and so the same results bit for bit.
/// </summary>
/// <remarks>
/// <para>
/// Every method checks all of its arguments before it writes anything: a rejected call leaves every span it was given
/// unchanged. Dimensions that are not positive and an undefined layout give <see cref="ArgumentOutOfRangeException"/>;
/// a span of the wrong length gives <see cref="ArgumentException"/> naming the expected length; batch statistics over a
/// single value per channel give <see cref="ArgumentException"/>, as PyTorch's "Expected more than 1 value per channel
/// when training". <see cref="BatchNormLayout.NC"/> takes height = width = 1; <see cref="BatchNormLayout.NCL"/> takes
/// height = 1 and the length as width.
/// </para>
/// <para>
/// Statistics are sums in double in a fixed order (see the README's "One result on every machine"), shifted by each
/// channel's first value, with an exact second pass when that shift would cancel; normalizing is y = x · scale + shift
/// with one fused multiply-add. Overloads with <c>maxDegreeOfParallelism</c> split the work over threads (-1: all cores)
/// with results identical to one thread's. No method allocates on the heap after its first call on a thread.
/// </para>
/// </remarks>
public static class BatchNormKernels
{
    /// <summary>
    /// Training-mode forward (PyTorch's <c>batch_norm</c> with <c>training=True</c>): normalizes each feature with its
    /// batch statistics over n = batch · height · width values, y = (x − mean) / sqrt(var + ε) · γ + β with the biased
    /// variance, computed as y = x · scale + shift. When running statistics are given, they then move toward the batch
    /// statistics: running = (1 − exponentialAverageFactor) · running + exponentialAverageFactor · batch statistic, with
    /// the unbiased variance var · n / (n − 1).
    /// </summary>
    /// <param name="input">x: batch · features · height · width values in the layout's order.</param>
    /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="bias">β, length <paramref name="features"/>; empty for β = 0.</param>
    /// <param name="epsilon">Added to the variance before the square root (PyTorch's <c>eps</c>); finite and positive.</param>
    /// <param name="savedMean">Receives the batch mean per feature (length <paramref name="features"/>), for the backward pass.</param>
    /// <param name="savedInvStd">Receives 1 / sqrt(var + ε) per feature (length <paramref name="features"/>), for the backward pass.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>, updated; empty (with <paramref name="runningVar"/>) when no running statistics are kept.</param>
    /// <param name="runningVar">Running unbiased variance, length <paramref name="features"/>, updated; empty (with <paramref name="runningMean"/>) when no running statistics are kept.</param>
    /// <param name="exponentialAverageFactor">Weight of the batch statistic in [0, 1]: PyTorch's momentum, or 1 / (batches seen, this one included) for a cumulative average.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, <paramref name="epsilon"/> is not finite and positive, or the factor is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), NC was given a plane other than 1 × 1, or there is a single value per feature. Nothing is written then.</exception>
    public static void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon, Span<double> savedMean, Span<double> savedInvStd,
        Span<float> runningMean, Span<float> runningVar, double exponentialAverageFactor)
        => ForwardTraining(input, output, features, layout, batch, height, width, weight, bias, epsilon, savedMean, savedInvStd,
            runningMean, runningVar, exponentialAverageFactor, 1);

    /// <summary>
    /// Training-mode forward (PyTorch's <c>batch_norm</c> with <c>training=True</c>): normalizes each feature with its
    /// batch statistics over n = batch · height · width values, y = (x − mean) / sqrt(var + ε) · γ + β with the biased
    /// variance, computed as y = x · scale + shift. When running statistics are given, they then move toward the batch
    /// statistics: running = (1 − exponentialAverageFactor) · running + exponentialAverageFactor · batch statistic, with
    /// the unbiased variance var · n / (n − 1).
    /// </summary>
    /// <param name="input">x: batch · features · height · width values in the layout's order.</param>
    /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="bias">β, length <paramref name="features"/>; empty for β = 0.</param>
    /// <param name="epsilon">Added to the variance before the square root (PyTorch's <c>eps</c>); finite and positive.</param>
    /// <param name="savedMean">Receives the batch mean per feature (length <paramref name="features"/>), for the backward pass.</param>
    /// <param name="savedInvStd">Receives 1 / sqrt(var + ε) per feature (length <paramref name="features"/>), for the backward pass.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>, updated; empty (with <paramref name="runningVar"/>) when no running statistics are kept.</param>
    /// <param name="runningVar">Running unbiased variance, length <paramref name="features"/>, updated; empty (with <paramref name="runningMean"/>) when no running statistics are kept.</param>
    /// <param name="exponentialAverageFactor">Weight of the batch statistic in [0, 1]: PyTorch's momentum, or 1 / (batches seen, this one included) for a cumulative average.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most, the calling thread included: -1 for all cores; the result does not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, <paramref name="epsilon"/> is not finite and positive, or the factor is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), NC was given a plane other than 1 × 1, or there is a single value per feature. Nothing is written then.</exception>
    public static void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon, Span<double> savedMean, Span<double> savedInvStd,
        Span<float> runningMean, Span<float> runningVar, double exponentialAverageFactor, int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<float, RuntimeLayer>.ForwardTraining(Layer(features, layout, epsilon), input, output, shape, weight, bias,
            savedMean, savedInvStd, runningMean, runningVar, exponentialAverageFactor, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="ForwardTraining(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{double}, Span{double}, Span{float}, Span{float}, double)"/>
    public static void ForwardTraining(ReadOnlySpan<double> input, Span<double> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, double epsilon, Span<double> savedMean, Span<double> savedInvStd,
        Span<double> runningMean, Span<double> runningVar, double exponentialAverageFactor)
        => ForwardTraining(input, output, features, layout, batch, height, width, weight, bias, epsilon, savedMean, savedInvStd,
            runningMean, runningVar, exponentialAverageFactor, 1);

    /// <inheritdoc cref="ForwardTraining(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{double}, Span{double}, Span{float}, Span{float}, double, int)"/>
    public static void ForwardTraining(ReadOnlySpan<double> input, Span<double> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, double epsilon, Span<double> savedMean, Span<double> savedInvStd,
        Span<double> runningMean, Span<double> runningVar, double exponentialAverageFactor, int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<double, RuntimeLayer>.ForwardTraining(Layer(features, layout, epsilon), input, output, shape, weight, bias,
            savedMean, savedInvStd, runningMean, runningVar, exponentialAverageFactor, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Evaluation-mode forward with running statistics (PyTorch's <c>batch_norm</c> with <c>training=False</c>):
    /// y = (x − runningMean) / sqrt(runningVar + ε) · γ + β, computed as y = x · scale + shift. Updates nothing.
    /// </summary>
    /// <param name="input">x: batch · features · height · width values in the layout's order.</param>
    /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="bias">β, length <paramref name="features"/>; empty for β = 0.</param>
    /// <param name="epsilon">Added to the variance before the square root (PyTorch's <c>eps</c>); finite and positive.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>.</param>
    /// <param name="runningVar">Running variance, length <paramref name="features"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, or <paramref name="epsilon"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), or NC was given a plane other than 1 × 1. Nothing is written then.</exception>
    public static void ForwardInference(ReadOnlySpan<float> input, Span<float> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar)
        => ForwardInference(input, output, features, layout, batch, height, width, weight, bias, epsilon, runningMean, runningVar, 1);

    /// <summary>
    /// Evaluation-mode forward with running statistics (PyTorch's <c>batch_norm</c> with <c>training=False</c>):
    /// y = (x − runningMean) / sqrt(runningVar + ε) · γ + β, computed as y = x · scale + shift. Updates nothing.
    /// </summary>
    /// <param name="input">x: batch · features · height · width values in the layout's order.</param>
    /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="bias">β, length <paramref name="features"/>; empty for β = 0.</param>
    /// <param name="epsilon">Added to the variance before the square root (PyTorch's <c>eps</c>); finite and positive.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>.</param>
    /// <param name="runningVar">Running variance, length <paramref name="features"/>.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most, the calling thread included: -1 for all cores; the result does not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, or <paramref name="epsilon"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), or NC was given a plane other than 1 × 1. Nothing is written then.</exception>
    public static void ForwardInference(ReadOnlySpan<float> input, Span<float> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar,
        int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<float, RuntimeLayer>.ForwardInference(Layer(features, layout, epsilon), input, output, shape, weight, bias,
            runningMean, runningVar, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="ForwardInference(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    public static void ForwardInference(ReadOnlySpan<double> input, Span<double> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, double epsilon, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar)
        => ForwardInference(input, output, features, layout, batch, height, width, weight, bias, epsilon, runningMean, runningVar, 1);

    /// <inheritdoc cref="ForwardInference(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/>
    public static void ForwardInference(ReadOnlySpan<double> input, Span<double> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, double epsilon, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar,
        int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<double, RuntimeLayer>.ForwardInference(Layer(features, layout, epsilon), input, output, shape, weight, bias,
            runningMean, runningVar, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Backward of the training forward: the full gradient through the batch statistics,
    /// dx = γ · invStd · (dy − Σdy / n − x̂ · Σ(dy · x̂) / n) with x̂ = (x − savedMean) · savedInvStd, computed as PyTorch's
    /// CPU kernel does, (dy − Σdy/n − (x − mean) · k) · γ · invStd, with x centred in the pass.
    /// weightGrad = Σ dy · x̂ and biasGrad = Σ dy are overwritten when given.
    /// </summary>
    /// <param name="input">x, the forward input: batch · features · height · width values in the layout's order.</param>
    /// <param name="gradOutput">dLoss/dy, same length.</param>
    /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of the tensors.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="savedMean">The batch mean per feature written by the training forward.</param>
    /// <param name="savedInvStd">The 1 / sqrt(var + ε) per feature written by the training forward.</param>
    /// <param name="weightGrad">Receives dLoss/dγ = Σ dy · x̂, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="biasGrad">Receives dLoss/dβ = Σ dy, length <paramref name="features"/>; empty when not wanted.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive or the layout is undefined.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), NC was given a plane other than 1 × 1, or there is a single value per feature. Nothing is written then.</exception>
    public static void BackwardTraining(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<float> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd,
        Span<float> weightGrad, Span<float> biasGrad)
        => BackwardTraining(input, gradOutput, gradInput, features, layout, batch, height, width, weight, savedMean, savedInvStd,
            weightGrad, biasGrad, 1);

    /// <summary>
    /// Backward of the training forward: the full gradient through the batch statistics,
    /// dx = γ · invStd · (dy − Σdy / n − x̂ · Σ(dy · x̂) / n) with x̂ = (x − savedMean) · savedInvStd, computed as PyTorch's
    /// CPU kernel does, (dy − Σdy/n − (x − mean) · k) · γ · invStd, with x centred in the pass.
    /// weightGrad = Σ dy · x̂ and biasGrad = Σ dy are overwritten when given.
    /// </summary>
    /// <param name="input">x, the forward input: batch · features · height · width values in the layout's order.</param>
    /// <param name="gradOutput">dLoss/dy, same length.</param>
    /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of the tensors.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="savedMean">The batch mean per feature written by the training forward.</param>
    /// <param name="savedInvStd">The 1 / sqrt(var + ε) per feature written by the training forward.</param>
    /// <param name="weightGrad">Receives dLoss/dγ = Σ dy · x̂, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="biasGrad">Receives dLoss/dβ = Σ dy, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most, the calling thread included: -1 for all cores; the result does not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive or the layout is undefined.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), NC was given a plane other than 1 × 1, or there is a single value per feature. Nothing is written then.</exception>
    public static void BackwardTraining(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<float> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd,
        Span<float> weightGrad, Span<float> biasGrad, int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<float, RuntimeLayer>.BackwardTraining(Layer(features, layout, 1d), input, gradOutput, gradInput, shape, weight,
            default, savedMean, savedInvStd, weightGrad, biasGrad, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="BackwardTraining(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{float}, Span{float})"/>
    public static void BackwardTraining(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<double> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd,
        Span<double> weightGrad, Span<double> biasGrad)
        => BackwardTraining(input, gradOutput, gradInput, features, layout, batch, height, width, weight, savedMean, savedInvStd,
            weightGrad, biasGrad, 1);

    /// <inheritdoc cref="BackwardTraining(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{float}, Span{float}, int)"/>
    public static void BackwardTraining(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<double> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd,
        Span<double> weightGrad, Span<double> biasGrad, int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<double, RuntimeLayer>.BackwardTraining(Layer(features, layout, 1d), input, gradOutput, gradInput, shape, weight,
            default, savedMean, savedInvStd, weightGrad, biasGrad, maxDegreeOfParallelism);
    }

    /// <summary>
    /// Backward of the evaluation forward: the running statistics are constants, so dx = dy · γ / sqrt(runningVar + ε).
    /// weightGrad = Σ dy · x̂ with x̂ = (x − runningMean) / sqrt(runningVar + ε), and biasGrad = Σ dy, are overwritten when
    /// given (in the same pass as dx).
    /// </summary>
    /// <param name="input">x, the forward input: batch · features · height · width values in the layout's order.</param>
    /// <param name="gradOutput">dLoss/dy, same length.</param>
    /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of the tensors.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="epsilon">The forward call's ε; finite and positive.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>.</param>
    /// <param name="runningVar">Running variance, length <paramref name="features"/>.</param>
    /// <param name="weightGrad">Receives dLoss/dγ, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="biasGrad">Receives dLoss/dβ, length <paramref name="features"/>; empty when not wanted.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, or <paramref name="epsilon"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), or NC was given a plane other than 1 × 1. Nothing is written then.</exception>
    public static void BackwardInference(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<float> weight, double epsilon, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar,
        Span<float> weightGrad, Span<float> biasGrad)
        => BackwardInference(input, gradOutput, gradInput, features, layout, batch, height, width, weight, epsilon, runningMean, runningVar,
            weightGrad, biasGrad, 1);

    /// <summary>
    /// Backward of the evaluation forward: the running statistics are constants, so dx = dy · γ / sqrt(runningVar + ε).
    /// weightGrad = Σ dy · x̂ with x̂ = (x − runningMean) / sqrt(runningVar + ε), and biasGrad = Σ dy, are overwritten when
    /// given (in the same pass as dx).
    /// </summary>
    /// <param name="input">x, the forward input: batch · features · height · width values in the layout's order.</param>
    /// <param name="gradOutput">dLoss/dy, same length.</param>
    /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
    /// <param name="features">Number of features (NC) or channels.</param>
    /// <param name="layout">Memory layout of the tensors.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Height H; 1 for <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>.</param>
    /// <param name="width">Width W, or the length of <see cref="BatchNormLayout.NCL"/>; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for γ = 1.</param>
    /// <param name="epsilon">The forward call's ε; finite and positive.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>.</param>
    /// <param name="runningVar">Running variance, length <paramref name="features"/>.</param>
    /// <param name="weightGrad">Receives dLoss/dγ, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="biasGrad">Receives dLoss/dβ, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="maxDegreeOfParallelism">Threads to use at most, the calling thread included: -1 for all cores; the result does not depend on it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, or <paramref name="epsilon"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), or NC was given a plane other than 1 × 1. Nothing is written then.</exception>
    public static void BackwardInference(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<float> weight, double epsilon, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar,
        Span<float> weightGrad, Span<float> biasGrad, int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<float, RuntimeLayer>.BackwardInference(Layer(features, layout, epsilon), input, gradOutput, gradInput, shape, weight,
            default, runningMean, runningVar, weightGrad, biasGrad, maxDegreeOfParallelism);
    }

    /// <inheritdoc cref="BackwardInference(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>
    public static void BackwardInference(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<double> weight, double epsilon, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar,
        Span<double> weightGrad, Span<double> biasGrad)
        => BackwardInference(input, gradOutput, gradInput, features, layout, batch, height, width, weight, epsilon, runningMean, runningVar,
            weightGrad, biasGrad, 1);

    /// <inheritdoc cref="BackwardInference(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int)"/>
    public static void BackwardInference(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<double> weight, double epsilon, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar,
        Span<double> weightGrad, Span<double> biasGrad, int maxDegreeOfParallelism)
    {
        TensorShape shape = TensorShape.Runtime(features, layout, batch, height, width);
        LayerKernels<double, RuntimeLayer>.BackwardInference(Layer(features, layout, epsilon), input, gradOutput, gradInput, shape, weight,
            default, runningMean, runningVar, weightGrad, biasGrad, maxDegreeOfParallelism);
    }

    /// <summary>The constants of a runtime-shaped call; ε is checked here (the shape was checked before).</summary>
    private static RuntimeLayer Layer(int features, BatchNormLayout layout, double epsilon)
    {
        if (!(epsilon > 0d && double.IsFinite(epsilon)))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(epsilon), epsilon, "must be finite and positive");
        }
        return new RuntimeLayer(features, layout, epsilon);
    }
}
