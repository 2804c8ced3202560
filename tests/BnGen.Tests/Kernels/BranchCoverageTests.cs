using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(1030, BatchNormLayout.NCHW, Epsilon = 0.1)]
public partial class WideNchw1030 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(1025, BatchNormLayout.NCHW, ElementType = typeof(double), Epsilon = 0.1, Affine = false)]
public partial class WideNchw1025Double : INchwLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(1, CumulativeAverage = true)]
public partial class FarPivotNc1 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(8, CumulativeAverage = true)]
public partial class FarPivotNc8 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(4, ElementType = typeof(double), CumulativeAverage = true)]
public partial class FarPivotNc4Double : INcLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(2, BatchNormLayout.NCHW, ElementType = typeof(double), CumulativeAverage = true)]
public partial class FarPivotNchw2Double : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, CumulativeAverage = true)]
public partial class FarPivotNchw3 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(5)]
public partial class FactorNc5 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false, CumulativeAverage = true)]
public partial class FactorNchw3Double : INchwLayer<double>, ITrackedLayer<double> { }

/// <summary>
/// Behaviours that live on paths the other tests do not reach, each checked through the public API against an
/// independent reference, so that they hold for any correct implementation:
/// <list type="bullet">
/// <item>NCHW layers with more than 1024 channels in evaluation mode, with ε large against the running variance;</item>
/// <item>the batch variance when the one-pass sum shifted by the channel's first value would cancel (that value far from
/// the mean), to 1e-12 relative of a compensated two-pass reference;</item>
/// <item>the range check of the generated static kernels' <c>exponentialAverageFactor</c>, which writes nothing.</item>
/// </list>
/// (A Backward whose shape differs from the Forward's in one dimension only is in <see cref="ErrorTests"/>.)
/// </summary>
public class BranchCoverageTests
{
    // ---------------------------------------------------------------------------------------------------------------
    // More than 1024 channels, evaluation mode.

    public static TheoryData<int, int, int> WideShapes() => new()
    {
        { 1, 1, 1 },     // one value per channel: evaluation allows it
        { 2, 3, 5 },     // short ragged runs
        { 1, 12, 12 },   // runs of 144 values
    };

    [Theory]
    [MemberData(nameof(WideShapes))]
    public void WideNchwEvaluationUsesEpsilon(int batch, int height, int width)
    {
        var shape = (batch, height, width);
        var floatConfig = new LayerConfig(1030, BatchNormLayout.NCHW, false, 0.1, 0.1, true, true, false);
        var doubleConfig = new LayerConfig(1025, BatchNormLayout.NCHW, true, 0.1, 0.1, false, true, false);
        EvaluateWide(new GeneratedLayer<float>(new WideNchw1030(), floatConfig), shape, 1e-5);
        EvaluateWide(new KernelLayer<float>(new GenericFloatKernels(1030, BatchNormLayout.NCHW, 0.1), floatConfig), shape, 1e-5);
        EvaluateWide(new GeneratedLayer<double>(new WideNchw1025Double(), doubleConfig), shape, 1e-12);
        EvaluateWide(new KernelLayer<double>(new GenericDoubleKernels(1025, BatchNormLayout.NCHW, 0.1), doubleConfig), shape, 1e-12);
    }

    private static void EvaluateWide<T>(ILayerUnderTest<T> layer, (int Batch, int Height, int Width) shape, double relative)
        where T : unmanaged
    {
        // Running variances of 0.01 … 0.05 against ε = 0.1: dropping ε (or adding it outside the square root) moves every
        // output by a factor between 1.4 and 3.3.
        var random = new Random(layer.Config.Features + shape.Height);
        for (int c = 0; c < layer.Config.Features; c++)
        {
            layer.RunningMean![c] = Num.FromDouble<T>(random.NextDouble() * 2 - 1);
            layer.RunningVar![c] = Num.FromDouble<T>(0.01 + 0.04 * random.NextDouble());
        }
        double[] runningVar = Num.ToDoubles<T>(layer.RunningVar);
        Assert.All(runningVar, v => Assert.True(Math.Sqrt((v + 0.1) / v) > 1.4, "the premise: ε matters"));
        var history = new DifferentialTests.History();
        DifferentialTests.Step(layer, random, training: false, shape, relative, inPlace: false, history, "wide");
        DifferentialTests.Step(layer, random, training: false, shape, relative, inPlace: true, history, "wide");
    }

    [Fact]
    public void WideNchwStaticInferenceUsesEpsilon()
    {
        const int f = 1030, batch = 2, height = 3, width = 5, plane = height * width;
        var random = new Random(17);
        float[] x = Enumerable.Range(0, batch * f * plane).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        float[] weight = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray();
        float[] bias = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] mean = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] variance = Enumerable.Range(0, f).Select(_ => (float)(0.01 + 0.04 * random.NextDouble())).ToArray();
        var expected = ReferenceBatchNorm.Normalize(Num.ToDoubles<float>(x), f, batch, plane, Num.ToDoubles<float>(mean),
            Num.ToDoubles<float>(variance), 0.1, Num.ToDoubles<float>(weight), Num.ToDoubles<float>(bias));
        var y = new float[x.Length];
        WideNchw1030.ForwardInference(x, y, batch, height, width, weight, bias, mean, variance);
        Close.Each("wide static eval forward", expected.Values, Num.ToDoubles<float>(y), expected.Scales.Select(s => s * 1e-6).ToArray());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The batch variance when a one-pass sum would cancel.

    /// <summary>
    /// Per channel: n values 1e4 + u, u uniform with standard deviation 1, except the channel's first value (first in
    /// memory: batch item 0, the first position of the plane), which is 1e4 + 1000 · sqrt(n). That value dominates the
    /// variance ((mean − first)² / var ≈ n): Σ(x − first)² − (Σ(x − first))² / n cancels all but about 53 − log2(n²)
    /// bits. A scheme that shifts by the first value must take a second pass here; two passes in double give the
    /// variance to about 1e-15.
    /// </summary>
    private static double[] FarPivotData(int features, int batch, int plane, int seed)
    {
        var random = new Random(seed);
        int n = batch * plane;
        var x = new double[batch * features * plane];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = 1e4 + Math.Sqrt(3) * (2 * random.NextDouble() - 1);
        }
        for (int c = 0; c < features; c++)
        {
            x[ReferenceBatchNorm.Index(features, plane, 0, c, 0)] = 1e4 + 1000 * Math.Sqrt(n) * (1 + 0.1 * c);
        }
        return x;
    }

    /// <summary>Neumaier's compensated sum: accurate to about one rounding, whatever the number of terms.</summary>
    private static double CompensatedSum(System.Collections.Generic.IEnumerable<double> values)
    {
        double sum = 0, compensation = 0;
        foreach (double v in values)
        {
            double t = sum + v;
            compensation += Math.Abs(sum) >= Math.Abs(v) ? sum - t + v : v - t + sum;
            sum = t;
        }
        return sum + compensation;
    }

    /// <summary>Mean and biased variance per channel, two passes with compensated sums.</summary>
    private static (double[] Mean, double[] Var) Statistics(double[] x, int features, int batch, int plane)
    {
        var mean = new double[features];
        var variance = new double[features];
        for (int c = 0; c < features; c++)
        {
            double[] values = Enumerable.Range(0, batch).SelectMany(n => Enumerable.Range(0, plane)
                .Select(s => x[ReferenceBatchNorm.Index(features, plane, n, c, s)])).ToArray();
            mean[c] = CompensatedSum(values) / values.Length;
            double m = mean[c];
            variance[c] = CompensatedSum(values.Select(v => (v - m) * (v - m))) / values.Length;
            Assert.True((values[0] - m) * (values[0] - m) / variance[c] > 0.9 * values.Length, "the premise: the first value dominates");
        }
        return (mean, variance);
    }

    /// <summary>The saved statistics: the mean within 1e-13 and the variance implied by savedInvStd within 1e-12, relative.</summary>
    private static void AssertSaved(string what, double[] mean, double[] variance, double[] savedMean, double[] savedInvStd, double epsilon)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            double impliedVariance = 1 / (savedInvStd[c] * savedInvStd[c]) - epsilon;
            Assert.True(Math.Abs(savedMean[c] - mean[c]) <= 1e-13 * Math.Abs(mean[c]),
                $"{what} mean[{c}]: {savedMean[c]:R}, expected {mean[c]:R}");
            Assert.True(Math.Abs(impliedVariance - variance[c]) <= 1e-12 * variance[c],
                $"{what} variance[{c}]: {impliedVariance:R}, expected {variance[c]:R} (relative error {Math.Abs(impliedVariance - variance[c]) / variance[c]:E2})");
        }
    }

    public static TheoryData<string> FarPivotCases() => new()
    {
        "NC F=1 float, batch 65536",
        "NC F=8 float, batch 8192",
        "NC F=4 double, batch 8192",
        "NCHW F=2 double, 2 x 256 x 256",
        "NCHW F=3 float, 1 x 200 x 300",
    };

    [Theory]
    [MemberData(nameof(FarPivotCases))]
    public void VarianceStaysExactWhenTheFirstValueIsFarFromTheMean(string name)
    {
        switch (name)
        {
            case "NC F=1 float, batch 65536":
                CheckFloat(name, FarPivotData(1, 65536, 1, 1), 1, BatchNormLayout.NC, 65536, 1, 1,
                    (x, y, s, m, v, rm, rv) => FarPivotNc1.ForwardTraining(x, y, 65536, s, s, m, v, rm, rv, 1));
                break;
            case "NC F=8 float, batch 8192":
                CheckFloat(name, FarPivotData(8, 8192, 1, 2), 8, BatchNormLayout.NC, 8192, 1, 1,
                    (x, y, s, m, v, rm, rv) => FarPivotNc8.ForwardTraining(x, y, 8192, s, s, m, v, rm, rv, 1));
                break;
            case "NC F=4 double, batch 8192":
                CheckDouble(name, FarPivotData(4, 8192, 1, 3), 4, BatchNormLayout.NC, 8192, 1, 1, () => new FarPivotNc4Double(),
                    (layer, x, y) => ((FarPivotNc4Double)layer).Forward(x, y, 8192),
                    (x, y, s, m, v, rm, rv) => FarPivotNc4Double.ForwardTraining(x, y, 8192, s, s, m, v, rm, rv, 1));
                break;
            case "NCHW F=2 double, 2 x 256 x 256":
                CheckDouble(name, FarPivotData(2, 2, 256 * 256, 4), 2, BatchNormLayout.NCHW, 2, 256, 256, () => new FarPivotNchw2Double(),
                    (layer, x, y) => ((FarPivotNchw2Double)layer).Forward(x, y, 2, 256, 256),
                    (x, y, s, m, v, rm, rv) => FarPivotNchw2Double.ForwardTraining(x, y, 2, 256, 256, s, s, m, v, rm, rv, 1));
                break;
            case "NCHW F=3 float, 1 x 200 x 300":
                CheckFloat(name, FarPivotData(3, 1, 200 * 300, 5), 3, BatchNormLayout.NCHW, 1, 200, 300,
                    (x, y, s, m, v, rm, rv) => FarPivotNchw3.ForwardTraining(x, y, 1, 200, 300, s, s, m, v, rm, rv, 1));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    private delegate void StaticTraining<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> ones, Span<double> savedMean,
        Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar);

    private static void CheckFloat(string name, double[] data, int f, BatchNormLayout layout, int batch, int height, int width,
        StaticTraining<float> generated)
    {
        float[] x = Num.FromDoubles<float>(data);
        var (mean, variance) = Statistics(Num.ToDoubles<float>(x), f, batch, height * width);
        var y = new float[x.Length];
        float[] ones = Num.Filled<float>(f, 1);
        var savedMean = new double[f];
        var savedInvStd = new double[f];
        // γ = 1 and β = 0 through the weight/bias arguments: generated takes ones for both (the output is not checked here).
        generated(x, y, ones, savedMean, savedInvStd, new float[f], Num.Filled<float>(f, 1));
        AssertSaved(name + " (generated static kernel)", mean, variance, savedMean, savedInvStd, 1e-5);

        Array.Clear(savedMean);
        Array.Clear(savedInvStd);
        BatchNormKernels.ForwardTraining(x, y, f, layout, batch, height, width, default, default, 1e-5, savedMean, savedInvStd, default, default, 0);
        AssertSaved(name + " (BatchNormKernels)", mean, variance, savedMean, savedInvStd, 1e-5);
    }

    private static void CheckDouble(string name, double[] x, int f, BatchNormLayout layout, int batch, int height, int width,
        Func<object> create, Action<object, double[], double[]> forward, StaticTraining<double> generated)
    {
        var (mean, variance) = Statistics(x, f, batch, height * width);
        var y = new double[x.Length];
        double[] ones = Num.Filled<double>(f, 1);
        var savedMean = new double[f];
        var savedInvStd = new double[f];
        generated(x, y, ones, savedMean, savedInvStd, new double[f], Num.Filled<double>(f, 1));
        AssertSaved(name + " (generated static kernel)", mean, variance, savedMean, savedInvStd, 1e-5);

        Array.Clear(savedMean);
        Array.Clear(savedInvStd);
        BatchNormKernels.ForwardTraining(x, y, f, layout, batch, height, width, default, default, 1e-5, savedMean, savedInvStd, default, default, 0);
        AssertSaved(name + " (BatchNormKernels)", mean, variance, savedMean, savedInvStd, 1e-5);

        // The instance: with a cumulative average, the first batch's statistics become the running statistics (factor 1),
        // the variance unbiased.
        object layer = create();
        forward(layer, x, y);
        var tracked = (ITrackedLayer<double>)layer;
        double n = (double)batch * height * width;
        for (int c = 0; c < f; c++)
        {
            double unbiased = variance[c] * n / (n - 1);
            Assert.True(Math.Abs(tracked.RunningVar[c] - unbiased) <= 1e-12 * unbiased,
                $"{name} (instance) RunningVar[{c}]: {tracked.RunningVar[c]:R}, expected {unbiased:R}");
            Assert.True(Math.Abs(tracked.RunningMean[c] - mean[c]) <= 1e-13 * mean[c], $"{name} (instance) RunningMean[{c}]");
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The static kernels' exponentialAverageFactor.

    public static TheoryData<double> BadFactors() => new()
    {
        -0.1, -double.Epsilon, 1.0000000000000002, 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity,
    };

    [Theory]
    [MemberData(nameof(BadFactors))]
    public void StaticForwardTrainingRejectsAFactorOutsideZeroOne_AndWritesNothing(double factor)
    {
        var random = new Random(3);
        float[] x = Enumerable.Range(0, 4 * 5).Select(_ => (float)random.NextDouble()).ToArray();
        float[] input = (float[])x.Clone();
        float[] y = Num.Filled<float>(x.Length, 42);
        double[] savedMean = Num.Filled<double>(5, 42), savedInvStd = Num.Filled<double>(5, 42);
        float[] runningMean = Num.Filled<float>(5, 42), runningVar = Num.Filled<float>(5, 42);
        float[] weight = Num.Filled<float>(5, 1), bias = new float[5];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            FactorNc5.ForwardTraining(input, y, 4, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor));
        Assert.Equal("exponentialAverageFactor", e.ParamName);
        Assert.Equal(x, input);
        Assert.All(y, v => Assert.Equal(42f, v));
        Assert.All(savedMean.Concat(savedInvStd), v => Assert.Equal(42d, v));
        Assert.All(runningMean.Concat(runningVar), v => Assert.Equal(42f, v));
        Assert.Equal(Num.Filled<float>(5, 1), weight);
        Assert.Equal(new float[5], bias);

        double[] xd = Enumerable.Range(0, 2 * 3 * 4).Select(_ => random.NextDouble()).ToArray();
        double[] yd = Num.Filled<double>(xd.Length, 42);
        double[] meanD = Num.Filled<double>(3, 42), invStdD = Num.Filled<double>(3, 42);
        double[] runningMeanD = Num.Filled<double>(3, 42), runningVarD = Num.Filled<double>(3, 42);
        e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            FactorNchw3Double.ForwardTraining(xd, yd, 2, 2, 2, meanD, invStdD, runningMeanD, runningVarD, factor));
        Assert.Equal("exponentialAverageFactor", e.ParamName);
        Assert.All(yd.Concat(meanD).Concat(invStdD).Concat(runningMeanD).Concat(runningVarD), v => Assert.Equal(42d, v));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(0.25)]
    public void StaticForwardTrainingAcceptsTheEndsOfZeroOne(double factor)
    {
        const int batch = 2, height = 2, width = 2, f = 3, plane = height * width;
        var random = new Random(4);
        double[] x = Enumerable.Range(0, batch * f * plane).Select(_ => random.NextDouble() * 3).ToArray();
        double[] runningMean = [0.5, -0.5, 2], runningVar = [1.5, 0.25, 3];
        double[] y = new double[x.Length], savedMean = new double[f], savedInvStd = new double[f];
        double[] meanBefore = (double[])runningMean.Clone(), varBefore = (double[])runningVar.Clone();
        FactorNchw3Double.ForwardTraining(x, y, batch, height, width, savedMean, savedInvStd, runningMean, runningVar, factor);
        var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x, f, batch, plane);
        var (rm, rv) = ReferenceBatchNorm.UpdateRunning(meanBefore, varBefore, mean, variance, batch * plane, factor,
            ReferenceBatchNorm.MeanMagnitude(x, f, batch, plane));
        Close.Each("running mean", rm.Values, runningMean, rm.Scales.Select(s => s * 1e-14).ToArray());
        Close.Each("running var", rv.Values, runningVar, rv.Scales.Select(s => s * 1e-14).ToArray());
        if (factor == 0)
        {
            Assert.Equal(meanBefore, runningMean);
            Assert.Equal(varBefore, runningVar);
        }
    }
}
