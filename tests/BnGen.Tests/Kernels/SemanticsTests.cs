using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(2)]
public partial class TextbookNc2 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNcAffineTracked<float> { }

[BatchNormLayer(1)]
public partial class TextbookNc1 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(4, Momentum = 0)]
public partial class FrozenNc4 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double), CumulativeAverage = true)]
public partial class CumulativeNchw3 : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double), TrackRunningStats = false)]
public partial class UntrackedNchw3 : INchwLayer<double>, IAffineLayer<double> { }

[BatchNormLayer(5, ElementType = typeof(double))]
public partial class MutableNc5 : INcLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

/// <summary>The textbook examples of issue 2 §7 and the semantics of §3, one behaviour per test.</summary>
public class SemanticsTests
{
    [Fact]
    public void Textbook_NC_3x2_BatchMeanAndBiasedVariance()
    {
        // [[1, 2], [3, 4], [5, 6]]: batch mean [3, 4], biased variance [8/3, 8/3] (unbiased 4).
        float[] x = [1, 2, 3, 4, 5, 6];
        var y = new float[6];
        var savedMean = new double[2];
        var savedInvStd = new double[2];
        TextbookNc2.ForwardTraining(x, y, 3, [1f, 1f], [0f, 0f], savedMean, savedInvStd, new float[2], new float[2], 0.1);
        AssertStatistics(savedMean, savedInvStd);
        BatchNormKernels.ForwardTraining(x, y, 2, BatchNormLayout.NC, 3, 1, 1, default, default, 1e-5, savedMean, savedInvStd, default, default, 0.1);
        AssertStatistics(savedMean, savedInvStd);

        var layer = new TextbookNc2();
        layer.Forward(x, y, 3);
        double invStd = 1 / Math.Sqrt(8.0 / 3.0 + 1e-5);
        Assert.Equal([-2 * invStd, -2 * invStd, 0, 0, 2 * invStd, 2 * invStd], y.Select(v => (double)v), new Tolerance(1e-6));
        // Running statistics: 0.9 · 0 + 0.1 · [3, 4]; 0.9 · 1 + 0.1 · 4 (the unbiased variance).
        Assert.Equal([0.3, 0.4], layer.RunningMean.Select(v => (double)v), new Tolerance(1e-7));
        Assert.Equal([1.3, 1.3], layer.RunningVar.Select(v => (double)v), new Tolerance(1e-6));
        Assert.Equal(1, layer.NumBatchesTracked);

        static void AssertStatistics(double[] savedMean, double[] savedInvStd)
        {
            Assert.Equal([3.0, 4.0], savedMean);
            foreach (double invStd in savedInvStd)
            {
                Assert.Equal(8.0 / 3.0, 1 / (invStd * invStd) - 1e-5, 1e-12);
            }
        }
    }

    [Fact]
    public void Textbook_NC_4x1_WeightTwoBiasOne()
    {
        // mean 2.5, biased variance 1.25: (x − 2.5) / sqrt(1.25 + 1e-5) · 2 + 1. (The widely copied −1.236 and 3.236 for
        // the outer two are an arithmetic slip: (1 − 2.5) / sqrt(1.25) = −1.342.)
        double[] expected = [-1.6833, 0.1056, 1.8944, 3.6833];
        float[] x = [1, 2, 3, 4];
        var layer = new TextbookNc1();
        layer.Weight[0] = 2;
        layer.Bias[0] = 1;
        var y = new float[4];
        layer.Forward(x, y, 4);
        Assert.Equal(expected, y.Select(v => (double)v), new Tolerance(1e-4));

        var generic = new float[4];
        BatchNormKernels.ForwardTraining(x, generic, 1, BatchNormLayout.NC, 4, 1, 1, [2f], [1f], 1e-5, new double[1], new double[1], default, default, 0);
        Assert.Equal(expected, generic.Select(v => (double)v), new Tolerance(1e-4));

        // The slip, through the product: with γ = 1 and β = 0 the layer gives x̂ itself, −1.3416 for the first value, not
        // the copied −1.236 (2 · −1.236 + 1 would be −1.472, not −1.6833 either).
        var plain = new TextbookNc1();
        var xHat = new float[4];
        plain.Forward(x, xHat, 4);
        Assert.Equal([-1.5 / Math.Sqrt(1.25 + 1e-5), -0.5 / Math.Sqrt(1.25 + 1e-5), 0.5 / Math.Sqrt(1.25 + 1e-5), 1.5 / Math.Sqrt(1.25 + 1e-5)],
            xHat.Select(v => (double)v), new Tolerance(1e-6));
        Assert.Equal(-1.3416, xHat[0], 4);
    }

    [Fact]
    public void MomentumZeroFreezesTheRunningStatisticsButCountsBatches()
    {
        var layer = new FrozenNc4();
        var random = new Random(5);
        for (int step = 1; step <= 3; step++)
        {
            float[] x = Enumerable.Range(0, 6 * 4).Select(_ => (float)(random.NextDouble() * 10 - 3)).ToArray();
            layer.Forward(x, new float[x.Length], 6);
            Assert.Equal(new float[4], layer.RunningMean);
            Assert.Equal([1f, 1f, 1f, 1f], layer.RunningVar);
            Assert.Equal(step, layer.NumBatchesTracked);
        }
    }

    [Fact]
    public void CumulativeAverageIsTheAverageOfTheBatchStatistics()
    {
        var layer = new CumulativeNchw3();
        var random = new Random(6);
        var means = new double[3];
        var variances = new double[3];
        const int batches = 4;
        for (int step = 0; step < batches; step++)
        {
            int batch = 2 + step, height = 3, width = 2 + step;
            double[] x = Enumerable.Range(0, batch * 3 * height * width).Select(_ => random.NextDouble() * (step + 1) * 4 + step).ToArray();
            layer.Forward(x, new double[x.Length], batch, height, width);
            var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x, 3, batch, height * width);
            double n = (double)batch * height * width;
            for (int c = 0; c < 3; c++)
            {
                means[c] += mean[c] / batches;
                variances[c] += variance[c] * n / (n - 1) / batches;
            }
        }
        Assert.Equal(batches, layer.NumBatchesTracked);
        Assert.Equal(means, layer.RunningMean, new Tolerance(1e-12));
        Assert.Equal(variances, layer.RunningVar, new Tolerance(1e-12));
    }

    [Fact]
    public void EvalWithoutRunningStatisticsUsesBatchStatisticsAndTheTrainingGradient()
    {
        var layer = new UntrackedNchw3();
        var random = new Random(7);
        const int batch = 2, height = 3, width = 5, count = batch * 3 * height * width;
        for (int c = 0; c < 3; c++)
        {
            layer.Weight[c] = random.NextDouble() + 0.5;
            layer.Bias[c] = random.NextDouble() - 0.5;
        }
        double[] x = Enumerable.Range(0, count).Select(_ => random.NextDouble() * 4 - 1).ToArray();
        double[] dy = Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();

        var trainY = new double[count];
        var trainDx = new double[count];
        layer.Forward(x, trainY, batch, height, width);
        layer.Backward(x, dy, trainDx, batch, height, width);
        double[] trainWeightGrad = (double[])layer.WeightGrad.Clone();

        layer.Training = false;
        var evalY = new double[count];
        var evalDx = new double[count];
        layer.Forward(x, evalY, batch, height, width);
        layer.Backward(x, dy, evalDx, batch, height, width);

        Assert.Equal(trainY, evalY);
        Assert.Equal(trainDx, evalDx);
        Assert.Equal(trainWeightGrad, layer.WeightGrad);
        var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x, 3, batch, height * width);
        var expected = ReferenceBatchNorm.Normalize(x, 3, batch, height * width, mean, variance, 1e-5, layer.Weight, layer.Bias);
        Assert.Equal(expected.Values, evalY, new Tolerance(1e-12));
        var (gradInput, _, _) = ReferenceBatchNorm.BackwardBatch(x, dy, 3, batch, height * width, mean, variance, 1e-5, layer.Weight);
        Assert.Equal(gradInput.Values, evalDx, new Tolerance(1e-12));
        // The batch-statistics gradient sums to zero per channel; the running-statistics one would not.
        Assert.Equal(0, evalDx.Where((_, i) => i / (height * width) % 3 == 0).Sum(), 1e-12);
    }

    [Fact]
    public void WritesIntoWeightBiasAndRunningStatisticsAreHonoured()
    {
        var layer = new MutableNc5();
        var random = new Random(8);
        const int batch = 4, f = 5;
        double[] x = Enumerable.Range(0, batch * f).Select(_ => random.NextDouble() * 3).ToArray();
        double[] dy = Enumerable.Range(0, batch * f).Select(_ => random.NextDouble() - 0.5).ToArray();
        var (mean, variance) = ReferenceBatchNorm.BatchStatistics(x, f, batch, 1);
        var y = new double[x.Length];
        var dx = new double[x.Length];

        // Training: an "optimizer step" between two calls.
        for (int step = 0; step < 2; step++)
        {
            for (int c = 0; c < f; c++)
            {
                layer.Weight[c] = random.NextDouble() * 4 - 2;
                layer.Bias[c] = random.NextDouble() * 2 - 1;
            }
            layer.Forward(x, y, batch);
            var expected = ReferenceBatchNorm.Normalize(x, f, batch, 1, mean, variance, 1e-5, layer.Weight, layer.Bias);
            Assert.Equal(expected.Values, y, new Tolerance(1e-12));
            // The weight may change between Forward and Backward too: Backward reads it afresh.
            layer.Weight[0] *= 3;
            layer.Backward(x, dy, dx, batch);
            var (gradInput, _, _) = ReferenceBatchNorm.BackwardBatch(x, dy, f, batch, 1, mean, variance, 1e-5, layer.Weight);
            Assert.Equal(gradInput.Values, dx, new Tolerance(1e-12));
        }

        // Evaluation: "loading a checkpoint" into the running statistics.
        layer.Training = false;
        for (int step = 0; step < 2; step++)
        {
            for (int c = 0; c < f; c++)
            {
                layer.RunningMean[c] = random.NextDouble() * 2 - 1;
                layer.RunningVar[c] = random.NextDouble() + 0.25;
            }
            layer.Forward(x, y, batch);
            var expected = ReferenceBatchNorm.Normalize(x, f, batch, 1, layer.RunningMean, layer.RunningVar, 1e-5, layer.Weight, layer.Bias);
            Assert.Equal(expected.Values, y, new Tolerance(1e-12));
            layer.RunningVar[1] *= 2;
            layer.Backward(x, dy, dx, batch);
            var (gradInput, gradWeight, _) = ReferenceBatchNorm.BackwardRunning(x, dy, f, batch, 1, layer.RunningMean, layer.RunningVar, 1e-5, layer.Weight);
            Assert.Equal(gradInput.Values, dx, new Tolerance(1e-12));
            Assert.Equal(gradWeight.Values, layer.WeightGrad, new Tolerance(1e-12));
        }
    }

    [Fact]
    public void NaNInTheInputPropagatesWithoutThrowing()
    {
        var layer = new TextbookNc2();
        float[] x = [1, float.NaN, 3, 4, 5, 6];
        var y = new float[6];
        layer.Forward(x, y, 3);
        // Feature 1 holds the NaN: its outputs and running statistics are NaN; feature 0 is untouched by it.
        Assert.All(new[] { y[1], y[3], y[5], layer.RunningMean[1], layer.RunningVar[1] }, v => Assert.True(float.IsNaN(v)));
        Assert.False(float.IsNaN(y[0]) || float.IsNaN(layer.RunningVar[0]));
        var dx = new float[6];
        layer.Backward(x, [1, 1, 1, 1, 1, 1], dx, 3);
        Assert.True(float.IsNaN(dx[1]));

        var generic = new float[6];
        BatchNormKernels.ForwardTraining(x, generic, 2, BatchNormLayout.NC, 3, 1, 1, default, default, 1e-5, new double[2], new double[2], default, default, 0.1);
        Assert.True(float.IsNaN(generic[3]));
        Assert.False(float.IsNaN(generic[2]));
    }

    /// <summary>Element-wise comparison of doubles within an absolute tolerance.</summary>
    private sealed class Tolerance(double tolerance) : System.Collections.Generic.IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
