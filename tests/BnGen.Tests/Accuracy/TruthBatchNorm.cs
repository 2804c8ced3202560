using System;
using System.Runtime.CompilerServices;

namespace BnGen.Tests.Accuracy;

/// <summary>
/// Batch normalization in double-double arithmetic (about 106 bits) on the exact values a layer is given: "the truth"
/// that float and double results are measured against. Tensors are NCHW with a plane of <c>plane</c> values (NC is
/// plane 1). Formulas are PyTorch's definitions (biased variance in the normalization, unbiased in the running
/// variance). A channel whose values are all equal has its mean set to that value exactly, so that x − mean is exactly 0
/// there (a double-double quotient n·v / n could leave a residue of 10⁻³² · v, which an exact-zero result would then be
/// measured against); the same holds for the mean of dy.
/// </summary>
public static class TruthBatchNorm
{
    /// <summary>
    /// True values with, for each, the sum of the magnitudes of the terms the well-conditioned (centered) formula adds up
    /// to get it: the size of the rounding error any implementation of that formula commits, per unit roundoff.
    /// </summary>
    public sealed record Tensor(DoubleDouble[] Values, double[] Scales);

    public sealed record Statistics(DoubleDouble[] Mean, DoubleDouble[] Variance, double[] MeanScale, double[] InvStdScale);

    public sealed record Gradients(Tensor GradInput, Tensor GradWeight, Tensor GradBias);

    private static int Index(int features, int plane, int n, int c, int s) => (n * features + c) * plane + s;

    /// <summary>
    /// Per channel: the mean, the biased variance Σ (x − mean)² / n (two passes), and the term scales of the mean
    /// (Σ |x| / n) and of 1/sqrt(var + ε) (itself).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Statistics BatchStatistics(double[] x, int features, int batch, int plane, double epsilon)
    {
        var mean = new DoubleDouble[features];
        var variance = new DoubleDouble[features];
        var meanScale = new double[features];
        var invStdScale = new double[features];
        double count = (double)batch * plane;
        for (int c = 0; c < features; c++)
        {
            mean[c] = ChannelMean(x, features, batch, plane, c);
            DoubleDouble squares = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    double v = x[Index(features, plane, n, c, s)];
                    DoubleDouble d = v - mean[c];
                    squares += d * d;
                    meanScale[c] += Math.Abs(v) / count;
                }
            }
            variance[c] = squares / count;
            // Σ (x − mean)² has no cancellation: 1/sqrt(var + ε) is as accurate as its last roundings.
            invStdScale[c] = (1d / DoubleDouble.Sqrt(variance[c] + epsilon)).Hi;
        }
        return new Statistics(mean, variance, meanScale, invStdScale);
    }

    /// <summary>1 / sqrt(var + ε).</summary>
    public static DoubleDouble[] InvStd(DoubleDouble[] variance, double epsilon)
    {
        var result = new DoubleDouble[variance.Length];
        for (int c = 0; c < variance.Length; c++)
        {
            result[c] = 1d / DoubleDouble.Sqrt(variance[c] + epsilon);
        }
        return result;
    }

    /// <summary>
    /// y = (x − mean) · invStd · γ + β; terms |x − mean|·|invStd·γ| and |β|, and with <paramref name="roundedMean"/> also
    /// |mean|·|invStd·γ|: the effect of a mean that is itself rounded to the result type (see <see cref="AccuracyRunner"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Tensor Normalize(double[] x, int features, int batch, int plane, DoubleDouble[] mean, DoubleDouble[] invStd,
        double[]? weight, double[]? bias, bool roundedMean)
    {
        var y = new DoubleDouble[x.Length];
        var scales = new double[x.Length];
        for (int c = 0; c < features; c++)
        {
            DoubleDouble scale = invStd[c] * (weight?[c] ?? 1d);
            double beta = bias?[c] ?? 0d;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    DoubleDouble centered = x[i] - mean[c];
                    y[i] = centered * scale + beta;
                    scales[i] = Math.Abs((centered * scale).Hi) + Math.Abs(beta) + (roundedMean ? Math.Abs((mean[c] * scale).Hi) : 0);
                }
            }
        }
        return new Tensor(y, scales);
    }

    /// <summary>running = (1 − factor) · running + factor · statistic, with the unbiased variance var · n / (n − 1).</summary>
    public static (Tensor Mean, Tensor Variance) UpdateRunning(double[] runningMean, double[] runningVar, Statistics batch,
        double count, double factor)
    {
        int f = runningMean.Length;
        var mean = new DoubleDouble[f];
        var variance = new DoubleDouble[f];
        var meanScale = new double[f];
        var varianceScale = new double[f];
        DoubleDouble keep = (DoubleDouble)1d - factor;
        for (int c = 0; c < f; c++)
        {
            DoubleDouble unbiased = batch.Variance[c] * count / (count - 1d);
            mean[c] = keep * runningMean[c] + batch.Mean[c] * factor;
            variance[c] = keep * runningVar[c] + unbiased * factor;
            meanScale[c] = Math.Abs(keep.Hi * runningMean[c]) + factor * batch.MeanScale[c];
            varianceScale[c] = Math.Abs(keep.Hi * runningVar[c]) + factor * unbiased.Hi;
        }
        return (new Tensor(mean, meanScale), new Tensor(variance, varianceScale));
    }

    /// <summary>
    /// The gradients of Σ y · dy when y used the batch statistics:
    /// dx = γ · invStd · (dy − Σdy / n − (x − mean) · invStd² · Σ dy·(x − mean) / n),
    /// dγ = Σ dy · (x − mean) · invStd, dβ = Σ dy. With <paramref name="roundedMean"/> the scales include the effect of
    /// a saved mean rounded to the result type (|mean| next to |x − mean|, |mean·Σdy|·invStd in dγ).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Gradients BackwardBatch(double[] x, double[] dy, int features, int batch, int plane, Statistics statistics, DoubleDouble[] invStd,
        double[]? weight, bool roundedMean)
    {
        double count = (double)batch * plane;
        var dx = new Tensor(new DoubleDouble[x.Length], new double[x.Length]);
        var dWeight = new Tensor(new DoubleDouble[features], new double[features]);
        var dBias = new Tensor(new DoubleDouble[features], new double[features]);
        for (int c = 0; c < features; c++)
        {
            DoubleDouble mean = statistics.Mean[c];
            var sums = GradientSums(x, dy, features, batch, plane, c, mean);
            DoubleDouble scale = invStd[c] * (weight?[c] ?? 1d);
            DoubleDouble slope = sums.Dot * invStd[c] * invStd[c] / count;
            double absScale = Math.Abs(scale.Hi), invStd2 = invStd[c].Hi * invStd[c].Hi;
            double meanTerm = roundedMean ? Math.Abs(mean.Hi) : 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    DoubleDouble centered = x[i] - mean;
                    dx.Values[i] = scale * ((dy[i] - sums.Mean) - centered * slope);
                    dx.Scales[i] = absScale * (Math.Abs(dy[i]) + sums.AbsSum / count + (Math.Abs(centered.Hi) + meanTerm) * invStd2 * sums.AbsDot / count);
                }
            }
            dWeight.Values[c] = sums.Dot * invStd[c];
            dWeight.Scales[c] = (sums.AbsDot + meanTerm * Math.Abs(sums.Sum.Hi)) * invStd[c].Hi;
            dBias.Values[c] = sums.Sum;
            dBias.Scales[c] = sums.AbsSum;
        }
        return new Gradients(dx, dWeight, dBias);
    }

    /// <summary>
    /// The gradients when y used the running statistics (constants): dx = dy · γ / sqrt(runningVar + ε),
    /// dγ = Σ dy · (x − runningMean) / sqrt(runningVar + ε), dβ = Σ dy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Gradients BackwardRunning(double[] x, double[] dy, int features, int batch, int plane, double[] runningMean, double[] runningVar,
        double epsilon, double[]? weight)
    {
        var dx = new Tensor(new DoubleDouble[x.Length], new double[x.Length]);
        var dWeight = new Tensor(new DoubleDouble[features], new double[features]);
        var dBias = new Tensor(new DoubleDouble[features], new double[features]);
        for (int c = 0; c < features; c++)
        {
            DoubleDouble invStd = 1d / DoubleDouble.Sqrt((DoubleDouble)runningVar[c] + epsilon);
            DoubleDouble scale = invStd * (weight?[c] ?? 1d);
            var sums = GradientSums(x, dy, features, batch, plane, c, runningMean[c]);
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    dx.Values[i] = scale * dy[i];
                    dx.Scales[i] = Math.Abs(dx.Values[i].Hi);
                }
            }
            dWeight.Values[c] = sums.Dot * invStd;
            dWeight.Scales[c] = sums.AbsDot * invStd.Hi;
            dBias.Values[c] = sums.Sum;
            dBias.Scales[c] = sums.AbsSum;
        }
        return new Gradients(dx, dWeight, dBias);
    }

    private readonly record struct Sums(DoubleDouble Sum, DoubleDouble Mean, DoubleDouble Dot, double AbsSum, double AbsDot);

    /// <summary>Σ dy, mean(dy), Σ dy·(x − mean), and the sums of their terms' magnitudes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Sums GradientSums(double[] x, double[] dy, int features, int batch, int plane, int c, DoubleDouble mean)
    {
        DoubleDouble sum = 0, dot = 0;
        double absSum = 0, absDot = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int s = 0; s < plane; s++)
            {
                int i = Index(features, plane, n, c, s);
                DoubleDouble product = (x[i] - mean) * dy[i];
                sum += dy[i];
                dot += product;
                absSum += Math.Abs(dy[i]);
                absDot += Math.Abs(product.Hi);
            }
        }
        return new Sums(sum, ChannelMean(dy, features, batch, plane, c), dot, absSum, absDot);
    }

    /// <summary>Σ v / n over a channel; exactly v when all its values are v.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static DoubleDouble ChannelMean(double[] values, int features, int batch, int plane, int c)
    {
        double first = values[Index(features, plane, 0, c, 0)];
        bool constant = true;
        DoubleDouble sum = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int s = 0; s < plane; s++)
            {
                double v = values[Index(features, plane, n, c, s)];
                constant &= v.Equals(first);
                sum += v;
            }
        }
        return constant ? first : sum / ((double)batch * plane);
    }
}
