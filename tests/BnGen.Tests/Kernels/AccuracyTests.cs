using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(8, CumulativeAverage = true)]
public partial class AccuracyNc8 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNcAffineTracked<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, CumulativeAverage = true)]
public partial class AccuracyNchw3 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNchwAffineTracked<float> { }

/// <summary>
/// float32 data whose mean (1e4) is 10^6 times its standard deviation (1e-2): at 1e4 a float's spacing is 2^-10 ≈ 9.8e-4,
/// so each value carries only about four significant bits of its deviation, and Σx² in float (1e8 · n) cannot see a
/// variance of 1e-4 at all. The reference is the two-pass variance in double of the very float values the layer gets.
/// <para>
/// PyTorch's CPU float kernel (batch_norm_cpu_collect_stats: accumulation type double, the mean, then Σ (x − mean)²)
/// gets this variance to float rounding, about 1e-7 relative. So do we: the layers' two passes in double give the
/// saved 1/sqrt(var + ε) to within 1e-12 relative of the reference and RunningVar (rounded to float) within 1e-6; the
/// normalized output's per-channel standard deviation is sqrt(var / (var + ε)) within 1e-5. Measured on the NC case
/// (x64, .NET 10): RunningVar 4.5e-8 relative (one float rounding), saved invStd equal to the reference in every bit,
/// output standard deviation 3.3e-8; the bounds asserted leave room for other machines' summation orders. A one-pass
/// E[x²] − E[x]² accumulated in float is off by 4.5e5 times the variance (asserted below to be off by more than the
/// variance itself, to show the data is a real test).
/// </para>
/// </summary>
public class AccuracyTests
{
    private const double Epsilon = 1e-5;

    private static float[] Data(Random random, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box-Muller: a normal deviate, standard deviation 1e-2 around 1e4.
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            x[i] = (float)(1e4 + 1e-2 * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return x;
    }

    [Fact]
    public void NcVarianceOfDataFarFromZero()
    {
        const int batch = 64, f = AccuracyNc8.Features;
        float[] x = Data(new Random(11), batch * f);
        var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x.Select(v => (double)v).ToArray(), f, batch, 1);
        AssertTheDataIsHard(x, f, batch, 1, variance);

        // The instance: with a cumulative average the first batch's statistics become the running statistics.
        var layer = new AccuracyNc8();
        var y = new float[x.Length];
        layer.Forward(x, y, batch);
        AssertRunningAndOutput(layer.RunningMean, layer.RunningVar, y, f, batch, 1, mean, variance);

        // The static kernel and the generic kernel show the saved statistics themselves.
        var savedMean = new double[f];
        var savedInvStd = new double[f];
        AccuracyNc8.ForwardTraining(x, y, batch, Num.Filled<float>(f, 1), new float[f], savedMean, savedInvStd, new float[f], new float[f], 1);
        AssertSaved(savedMean, savedInvStd, mean, variance);
        Array.Clear(savedInvStd);
        BatchNormKernels.ForwardTraining(x, y, f, BatchNormLayout.NC, batch, 1, 1, default, default, Epsilon, savedMean, savedInvStd, default, default, 0);
        AssertSaved(savedMean, savedInvStd, mean, variance);
    }

    [Fact]
    public void NchwVarianceOfDataFarFromZero()
    {
        const int batch = 4, f = AccuracyNchw3.Features, height = 7, width = 9;
        float[] x = Data(new Random(12), batch * f * height * width);
        var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x.Select(v => (double)v).ToArray(), f, batch, height * width);
        AssertTheDataIsHard(x, f, batch, height * width, variance);

        var layer = new AccuracyNchw3();
        var y = new float[x.Length];
        layer.Forward(x, y, batch, height, width);
        AssertRunningAndOutput(layer.RunningMean, layer.RunningVar, y, f, batch, height * width, mean, variance);

        var savedMean = new double[f];
        var savedInvStd = new double[f];
        AccuracyNchw3.ForwardTraining(x, y, batch, height, width, Num.Filled<float>(f, 1), new float[f], savedMean, savedInvStd, new float[f], new float[f], 1);
        AssertSaved(savedMean, savedInvStd, mean, variance);
        Array.Clear(savedInvStd);
        BatchNormKernels.ForwardTraining(x, y, f, BatchNormLayout.NCHW, batch, height, width, default, default, Epsilon, savedMean, savedInvStd, default, default, 0);
        AssertSaved(savedMean, savedInvStd, mean, variance);
    }

    private static void AssertSaved(double[] savedMean, double[] savedInvStd, double[] mean, double[] variance)
    {
        for (int c = 0; c < mean.Length; c++)
        {
            Assert.Equal(mean[c], savedMean[c], 1e-12 * mean[c]);
            double invStd = 1 / Math.Sqrt(variance[c] + Epsilon);
            Assert.True(Math.Abs(savedInvStd[c] - invStd) <= 1e-12 * invStd, $"channel {c}: invStd {savedInvStd[c]:R}, reference {invStd:R}");
        }
    }

    private static void AssertRunningAndOutput(float[] runningMean, float[] runningVar, float[] y, int f, int batch, int plane, double[] mean, double[] variance)
    {
        double n = (double)batch * plane;
        var (outMean, outVariance) = ReferenceBatchNorm.BatchStatistics(y.Select(v => (double)v).ToArray(), f, batch, plane);
        for (int c = 0; c < f; c++)
        {
            double unbiased = variance[c] * n / (n - 1);
            Assert.True(Math.Abs(runningVar[c] - unbiased) <= 1e-6 * unbiased, $"channel {c}: RunningVar {runningVar[c]:R}, reference {unbiased:R}");
            Assert.Equal(mean[c], runningMean[c], 1e-7 * mean[c]);
            double expectedStd = Math.Sqrt(variance[c] / (variance[c] + Epsilon));
            Assert.True(Math.Abs(Math.Sqrt(outVariance[c]) - expectedStd) <= 1e-5 * expectedStd,
                $"channel {c}: output standard deviation {Math.Sqrt(outVariance[c]):R}, reference {expectedStd:R}");
            // y = x · scale + shift with |x · scale| ≈ 1e6: the float shift's rounding (spacing 1/16 there) moves the
            // output mean, as in PyTorch's float kernel, which folds the same way; the spread is unaffected.
            Assert.True(Math.Abs(outMean[c]) < 0.1, $"channel {c}: output mean {outMean[c]:R}");
        }
    }

    /// <summary>A float one-pass variance is meaningless on this data; the layers must not be.</summary>
    private static void AssertTheDataIsHard(float[] x, int f, int batch, int plane, double[] variance)
    {
        double n = (double)batch * plane;
        for (int c = 0; c < f; c++)
        {
            Assert.InRange(variance[c], 0.5e-4, 2e-4);
            float sumF = 0, squaresF = 0;
            for (int b = 0; b < batch; b++)
            {
                for (int s = 0; s < plane; s++)
                {
                    float v = x[ReferenceBatchNorm.Index(f, plane, b, c, s)];
                    sumF += v;
                    squaresF += v * v;
                }
            }
            double naiveFloat = squaresF / n - (sumF / n) * (sumF / n);
            Assert.True(Math.Abs(naiveFloat - variance[c]) > variance[c], $"float one-pass: {naiveFloat:R} vs {variance[c]:R}");
        }
    }
}
