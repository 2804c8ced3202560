using System;
using System.Globalization;
using System.Linq;
using BnGen.Tests.Kernels;
using Xunit.Sdk;

namespace BnGen.Tests.Layouts;

/// <summary>A reference value, the error scale of its rounding in T, and the error scale of the batch statistics in double.</summary>
public sealed record Expected(double[] Values, double[] Scales, double[] StatisticsScales);

/// <summary>
/// One scenario step computed by <see cref="ReferenceBatchNorm"/> (plain double, canonical NCHW order: NCL is a plane of
/// 1 × length, NHWC data are transposed to it), with the fused ReLU added: y = max(0, z), and the gradient flows where
/// z &gt; 0 (dy' = dy there, 0 elsewhere) through the batch-norm backward.
/// <para>
/// Each value carries two error scales. <c>Scales</c> (from the reference): the sum of the magnitudes of the terms that
/// make it, for the roundings in the element type T. <c>StatisticsScales</c>: how far the batch statistics' own rounding
/// in double can move it. The layers compute the mean as pivot + Σ(x − pivot)/n with the channel's first value as pivot,
/// so its error scale is (mean |x| + |pivot|), not |mean|; and they accept Σ(x − pivot)² up to 2^10 times Σ(x − mean)²
/// before an exact second pass, so the variance's relative error scale is κ = Σ(x − pivot)² / Σ(x − mean)² (at most
/// 2^10). Sums of n values (the layers' and the reference's own, which is plain double too) carry a rounding error that
/// grows about as √n ε relative to the sum of magnitudes, so both scales are multiplied by √n. All of this is far below
/// a float's ε and matters only for double layers. A value's tolerance is then
/// units · (ε_T · Scales + ε_double · StatisticsScales).
/// </para>
/// </summary>
public sealed record ReferenceStep(Expected Output, Expected GradInput, Expected? WeightGrad, Expected? BiasGrad, Expected? RunningMean,
    Expected? RunningVar, long? Count, double ReluMargin)
{
    /// <summary>The reference for <paramref name="step"/> from the state the layer had before it.</summary>
    public static ReferenceStep Of(LayerOptions o, ScenarioStep step, double[]? runningMean, double[]? runningVar, long? count)
    {
        int f = o.Features, batch = step.Dims.Batch, plane = step.Dims.Plane;
        bool batchStatistics = step.Training || !o.Track;
        var (mean, variance) = batchStatistics
            ? ReferenceBatchNorm.BatchStatistics(step.X, f, batch, plane)
            : (runningMean!, runningVar!);
        ReferenceBatchNorm.Result z = ReferenceBatchNorm.Normalize(step.X, f, batch, plane, mean, variance, o.Epsilon, step.Weight, step.Bias);
        double[] dy = step.Dy;
        double[] y = z.Values;
        if (o.Activation == BatchNormActivation.ReLU)
        {
            y = z.Values.Select(v => v > 0 ? v : 0).ToArray();
            dy = dy.Select((g, i) => z.Values[i] > 0 ? g : 0).ToArray();
        }
        var (dx, dw, db) = batchStatistics
            ? ReferenceBatchNorm.BackwardBatch(step.X, dy, f, batch, plane, mean, variance, o.Epsilon, step.Weight)
            : ReferenceBatchNorm.BackwardRunning(step.X, dy, f, batch, plane, runningMean!, runningVar!, o.Epsilon, step.Weight);

        // The statistics' error scales per channel (zero with running statistics: those are given, not computed).
        double[] meanMagnitude = ReferenceBatchNorm.MeanMagnitude(step.X, f, batch, plane);
        var pivotScale = new double[f];
        var kappa = new double[f];
        var invStd = new double[f];
        for (int c = 0; c < f; c++)
        {
            invStd[c] = 1 / Math.Sqrt(variance[c] + o.Epsilon);
            if (!batchStatistics)
            {
                continue;
            }
            double pivot = step.X[ReferenceBatchNorm.Index(f, plane, 0, c, 0)];
            double shifted = 0, centred = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    double x = step.X[ReferenceBatchNorm.Index(f, plane, n, c, s)];
                    shifted += (x - pivot) * (x - pivot);
                    centred += (x - mean[c]) * (x - mean[c]);
                }
            }
            double sqrtN = Math.Sqrt((double)batch * plane);
            pivotScale[c] = sqrtN * (meanMagnitude[c] + Math.Abs(pivot));
            kappa[c] = sqrtN * (centred > 0 ? Math.Min(shifted / centred, 1024) : 1024);
        }
        int count1 = y.Length;
        var outputStatistics = new double[count1];
        var gradStatistics = new double[count1];
        for (int i = 0; i < count1; i++)
        {
            int c = i / plane % f;
            double gamma = Math.Abs(step.Weight?[c] ?? 1);
            double x = step.X[i];
            // y moves by δmean · γ · invStd and by the relative error of invStd times (x − mean) · γ · invStd.
            outputStatistics[i] = gamma * invStd[c] * (pivotScale[c] + kappa[c] * Math.Abs(x - mean[c]));
            // dx: every term through x̂ or invStd moves by the same relative amounts.
            gradStatistics[i] = (kappa[c] + pivotScale[c] * invStd[c]) * dx.Scales[i];
        }
        Expected? weightGrad = null, biasGrad = null;
        if (o.Affine)
        {
            weightGrad = new Expected(dw.Values, dw.Scales, dw.Scales.Select((v, c) => (kappa[c] + pivotScale[c] * invStd[c]) * v).ToArray());
            biasGrad = new Expected(db.Values, db.Scales, new double[f]);
        }
        Expected? rm = null, rv = null;
        long? after = count;
        if (o.Track)
        {
            if (step.Training)
            {
                double factor = o.Factor(count!.Value);
                var (m, v) = ReferenceBatchNorm.UpdateRunning(runningMean!, runningVar!, mean, variance, (double)batch * plane, factor, meanMagnitude);
                rm = new Expected(m.Values, m.Scales, pivotScale.Select(p => factor * p).ToArray());
                rv = new Expected(v.Values, v.Scales, v.Scales.Select((value, c) => factor * kappa[c] * value).ToArray());
                after = count + 1;
            }
            else
            {
                rm = new Expected(runningMean!, new double[f], new double[f]);
                rv = new Expected(runningVar!, new double[f], new double[f]);
            }
        }
        // How far the pre-activations lie from ReLU's kink, in units of their tolerance.
        double margin = double.PositiveInfinity;
        if (o.Activation == BatchNormActivation.ReLU)
        {
            double eps = Ulps.Epsilon(o.IsDouble), doubleEps = Ulps.Epsilon(true);
            margin = z.Values.Select((v, i) => Math.Abs(v) / (eps * z.Scales[i] + doubleEps * outputStatistics[i])).Min();
        }
        return new ReferenceStep(new Expected(y, z.Scales, outputStatistics), new Expected(dx.Values, dx.Scales, gradStatistics), weightGrad, biasGrad,
            rm, rv, after, margin);
    }
}

/// <summary>Comparisons within a number of units of the element type's epsilon times each value's error scale.</summary>
public static class Ulps
{
    /// <summary>The element type's machine epsilon, the spacing of its numbers at 1: 2^-23 (float), 2^-52 (double).</summary>
    public static double Epsilon(bool isDouble) => isDouble ? Math.Pow(2, -52) : Math.Pow(2, -23);

    /// <summary>
    /// Checks |actual[i] − expected[i]| ≤ units · (ε_T · Scales[i] + ε_double · StatisticsScales[i]) for every i and
    /// returns the largest |actual[i] − expected[i]| / (ε_T · Scales[i] + ε_double · StatisticsScales[i]) seen (the
    /// bound actually needed).
    /// </summary>
    public static double Within(string what, bool isDouble, Expected reference, double[] expected, double[] actual, double units)
    {
        double[] scales = reference.Scales, statistics = reference.StatisticsScales;
        if (expected.Length != actual.Length || scales.Length != expected.Length || statistics.Length != expected.Length)
        {
            throw new XunitException($"{what}: lengths {expected.Length}, {actual.Length}, {scales.Length}, {statistics.Length}");
        }
        double eps = Epsilon(isDouble), doubleEps = Epsilon(true), worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = Math.Abs(actual[i] - expected[i]);
            if (difference == 0)
            {
                continue;
            }
            double unit = eps * scales[i] + doubleEps * statistics[i];
            double used = unit == 0 ? double.PositiveInfinity : difference / unit;
            if (!(used <= units))
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}: {used:F2} units (one unit: {unit:E3}), allowed {units}"));
            }
            worst = Math.Max(worst, used);
        }
        return worst;
    }

    /// <summary><see cref="Within(string, bool, Expected, double[], double[], double)"/> against the reference's own values.</summary>
    public static double Within(string what, bool isDouble, Expected reference, double[] actual, double units)
        => Within(what, isDouble, reference, reference.Values, actual, units);
}
