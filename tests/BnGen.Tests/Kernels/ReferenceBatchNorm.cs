using System;

namespace BnGen.Tests.Kernels;

/// <summary>
/// A plain scalar double-precision batch normalization, written from the formulas (PyTorch's definitions), with no
/// vectors and no tricks. Tensors are NCHW with a plane of height · width values (NC is a 1 × 1 plane). Alongside each
/// result it returns an error scale per value: the sum of the magnitudes of the terms an implementation adds up to
/// get that value, so that a floating-point implementation's rounding error is a small multiple of unit roundoff times it.
/// </summary>
public static class ReferenceBatchNorm
{
    public sealed record Result(double[] Values, double[] Scales);

    public static int Index(int features, int plane, int n, int c, int s) => (n * features + c) * plane + s;

    /// <summary>Batch mean and biased variance per channel, two passes.</summary>
    public static (double[] Mean, double[] Var) BatchStatistics(double[] x, int features, int batch, int plane)
    {
        var mean = new double[features];
        var variance = new double[features];
        double count = (double)batch * plane;
        for (int c = 0; c < features; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    sum += x[Index(features, plane, n, c, s)];
                }
            }
            mean[c] = sum / count;
            double squares = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    double d = x[Index(features, plane, n, c, s)] - mean[c];
                    squares += d * d;
                }
            }
            variance[c] = squares / count;
        }
        return (mean, variance);
    }

    /// <summary>y = (x − mean) / sqrt(var + ε) · γ + β.</summary>
    public static Result Normalize(double[] x, int features, int batch, int plane, double[] mean, double[] variance, double epsilon,
        double[]? weight, double[]? bias)
    {
        var y = new double[x.Length];
        var scales = new double[x.Length];
        for (int c = 0; c < features; c++)
        {
            double invStd = 1 / Math.Sqrt(variance[c] + epsilon);
            double gamma = weight?[c] ?? 1, beta = bias?[c] ?? 0;
            double scale = gamma * invStd;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    y[i] = (x[i] - mean[c]) * invStd * gamma + beta;
                    scales[i] = Math.Abs(x[i] * scale) + Math.Abs(mean[c] * scale) + Math.Abs(beta);
                }
            }
        }
        return new Result(y, scales);
    }

    /// <summary>
    /// Gradients of Σ y · dy when y used the batch statistics:
    /// dx = γ · invStd · (dy − Σdy / n − x̂ · Σ(dy · x̂) / n), dγ = Σ dy · x̂, dβ = Σ dy.
    /// </summary>
    public static (Result GradInput, Result GradWeight, Result GradBias) BackwardBatch(double[] x, double[] dy, int features, int batch, int plane,
        double[] mean, double[] variance, double epsilon, double[]? weight)
    {
        var dx = new double[x.Length];
        var dxScales = new double[x.Length];
        var dw = new double[features];
        var dwScales = new double[features];
        var db = new double[features];
        var dbScales = new double[features];
        double count = (double)batch * plane;
        for (int c = 0; c < features; c++)
        {
            double invStd = 1 / Math.Sqrt(variance[c] + epsilon);
            double gamma = weight?[c] ?? 1;
            double sumDy = 0, sumAbsDy = 0, dot = 0, absDot = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    double xHat = (x[i] - mean[c]) * invStd;
                    sumDy += dy[i];
                    sumAbsDy += Math.Abs(dy[i]);
                    dot += dy[i] * xHat;
                    absDot += Math.Abs(dy[i] * xHat);
                }
            }
            dw[c] = dot;
            dwScales[c] = absDot;
            db[c] = sumDy;
            dbScales[c] = sumAbsDy;
            // An implementation folds this into dx = dy · a + x · b + k (as PyTorch does); its terms bound the rounding.
            double a = gamma * invStd;
            double slope = dot * invStd / count;
            double b = -a * slope;
            double kScale = Math.Abs(a) * (Math.Abs(mean[c] * slope) + Math.Abs(sumDy / count) + (absDot * invStd * Math.Abs(mean[c]) + sumAbsDy) / count);
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    double xHat = (x[i] - mean[c]) * invStd;
                    dx[i] = gamma * invStd * (dy[i] - sumDy / count - xHat * dot / count);
                    dxScales[i] = Math.Abs(dy[i] * a) + Math.Abs(x[i] * b) + kScale + Math.Abs(a) * Math.Abs(x[i]) * invStd * absDot / count;
                }
            }
        }
        return (new Result(dx, dxScales), new Result(dw, dwScales), new Result(db, dbScales));
    }

    /// <summary>Gradients when y used running statistics (constants): dx = dy · γ / sqrt(runningVar + ε).</summary>
    public static (Result GradInput, Result GradWeight, Result GradBias) BackwardRunning(double[] x, double[] dy, int features, int batch, int plane,
        double[] runningMean, double[] runningVar, double epsilon, double[]? weight)
    {
        var dx = new double[x.Length];
        var dxScales = new double[x.Length];
        var dw = new double[features];
        var dwScales = new double[features];
        var db = new double[features];
        var dbScales = new double[features];
        for (int c = 0; c < features; c++)
        {
            double invStd = 1 / Math.Sqrt(runningVar[c] + epsilon);
            double gamma = weight?[c] ?? 1;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    double xHat = (x[i] - runningMean[c]) * invStd;
                    dx[i] = dy[i] * gamma * invStd;
                    dxScales[i] = Math.Abs(dx[i]);
                    dw[c] += dy[i] * xHat;
                    dwScales[c] += Math.Abs(dy[i]) * (Math.Abs(xHat) + Math.Abs(x[i] * invStd) + Math.Abs(runningMean[c] * invStd));
                    db[c] += dy[i];
                    dbScales[c] += Math.Abs(dy[i]);
                }
            }
        }
        return (new Result(dx, dxScales), new Result(dw, dwScales), new Result(db, dbScales));
    }

    /// <summary>running = (1 − factor) · running + factor · statistic, the variance unbiased (· n / (n − 1)).</summary>
    public static (Result Mean, Result Var) UpdateRunning(double[] runningMean, double[] runningVar, double[] mean, double[] variance, double count,
        double factor, double[] meanMagnitude)
    {
        int f = mean.Length;
        var rm = new double[f];
        var rmScales = new double[f];
        var rv = new double[f];
        var rvScales = new double[f];
        for (int c = 0; c < f; c++)
        {
            double unbiased = variance[c] * count / (count - 1);
            rm[c] = (1 - factor) * runningMean[c] + factor * mean[c];
            rmScales[c] = Math.Abs((1 - factor) * runningMean[c]) + factor * meanMagnitude[c];
            rv[c] = (1 - factor) * runningVar[c] + factor * unbiased;
            rvScales[c] = Math.Abs((1 - factor) * runningVar[c]) + factor * unbiased;
        }
        return (new Result(rm, rmScales), new Result(rv, rvScales));
    }

    /// <summary>Σ |x| / n per channel: the scale of a mean's rounding.</summary>
    public static double[] MeanMagnitude(double[] x, int features, int batch, int plane)
    {
        var result = new double[features];
        for (int c = 0; c < features; c++)
        {
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    result[c] += Math.Abs(x[Index(features, plane, n, c, s)]);
                }
            }
            result[c] /= (double)batch * plane;
        }
        return result;
    }
}
