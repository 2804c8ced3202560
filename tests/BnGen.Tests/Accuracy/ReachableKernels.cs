using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using BnGen.Tests.Kernels;

namespace BnGen.Tests.Accuracy;

/// <summary>Known weaker formulas, to show that the accuracy bar catches them (<see cref="MeasuringStickTests"/>).</summary>
public enum ReachableDefect
{
    None,

    /// <summary>y = x·scale + shift with scale and shift rounded from double, shift computed from the unrounded scale.</summary>
    UncenteredOutput,

    /// <summary>The training gradInput folded to dx = dy·a + x·b + k, a, b and k rounded to the element type.</summary>
    FoldedGradInput,

    /// <summary>Σ dy·(x − mean) computed as Σ dy·x − mean·Σ dy.</summary>
    UncenteredWeightGrad,
}

/// <summary>
/// A batch normalization that meets the accuracy bar of <see cref="AtenAccuracyTests"/>, written plainly (scalar loops,
/// no SIMD) to show what it takes and that the bar can be met without luck:
/// <list type="bullet">
/// <item>statistics in double: the mean in two passes (a first mean, then the mean of the deviations from it, which
/// removes the first one's rounding), every sum over eight interleaved partial sums (as vector lanes would);</item>
/// <item>y = (x − m)·α + β′ in the element type with one fused multiply-add, where m is the mean rounded to the element
/// type (x − m is exact for x near m), α = γ·invStd and β′ = β − (mean − m)·α, each rounded once: ATen's fold, but
/// centered, so that the rounding of α multiplies only x − m and β′ carries no rounding of mean·α;</item>
/// <item>the training gradInput as ATen writes it, ((dy − grad_mean) − (x − m)·k)·invStd·γ, on the same centered x − m,
/// with grad_mean corrected by (m − mean)·k;</item>
/// <item>the parameter gradients and running statistics in double, rounded once.</item>
/// </list>
/// With a <see cref="ReachableDefect"/> one piece is replaced by a weaker formula.
/// </summary>
public sealed class ReachableKernels<T>(int features, double epsilon, ReachableDefect defect = ReachableDefect.None) : IKernels<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int Lanes = 8;

    private static double D(T value) => double.CreateTruncating(value);

    private static T S(double value) => T.CreateTruncating(value);

    private int Index(int plane, int n, int c, int s) => (n * features + c) * plane + s;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor)
    {
        int plane = height * width;
        double n = (double)batch * plane;
        Span<double> lanes = stackalloc double[Lanes];
        for (int c = 0; c < features; c++)
        {
            double first = ChannelSum(input, plane, batch, c, 0, lanes) / n;
            double mean = first + ChannelSum(input, plane, batch, c, first, lanes) / n;
            lanes.Clear();
            int k = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int s = 0; s < plane; s++, k++)
                {
                    double d = D(input[Index(plane, b, c, s)]) - mean;
                    lanes[k % Lanes] += d * d;
                }
            }
            double squares = Sum(lanes);
            double invStd = 1 / Math.Sqrt(squares / n + epsilon);
            savedMean[c] = mean;
            savedInvStd[c] = invStd;
            if (!runningMean.IsEmpty)
            {
                runningMean[c] = S((1 - factor) * D(runningMean[c]) + factor * mean);
                runningVar[c] = S((1 - factor) * D(runningVar[c]) + factor * (squares / (n - 1)));
            }
            Normalize(input, output, plane, batch, c, mean, invStd, weight.IsEmpty ? 1 : D(weight[c]), bias.IsEmpty ? 0 : D(bias[c]));
        }
    }

    public void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
    {
        int plane = height * width;
        for (int c = 0; c < features; c++)
        {
            Normalize(input, output, plane, batch, c, D(runningMean[c]), 1 / Math.Sqrt(D(runningVar[c]) + epsilon),
                weight.IsEmpty ? 1 : D(weight[c]), bias.IsEmpty ? 0 : D(bias[c]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad)
    {
        int plane = height * width;
        double n = (double)batch * plane;
        for (int c = 0; c < features; c++)
        {
            double mean = savedMean[c], invStd = savedInvStd[c], gamma = weight.IsEmpty ? 1 : D(weight[c]);
            var (sumDy, dot) = GradientSums(input, gradOutput, plane, batch, c, mean);
            if (!weightGrad.IsEmpty)
            {
                weightGrad[c] = S(dot * invStd);
                biasGrad[c] = S(sumDy);
            }
            double slope = dot * invStd * invStd / n;
            if (defect == ReachableDefect.FoldedGradInput)
            {
                T a = S(gamma * invStd), b = S(-gamma * invStd * slope), k = S(gamma * invStd * (mean * slope - sumDy / n));
                for (int i = 0; i < batch * plane; i++)
                {
                    int at = Index(plane, i / plane, c, i % plane);
                    gradInput[at] = T.FusedMultiplyAdd(gradOutput[at], a, T.FusedMultiplyAdd(input[at], b, k));
                }
                continue;
            }
            T pivot = S(mean), kT = S(slope), gradMean = S(sumDy / n + (D(pivot) - mean) * slope), invStdT = S(invStd), gammaT = S(gamma);
            for (int i = 0; i < batch * plane; i++)
            {
                int at = Index(plane, i / plane, c, i % plane);
                T centered = input[at] - pivot;
                gradInput[at] = T.FusedMultiplyAdd(-centered, kT, gradOutput[at] - gradMean) * invStdT * gammaT;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad)
    {
        int plane = height * width;
        for (int c = 0; c < features; c++)
        {
            double invStd = 1 / Math.Sqrt(D(runningVar[c]) + epsilon);
            T scale = S((weight.IsEmpty ? 1 : D(weight[c])) * invStd);
            var (sumDy, dot) = GradientSums(input, gradOutput, plane, batch, c, D(runningMean[c]));
            if (!weightGrad.IsEmpty)
            {
                weightGrad[c] = S(dot * invStd);
                biasGrad[c] = S(sumDy);
            }
            for (int i = 0; i < batch * plane; i++)
            {
                int at = Index(plane, i / plane, c, i % plane);
                gradInput[at] = gradOutput[at] * scale;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Normalize(ReadOnlySpan<T> input, Span<T> output, int plane, int batch, int c, double mean, double invStd, double gamma, double beta)
    {
        T alpha = S(gamma * invStd);
        if (defect == ReachableDefect.UncenteredOutput)
        {
            T shift = S(beta - mean * gamma * invStd);
            for (int i = 0; i < batch * plane; i++)
            {
                int at = Index(plane, i / plane, c, i % plane);
                output[at] = T.FusedMultiplyAdd(input[at], alpha, shift);
            }
            return;
        }
        T pivot = S(mean);
        T offset = S(beta - (mean - D(pivot)) * D(alpha));
        for (int i = 0; i < batch * plane; i++)
        {
            int at = Index(plane, i / plane, c, i % plane);
            output[at] = T.FusedMultiplyAdd(input[at] - pivot, alpha, offset);
        }
    }

    /// <summary>Σ (x − shift) over a channel, in eight partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private double ChannelSum(ReadOnlySpan<T> input, int plane, int batch, int c, double shift, Span<double> lanes)
    {
        lanes.Clear();
        int k = 0;
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < plane; s++, k++)
            {
                lanes[k % Lanes] += D(input[Index(plane, b, c, s)]) - shift;
            }
        }
        return Sum(lanes);
    }

    /// <summary>Σ dy and Σ dy·(x − mean) over a channel, in eight partial sums each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (double SumDy, double Dot) GradientSums(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, int plane, int batch, int c, double mean)
    {
        Span<double> sums = stackalloc double[Lanes];
        Span<double> dots = stackalloc double[Lanes];
        sums.Clear();
        dots.Clear();
        int k = 0;
        for (int b = 0; b < batch; b++)
        {
            for (int s = 0; s < plane; s++, k++)
            {
                int at = Index(plane, b, c, s);
                double dy = D(gradOutput[at]);
                sums[k % Lanes] += dy;
                dots[k % Lanes] += dy * (defect == ReachableDefect.UncenteredWeightGrad ? D(input[at]) : D(input[at]) - mean);
            }
        }
        double sumDy = Sum(sums), dot = Sum(dots);
        return (sumDy, defect == ReachableDefect.UncenteredWeightGrad ? dot - mean * sumDy : dot);
    }

    private static double Sum(Span<double> lanes) => ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}
