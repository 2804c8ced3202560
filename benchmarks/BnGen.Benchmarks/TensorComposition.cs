using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace BnGen.Benchmarks;

/// <summary>
/// Batch norm composed from System.Numerics.Tensors primitives, as a user without BnGen would write it: vectorized
/// library calls over the contiguous runs (a plane in NCHW, a row in NC), statistics accumulated in the element type
/// (two passes: Σx, then Σ(x − mean)²), per-feature finish in double.
/// </summary>
public static class TensorComposition
{
    public static void ForwardTraining<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)k.Batch * k.Plane;
        int f = k.Features;
        if (k.Nchw)
        {
            Span<T> tmp = k.Scratch.AsSpan(0, k.Plane);
            for (int c = 0; c < f; c++)
            {
                T sum = T.Zero;
                for (int n = 0; n < k.Batch; n++)
                {
                    sum += TensorPrimitives.Sum<T>(Run(k.X, k, n, c));
                }
                double mean = double.CreateTruncating(sum) / count;
                T squares = T.Zero;
                for (int n = 0; n < k.Batch; n++)
                {
                    TensorPrimitives.Subtract(Run(k.X, k, n, c), T.CreateTruncating(mean), tmp);
                    squares += TensorPrimitives.SumOfSquares<T>(tmp);
                }
                Finish(k, c, mean, double.CreateTruncating(squares), count, out T scale, out T shift);
                for (int n = 0; n < k.Batch; n++)
                {
                    // No (span, scalar, scalar) multiply-add overload for generic T: multiply, then add.
                    Span<T> y = Run(k.Y, k, n, c);
                    TensorPrimitives.Multiply(Run(k.X, k, n, c), scale, y);
                    TensorPrimitives.Add(y, shift, y);
                }
            }
        }
        else
        {
            Span<T> sums = k.Scratch.AsSpan(0, f);
            Span<T> means = k.Scratch.AsSpan(f, f);
            Span<T> squares = k.Scratch.AsSpan(2 * f, f);
            Span<T> tmp = k.Scratch.AsSpan(3 * f, f);
            sums.Clear();
            for (int n = 0; n < k.Batch; n++)
            {
                TensorPrimitives.Add(sums, Row(k.X, k, n), sums);
            }
            TensorPrimitives.Divide(sums, T.CreateTruncating(count), means);
            squares.Clear();
            for (int n = 0; n < k.Batch; n++)
            {
                TensorPrimitives.Subtract(Row(k.X, k, n), means, tmp);
                TensorPrimitives.MultiplyAdd(tmp, tmp, squares, squares);
            }
            // Per-feature finish; scales and shifts reuse the sums and means storage.
            for (int c = 0; c < f; c++)
            {
                Finish(k, c, double.CreateTruncating(means[c]), double.CreateTruncating(squares[c]), count, out T scale, out T shift);
                sums[c] = scale;
                means[c] = shift;
            }
            for (int n = 0; n < k.Batch; n++)
            {
                TensorPrimitives.MultiplyAdd(Row(k.X, k, n), sums, means, Row(k.Y, k, n));
            }
        }
    }

    private static void Finish<T>(Case<T> k, int c, double mean, double squares, double count, out T scale, out T shift)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double invStd = 1.0 / Math.Sqrt(squares / count + Case<T>.Epsilon);
        k.SavedMean[c] = mean;
        k.SavedInvStd[c] = invStd;
        k.RunningMean[c] = T.CreateTruncating((1 - Case<T>.Factor) * double.CreateTruncating(k.RunningMean[c]) + Case<T>.Factor * mean);
        k.RunningVar[c] = T.CreateTruncating((1 - Case<T>.Factor) * double.CreateTruncating(k.RunningVar[c]) + Case<T>.Factor * squares / (count - 1));
        double s = double.CreateTruncating(k.Weight[c]) * invStd;
        scale = T.CreateTruncating(s);
        shift = T.CreateTruncating(double.CreateTruncating(k.Bias[c]) - mean * s);
    }

    public static void ForwardInference<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int f = k.Features;
        Span<T> scales = k.Scratch.AsSpan(0, f);
        Span<T> shifts = k.Scratch.AsSpan(f, f);
        for (int c = 0; c < f; c++)
        {
            double s = double.CreateTruncating(k.Weight[c]) / Math.Sqrt(double.CreateTruncating(k.RunningVar[c]) + Case<T>.Epsilon);
            scales[c] = T.CreateTruncating(s);
            shifts[c] = T.CreateTruncating(double.CreateTruncating(k.Bias[c]) - double.CreateTruncating(k.RunningMean[c]) * s);
        }
        for (int n = 0; n < k.Batch; n++)
        {
            if (k.Nchw)
            {
                for (int c = 0; c < f; c++)
                {
                    Span<T> y = Run(k.Y, k, n, c);
                    TensorPrimitives.Multiply(Run(k.X, k, n, c), scales[c], y);
                    TensorPrimitives.Add(y, shifts[c], y);
                }
            }
            else
            {
                TensorPrimitives.MultiplyAdd(Row(k.X, k, n), scales, shifts, Row(k.Y, k, n));
            }
        }
    }

    public static void BackwardTraining<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)k.Batch * k.Plane;
        int f = k.Features;
        if (k.Nchw)
        {
            for (int c = 0; c < f; c++)
            {
                T sumDy = T.Zero, dotDyX = T.Zero;
                for (int n = 0; n < k.Batch; n++)
                {
                    sumDy += TensorPrimitives.Sum<T>(Run(k.Dy, k, n, c));
                    dotDyX += TensorPrimitives.Dot<T>(Run(k.Dy, k, n, c), Run(k.X, k, n, c));
                }
                double mean = k.SavedMean[c];
                double dot = double.CreateTruncating(dotDyX) - mean * double.CreateTruncating(sumDy);
                Coefficients(k, c, double.CreateTruncating(sumDy), dot, count, out T a, out T b, out T kk);
                for (int n = 0; n < k.Batch; n++)
                {
                    Span<T> dx = Run(k.Dx, k, n, c);
                    TensorPrimitives.Multiply(Run(k.X, k, n, c), b, dx);
                    TensorPrimitives.Add(dx, kk, dx);
                    TensorPrimitives.MultiplyAdd(Run(k.Dy, k, n, c), a, dx, dx);
                }
            }
        }
        else
        {
            Span<T> sums = k.Scratch.AsSpan(0, f);
            Span<T> dots = k.Scratch.AsSpan(f, f);
            Span<T> means = k.Scratch.AsSpan(2 * f, f);
            Span<T> tmp = k.Scratch.AsSpan(3 * f, f);
            sums.Clear();
            dots.Clear();
            for (int c = 0; c < f; c++)
            {
                means[c] = T.CreateTruncating(k.SavedMean[c]);
            }
            for (int n = 0; n < k.Batch; n++)
            {
                TensorPrimitives.Add(sums, Row(k.Dy, k, n), sums);
                TensorPrimitives.Subtract(Row(k.X, k, n), means, tmp);
                TensorPrimitives.MultiplyAdd(Row(k.Dy, k, n), tmp, dots, dots);
            }
            Span<T> aa = sums, bb = dots, kk = means;
            for (int c = 0; c < f; c++)
            {
                Coefficients(k, c, double.CreateTruncating(sums[c]), double.CreateTruncating(dots[c]), count, out aa[c], out bb[c], out kk[c]);
            }
            for (int n = 0; n < k.Batch; n++)
            {
                Span<T> dx = Row(k.Dx, k, n);
                TensorPrimitives.MultiplyAdd(Row(k.X, k, n), bb, kk, dx);
                TensorPrimitives.MultiplyAdd(Row(k.Dy, k, n), aa, dx, dx);
            }
        }
    }

    private static void Coefficients<T>(Case<T> k, int c, double sumDy, double dot, double count, out T a, out T b, out T kk)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double invStd = k.SavedInvStd[c];
        double mean = k.SavedMean[c];
        k.WeightGrad[c] = T.CreateTruncating(dot * invStd);
        k.BiasGrad[c] = T.CreateTruncating(sumDy);
        double ad = double.CreateTruncating(k.Weight[c]) * invStd;
        double slope = dot * invStd * invStd / count;
        a = T.CreateTruncating(ad);
        b = T.CreateTruncating(-ad * slope);
        kk = T.CreateTruncating(ad * (mean * slope - sumDy / count));
    }

    public static void BackwardInference<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int f = k.Features;
        if (k.Nchw)
        {
            for (int c = 0; c < f; c++)
            {
                double mean = double.CreateTruncating(k.RunningMean[c]);
                double invStd = 1.0 / Math.Sqrt(double.CreateTruncating(k.RunningVar[c]) + Case<T>.Epsilon);
                T a = T.CreateTruncating(double.CreateTruncating(k.Weight[c]) * invStd);
                T sumDy = T.Zero, dotDyX = T.Zero;
                for (int n = 0; n < k.Batch; n++)
                {
                    ReadOnlySpan<T> dy = Run(k.Dy, k, n, c);
                    sumDy += TensorPrimitives.Sum(dy);
                    dotDyX += TensorPrimitives.Dot(dy, Run(k.X, k, n, c));
                    TensorPrimitives.Multiply(dy, a, Run(k.Dx, k, n, c));
                }
                k.WeightGrad[c] = T.CreateTruncating((double.CreateTruncating(dotDyX) - mean * double.CreateTruncating(sumDy)) * invStd);
                k.BiasGrad[c] = sumDy;
            }
        }
        else
        {
            Span<T> sums = k.Scratch.AsSpan(0, f);
            Span<T> dots = k.Scratch.AsSpan(f, f);
            Span<T> scales = k.Scratch.AsSpan(2 * f, f);
            Span<T> tmp = k.Scratch.AsSpan(3 * f, f);
            sums.Clear();
            dots.Clear();
            for (int c = 0; c < f; c++)
            {
                scales[c] = T.CreateTruncating(double.CreateTruncating(k.Weight[c]) / Math.Sqrt(double.CreateTruncating(k.RunningVar[c]) + Case<T>.Epsilon));
            }
            for (int n = 0; n < k.Batch; n++)
            {
                ReadOnlySpan<T> dy = Row(k.Dy, k, n);
                TensorPrimitives.Add(sums, dy, sums);
                TensorPrimitives.Subtract(Row(k.X, k, n), k.RunningMean, tmp);
                TensorPrimitives.MultiplyAdd(dy, tmp, dots, dots);
                TensorPrimitives.Multiply(dy, scales, Row(k.Dx, k, n));
            }
            for (int c = 0; c < f; c++)
            {
                double invStd = 1.0 / Math.Sqrt(double.CreateTruncating(k.RunningVar[c]) + Case<T>.Epsilon);
                k.WeightGrad[c] = T.CreateTruncating(double.CreateTruncating(dots[c]) * invStd);
                k.BiasGrad[c] = sums[c];
            }
        }
    }

    private static Span<T> Run<T>(T[] data, Case k, int n, int c) => data.AsSpan((n * k.Features + c) * k.Plane, k.Plane);

    private static Span<T> Row<T>(T[] data, Case k, int n) => data.AsSpan(n * k.Features, k.Features);
}
