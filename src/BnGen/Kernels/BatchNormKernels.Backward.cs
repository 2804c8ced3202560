using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnGen;

public static partial class BatchNormKernels
{
    /// <summary>
    /// Backward of <see cref="ForwardTraining(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{double}, Span{double}, Span{float}, Span{float}, double)"/>:
    /// the full gradient through the batch statistics, dx = γ · invStd · (dy − Σdy / n − x̂ · Σ(dy · x̂) / n) with
    /// x̂ = (x − savedMean) · savedInvStd, computed as dx = dy · a + x · b + k with per-feature coefficients.
    /// weightGrad = Σ dy · x̂ and biasGrad = Σ dy are overwritten when given.
    /// </summary>
    /// <param name="input">x, the forward input: batch · features · height · width values in NCHW order (row-major [batch, features] for NC).</param>
    /// <param name="gradOutput">dLoss/dy, same length.</param>
    /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
    /// <param name="features">Number of features (NC) or channels (NCHW).</param>
    /// <param name="layout">Memory layout of the tensors.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Plane height H; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="width">Plane width W; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for no affine transform (γ = 1).</param>
    /// <param name="savedMean">The batch mean per feature written by the training forward.</param>
    /// <param name="savedInvStd">The 1 / sqrt(var + ε) per feature written by the training forward.</param>
    /// <param name="weightGrad">Receives dLoss/dγ = Σ dy · x̂, length <paramref name="features"/>; empty when not wanted.</param>
    /// <param name="biasGrad">Receives dLoss/dβ = Σ dy, length <paramref name="features"/>; empty when not wanted.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive or the layout is undefined.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), or NC was given a plane other than 1 × 1. Nothing is written then.</exception>
    public static void BackwardTraining(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<float> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd,
        Span<float> weightGrad, Span<float> biasGrad)
        => BackwardTraining<float>(input, gradOutput, gradInput, Shape.Validate(features, layout, batch, height, width), weight,
            savedMean, savedInvStd, weightGrad, biasGrad);

    /// <inheritdoc cref="BackwardTraining(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{float}, Span{float})"/>
    public static void BackwardTraining(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<double> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd,
        Span<double> weightGrad, Span<double> biasGrad)
        => BackwardTraining<double>(input, gradOutput, gradInput, Shape.Validate(features, layout, batch, height, width), weight,
            savedMean, savedInvStd, weightGrad, biasGrad);

    /// <summary>
    /// Backward of <see cref="ForwardInference(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float})"/>:
    /// the running statistics are constants, so dx = dy · γ / sqrt(runningVar + ε). weightGrad = Σ dy · x̂ with
    /// x̂ = (x − runningMean) / sqrt(runningVar + ε), and biasGrad = Σ dy, are overwritten when given.
    /// </summary>
    /// <param name="input">x, the forward input: batch · features · height · width values in NCHW order (row-major [batch, features] for NC).</param>
    /// <param name="gradOutput">dLoss/dy, same length.</param>
    /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
    /// <param name="features">Number of features (NC) or channels (NCHW).</param>
    /// <param name="layout">Memory layout of the tensors.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Plane height H; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="width">Plane width W; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for no affine transform (γ = 1).</param>
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
        => BackwardInference<float>(input, gradOutput, gradInput, Shape.Validate(features, layout, batch, height, width), weight, epsilon,
            runningMean, runningVar, weightGrad, biasGrad);

    /// <inheritdoc cref="BackwardInference(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float})"/>
    public static void BackwardInference(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int features, BatchNormLayout layout,
        int batch, int height, int width, ReadOnlySpan<double> weight, double epsilon, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar,
        Span<double> weightGrad, Span<double> biasGrad)
        => BackwardInference<double>(input, gradOutput, gradInput, Shape.Validate(features, layout, batch, height, width), weight, epsilon,
            runningMean, runningVar, weightGrad, biasGrad);

    private static void BackwardTraining<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Shape shape, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
        where T : unmanaged
    {
        shape.CheckTensor(nameof(input), input.Length);
        shape.CheckTensor(nameof(gradOutput), gradOutput.Length);
        shape.CheckTensor(nameof(gradInput), gradInput.Length);
        shape.CheckOptionalPerFeature(nameof(weight), weight.Length);
        shape.CheckPerFeature(nameof(savedMean), savedMean.Length);
        shape.CheckPerFeature(nameof(savedInvStd), savedInvStd.Length);
        shape.CheckOptionalPerFeature(nameof(weightGrad), weightGrad.Length);
        shape.CheckOptionalPerFeature(nameof(biasGrad), biasGrad.Length);

        int features = shape.Features, batch = shape.Batch, plane = shape.Plane;
        double n = shape.PerChannel;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T dy = ref MemoryMarshal.GetReference(gradOutput);
        ref T dx = ref MemoryMarshal.GetReference(gradInput);

        if (plane == 1)
        {
            // Per block of features: one pass over the rows for Σ dy and Σ dy · (x − mean) in double, then the
            // coefficients, then dx = dy · a + x · b + k. A block's sums are complete before its dx is written, so
            // gradInput may be gradOutput.
            Span<double> sums = stackalloc double[2 * Block];
            ref double sumsDy = ref MemoryMarshal.GetReference(sums);
            ref double dots = ref Unsafe.Add(ref sumsDy, Block);
            Span<T> coefficients = stackalloc T[3 * Block];
            ref T aa = ref MemoryMarshal.GetReference(coefficients);
            ref T bb = ref Unsafe.Add(ref aa, Block);
            ref T kk = ref Unsafe.Add(ref aa, 2 * Block);
            ref double means = ref MemoryMarshal.GetReference(savedMean);
            for (int c0 = 0; c0 < features; c0 += Block)
            {
                int length = Math.Min(Block, features - c0);
                RowsGradientSums(ref x, ref dy, batch, features, c0, length, ref Unsafe.Add(ref means, c0), ref sumsDy, ref dots);
                for (int j = 0; j < length; j++)
                {
                    int c = c0 + j;
                    TrainingGradient(weight, savedMean[c], savedInvStd[c], n, c, Unsafe.Add(ref sumsDy, j), Unsafe.Add(ref dots, j),
                        weightGrad, biasGrad, out Unsafe.Add(ref aa, j), out Unsafe.Add(ref bb, j), out Unsafe.Add(ref kk, j));
                }
                RowsBackward(ref x, ref dy, ref dx, batch, features, c0, length, ref aa, ref bb, ref kk);
            }
        }
        else
        {
            // Channel by channel: one pass for Σ dy and Σ dy · (x − mean) in double, then dx = dy · a + x · b + k.
            nint stride = (nint)features * plane;
            for (int c = 0; c < features; c++)
            {
                nint offset = (nint)c * plane;
                ref T xc = ref Unsafe.Add(ref x, offset);
                ref T dyc = ref Unsafe.Add(ref dy, offset);
                double mean = savedMean[c];
                ChannelGradientSums(ref xc, ref dyc, batch, plane, stride, mean, out double sumDy, out double dot);
                TrainingGradient(weight, mean, savedInvStd[c], n, c, sumDy, dot, weightGrad, biasGrad, out T a, out T b, out T k);
                ChannelBackward(ref xc, ref dyc, ref Unsafe.Add(ref dx, offset), batch, plane, stride, a, b, k);
            }
        }
    }

    /// <summary>
    /// The training-mode gradient of feature c from its sums: writes weightGrad = Σ dy · x̂ and biasGrad = Σ dy when wanted
    /// and returns the coefficients of dx = dy · a + x · b + k, where
    /// dx = γ · invStd · (dy − Σdy / n − (x − mean) · invStd² · Σ(dy · (x − mean)) / n).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TrainingGradient<T>(ReadOnlySpan<T> weight, double mean, double invStd, double n, int c, double sumDy, double dot,
        Span<T> weightGrad, Span<T> biasGrad, out T a, out T b, out T k)
        where T : unmanaged
    {
        if (!weightGrad.IsEmpty)
        {
            weightGrad[c] = FromDouble<T>(dot * invStd);
        }
        if (!biasGrad.IsEmpty)
        {
            biasGrad[c] = FromDouble<T>(sumDy);
        }
        double scale = Gamma(weight, c) * invStd;
        double slope = dot * invStd * invStd / n;
        a = FromDouble<T>(scale);
        b = FromDouble<T>(-scale * slope);
        k = FromDouble<T>(scale * (mean * slope - sumDy / n));
    }

    private static void BackwardInference<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Shape shape, ReadOnlySpan<T> weight,
        double epsilon, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
        where T : unmanaged
    {
        shape.CheckTensor(nameof(input), input.Length);
        shape.CheckTensor(nameof(gradOutput), gradOutput.Length);
        shape.CheckTensor(nameof(gradInput), gradInput.Length);
        shape.CheckOptionalPerFeature(nameof(weight), weight.Length);
        CheckEpsilon(epsilon);
        shape.CheckPerFeature(nameof(runningMean), runningMean.Length);
        shape.CheckPerFeature(nameof(runningVar), runningVar.Length);
        shape.CheckOptionalPerFeature(nameof(weightGrad), weightGrad.Length);
        shape.CheckOptionalPerFeature(nameof(biasGrad), biasGrad.Length);

        int features = shape.Features, batch = shape.Batch, plane = shape.Plane;
        bool parameterGrads = !weightGrad.IsEmpty || !biasGrad.IsEmpty;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T dy = ref MemoryMarshal.GetReference(gradOutput);
        ref T dx = ref MemoryMarshal.GetReference(gradInput);

        if (plane == 1)
        {
            // Per block of features: the parameter sums (if wanted) over the rows, then dx = dy · scale + 0.
            Span<double> sums = stackalloc double[3 * Block];
            ref double sumsDy = ref MemoryMarshal.GetReference(sums);
            ref double dots = ref Unsafe.Add(ref sumsDy, Block);
            ref double means = ref Unsafe.Add(ref sumsDy, 2 * Block);
            Span<T> coefficients = stackalloc T[2 * Block];
            ref T scales = ref MemoryMarshal.GetReference(coefficients);
            ref T zeros = ref Unsafe.Add(ref scales, Block);
            coefficients.Slice(Block).Clear();
            for (int c0 = 0; c0 < features; c0 += Block)
            {
                int length = Math.Min(Block, features - c0);
                if (parameterGrads)
                {
                    for (int j = 0; j < length; j++)
                    {
                        Unsafe.Add(ref means, j) = ToDouble(runningMean[c0 + j]);
                    }
                    RowsGradientSums(ref x, ref dy, batch, features, c0, length, ref means, ref sumsDy, ref dots);
                }
                for (int j = 0; j < length; j++)
                {
                    int c = c0 + j;
                    double invStd = 1d / Math.Sqrt(ToDouble(runningVar[c]) + epsilon);
                    if (parameterGrads)
                    {
                        InferenceParameterGradients(weightGrad, biasGrad, c, invStd, Unsafe.Add(ref sumsDy, j), Unsafe.Add(ref dots, j));
                    }
                    Unsafe.Add(ref scales, j) = FromDouble<T>(Gamma(weight, c) * invStd);
                }
                RowsAffine(ref dy, ref dx, batch, features, c0, length, ref scales, ref zeros);
            }
        }
        else
        {
            // Channel by channel: the parameter sums (if wanted), then dx = dy · γ · invStd.
            nint stride = (nint)features * plane;
            for (int c = 0; c < features; c++)
            {
                nint offset = (nint)c * plane;
                ref T dyc = ref Unsafe.Add(ref dy, offset);
                double invStd = 1d / Math.Sqrt(ToDouble(runningVar[c]) + epsilon);
                if (parameterGrads)
                {
                    ChannelGradientSums(ref Unsafe.Add(ref x, offset), ref dyc, batch, plane, stride, ToDouble(runningMean[c]), out double sumDy, out double dot);
                    InferenceParameterGradients(weightGrad, biasGrad, c, invStd, sumDy, dot);
                }
                ChannelAffine(ref dyc, ref Unsafe.Add(ref dx, offset), batch, plane, stride, FromDouble<T>(Gamma(weight, c) * invStd), default(T));
            }
        }
    }

    /// <summary>weightGrad = Σ dy · (x − runningMean) · invStd and biasGrad = Σ dy, each when wanted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InferenceParameterGradients<T>(Span<T> weightGrad, Span<T> biasGrad, int c, double invStd, double sumDy, double dot)
        where T : unmanaged
    {
        if (!weightGrad.IsEmpty)
        {
            weightGrad[c] = FromDouble<T>(dot * invStd);
        }
        if (!biasGrad.IsEmpty)
        {
            biasGrad[c] = FromDouble<T>(sumDy);
        }
    }
}
