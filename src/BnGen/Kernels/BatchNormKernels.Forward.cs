using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnGen;

public static partial class BatchNormKernels
{
    /// <summary>
    /// Training-mode forward (PyTorch's <c>batch_norm</c> with <c>training=True</c>): normalizes each feature with its
    /// batch statistics over n = batch · height · width values, y = (x − mean) / sqrt(var + ε) · γ + β with the biased
    /// variance, computed as y = x · scale + shift. When running statistics are given, they then move toward the batch
    /// statistics: running = (1 − exponentialAverageFactor) · running + exponentialAverageFactor · batch statistic, with
    /// the unbiased variance var · n / (n − 1).
    /// </summary>
    /// <param name="input">x: batch · features · height · width values in NCHW order (row-major [batch, features] for NC).</param>
    /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="features">Number of features (NC) or channels (NCHW).</param>
    /// <param name="layout">Memory layout of <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Plane height H; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="width">Plane width W; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for no affine transform (γ = 1).</param>
    /// <param name="bias">β, length <paramref name="features"/>; empty for no affine transform (β = 0).</param>
    /// <param name="epsilon">Added to the variance before the square root (PyTorch's <c>eps</c>); finite and positive.</param>
    /// <param name="savedMean">Receives the batch mean per feature (length <paramref name="features"/>), for <see cref="BackwardTraining(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{float}, Span{float})"/>.</param>
    /// <param name="savedInvStd">Receives 1 / sqrt(var + ε) per feature (length <paramref name="features"/>), for the backward pass.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>, updated; empty (with <paramref name="runningVar"/>) when no running statistics are kept.</param>
    /// <param name="runningVar">Running unbiased variance, length <paramref name="features"/>, updated; empty (with <paramref name="runningMean"/>) when no running statistics are kept.</param>
    /// <param name="exponentialAverageFactor">Weight of the batch statistic in [0, 1]: PyTorch's momentum, or 1 / (batches seen, this one included) for a cumulative average.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, <paramref name="epsilon"/> is not finite and positive, or the factor is outside [0, 1].</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), NC was given a plane other than 1 × 1, or there is a single value per feature. Nothing is written then.</exception>
    public static void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon, Span<double> savedMean, Span<double> savedInvStd,
        Span<float> runningMean, Span<float> runningVar, double exponentialAverageFactor)
        => ForwardTraining<float>(input, output, Shape.Validate(features, layout, batch, height, width), weight, bias, epsilon,
            savedMean, savedInvStd, runningMean, runningVar, exponentialAverageFactor);

    /// <inheritdoc cref="ForwardTraining(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, Span{double}, Span{double}, Span{float}, Span{float}, double)"/>
    public static void ForwardTraining(ReadOnlySpan<double> input, Span<double> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, double epsilon, Span<double> savedMean, Span<double> savedInvStd,
        Span<double> runningMean, Span<double> runningVar, double exponentialAverageFactor)
        => ForwardTraining<double>(input, output, Shape.Validate(features, layout, batch, height, width), weight, bias, epsilon,
            savedMean, savedInvStd, runningMean, runningVar, exponentialAverageFactor);

    /// <summary>
    /// Evaluation-mode forward with running statistics (PyTorch's <c>batch_norm</c> with <c>training=False</c>):
    /// y = (x − runningMean) / sqrt(runningVar + ε) · γ + β, computed as y = x · scale + shift. Updates nothing.
    /// </summary>
    /// <param name="input">x: batch · features · height · width values in NCHW order (row-major [batch, features] for NC).</param>
    /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
    /// <param name="features">Number of features (NC) or channels (NCHW).</param>
    /// <param name="layout">Memory layout of <paramref name="input"/> and <paramref name="output"/>.</param>
    /// <param name="batch">Batch size N.</param>
    /// <param name="height">Plane height H; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="width">Plane width W; 1 for <see cref="BatchNormLayout.NC"/>.</param>
    /// <param name="weight">γ, length <paramref name="features"/>; empty for no affine transform (γ = 1).</param>
    /// <param name="bias">β, length <paramref name="features"/>; empty for no affine transform (β = 0).</param>
    /// <param name="epsilon">Added to the variance before the square root (PyTorch's <c>eps</c>); finite and positive.</param>
    /// <param name="runningMean">Running mean, length <paramref name="features"/>.</param>
    /// <param name="runningVar">Running variance, length <paramref name="features"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is not positive, the layout is undefined, or <paramref name="epsilon"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A length does not match the shape (the message names the expected length), or NC was given a plane other than 1 × 1. Nothing is written then.</exception>
    public static void ForwardInference(ReadOnlySpan<float> input, Span<float> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, double epsilon, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar)
        => ForwardInference<float>(input, output, Shape.Validate(features, layout, batch, height, width), weight, bias, epsilon, runningMean, runningVar);

    /// <inheritdoc cref="ForwardInference(ReadOnlySpan{float}, Span{float}, int, BatchNormLayout, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, double, ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    public static void ForwardInference(ReadOnlySpan<double> input, Span<double> output, int features, BatchNormLayout layout, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> bias, double epsilon, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar)
        => ForwardInference<double>(input, output, Shape.Validate(features, layout, batch, height, width), weight, bias, epsilon, runningMean, runningVar);

    private static void ForwardTraining<T>(ReadOnlySpan<T> input, Span<T> output, Shape shape, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        double epsilon, Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor)
        where T : unmanaged
    {
        // Every check before the first write: a rejected call changes nothing.
        shape.CheckTensor(nameof(input), input.Length);
        shape.CheckTensor(nameof(output), output.Length);
        shape.CheckOptionalPerFeature(nameof(weight), weight.Length);
        shape.CheckOptionalPerFeature(nameof(bias), bias.Length);
        shape.CheckPerFeature(nameof(savedMean), savedMean.Length);
        shape.CheckPerFeature(nameof(savedInvStd), savedInvStd.Length);
        bool track = !runningMean.IsEmpty || !runningVar.IsEmpty;
        if (track)
        {
            shape.CheckPerFeature(nameof(runningMean), runningMean.Length);
            shape.CheckPerFeature(nameof(runningVar), runningVar.Length);
        }
        CheckEpsilon(epsilon);
        CheckFactor(exponentialAverageFactor);
        shape.CheckBatchStatistics();

        int features = shape.Features, batch = shape.Batch, plane = shape.Plane;
        double n = shape.PerChannel;
        double factor = exponentialAverageFactor;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T y = ref MemoryMarshal.GetReference(output);

        if (plane == 1)
        {
            // Rows: Σ x, then Σ (x − mean)², each in one pass over the rows with per-feature accumulators, which are the
            // saved-statistics spans themselves. Then, block by block, the coefficients and y = x · scale + shift.
            RowsSum(ref x, batch, features, savedMean);
            for (int c = 0; c < features; c++)
            {
                savedMean[c] /= n;
            }
            RowsSquaredDeviations(ref x, batch, features, savedMean, savedInvStd);
            Span<T> coefficients = stackalloc T[2 * Block];
            ref T scales = ref MemoryMarshal.GetReference(coefficients);
            ref T shifts = ref Unsafe.Add(ref scales, Block);
            for (int c0 = 0; c0 < features; c0 += Block)
            {
                int length = Math.Min(Block, features - c0);
                for (int j = 0; j < length; j++)
                {
                    int c = c0 + j;
                    double mean = savedMean[c];
                    double squares = savedInvStd[c];
                    double invStd = 1d / Math.Sqrt(squares / n + epsilon);
                    savedInvStd[c] = invStd;
                    if (track)
                    {
                        UpdateRunning(runningMean, runningVar, c, mean, squares / (n - 1d), factor);
                    }
                    double scale = Gamma(weight, c) * invStd;
                    Unsafe.Add(ref scales, j) = FromDouble<T>(scale);
                    Unsafe.Add(ref shifts, j) = FromDouble<T>(Beta(bias, c) - mean * scale);
                }
                RowsAffine(ref x, ref y, batch, features, c0, length, ref scales, ref shifts);
            }
        }
        else
        {
            // Channel by channel: the mean, the squared deviations from it, then y = x · scale + shift. The channel's
            // values are read three times; while they fit in cache the second and third reads come from there.
            nint stride = (nint)features * plane;
            for (int c = 0; c < features; c++)
            {
                ref T channelX = ref Unsafe.Add(ref x, (nint)c * plane);
                double mean = ChannelSum(ref channelX, batch, plane, stride) / n;
                double squares = ChannelSquaredDeviations(ref channelX, batch, plane, stride, mean);
                double invStd = 1d / Math.Sqrt(squares / n + epsilon);
                savedMean[c] = mean;
                savedInvStd[c] = invStd;
                if (track)
                {
                    UpdateRunning(runningMean, runningVar, c, mean, squares / (n - 1d), factor);
                }
                double scale = Gamma(weight, c) * invStd;
                double shift = Beta(bias, c) - mean * scale;
                ChannelAffine(ref channelX, ref Unsafe.Add(ref y, (nint)c * plane), batch, plane, stride, FromDouble<T>(scale), FromDouble<T>(shift));
            }
        }
    }

    private static void ForwardInference<T>(ReadOnlySpan<T> input, Span<T> output, Shape shape, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        double epsilon, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        where T : unmanaged
    {
        shape.CheckTensor(nameof(input), input.Length);
        shape.CheckTensor(nameof(output), output.Length);
        shape.CheckOptionalPerFeature(nameof(weight), weight.Length);
        shape.CheckOptionalPerFeature(nameof(bias), bias.Length);
        shape.CheckPerFeature(nameof(runningMean), runningMean.Length);
        shape.CheckPerFeature(nameof(runningVar), runningVar.Length);
        CheckEpsilon(epsilon);

        int features = shape.Features, batch = shape.Batch, plane = shape.Plane;
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T y = ref MemoryMarshal.GetReference(output);

        if (plane == 1)
        {
            // One pass over the rows per block of features, with coefficients from the running statistics.
            Span<T> coefficients = stackalloc T[2 * Block];
            ref T scales = ref MemoryMarshal.GetReference(coefficients);
            ref T shifts = ref Unsafe.Add(ref scales, Block);
            for (int c0 = 0; c0 < features; c0 += Block)
            {
                int length = Math.Min(Block, features - c0);
                for (int j = 0; j < length; j++)
                {
                    int c = c0 + j;
                    double scale = Gamma(weight, c) * (1d / Math.Sqrt(ToDouble(runningVar[c]) + epsilon));
                    Unsafe.Add(ref scales, j) = FromDouble<T>(scale);
                    Unsafe.Add(ref shifts, j) = FromDouble<T>(Beta(bias, c) - ToDouble(runningMean[c]) * scale);
                }
                RowsAffine(ref x, ref y, batch, features, c0, length, ref scales, ref shifts);
            }
        }
        else
        {
            // One pass per channel.
            nint stride = (nint)features * plane;
            for (int c = 0; c < features; c++)
            {
                double scale = Gamma(weight, c) * (1d / Math.Sqrt(ToDouble(runningVar[c]) + epsilon));
                double shift = Beta(bias, c) - ToDouble(runningMean[c]) * scale;
                nint offset = (nint)c * plane;
                ChannelAffine(ref Unsafe.Add(ref x, offset), ref Unsafe.Add(ref y, offset), batch, plane, stride, FromDouble<T>(scale), FromDouble<T>(shift));
            }
        }
    }

    /// <summary>PyTorch: running = (1 − factor) · running + factor · batch statistic, the variance unbiased.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateRunning<T>(Span<T> runningMean, Span<T> runningVar, int c, double mean, double unbiasedVar, double factor)
        where T : unmanaged
    {
        runningMean[c] = FromDouble<T>((1d - factor) * ToDouble(runningMean[c]) + factor * mean);
        runningVar[c] = FromDouble<T>((1d - factor) * ToDouble(runningVar[c]) + factor * unbiasedVar);
    }

    /// <summary>γ of feature c, 1 without an affine transform.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Gamma<T>(ReadOnlySpan<T> weight, int c)
        where T : unmanaged
        => weight.IsEmpty ? 1d : ToDouble(weight[c]);

    /// <summary>β of feature c, 0 without an affine transform.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Beta<T>(ReadOnlySpan<T> bias, int c)
        where T : unmanaged
        => bias.IsEmpty ? 0d : ToDouble(bias[c]);
}
