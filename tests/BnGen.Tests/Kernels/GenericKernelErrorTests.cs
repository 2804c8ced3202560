using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

/// <summary>
/// Issue 2 §6 on <see cref="BatchNormKernels"/>: the documented exception for each bad argument, and not one value written
/// into any span the call was given (outputs, saved statistics, running statistics, gradients all hold a sentinel).
/// </summary>
public class GenericKernelErrorTests
{
    private const int F = 3, B = 4;

    /// <summary>All the buffers of one call, filled with a sentinel (outputs) or valid data (inputs).</summary>
    private sealed class Buffers
    {
        public Buffers(int features = F, int count = B * F)
        {
            var random = new Random(count);
            X = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
            Dy = Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
            Weight = Num.Filled<float>(features, 1.5);
            Bias = Num.Filled<float>(features, 0.5);
            Y = Num.Filled<float>(count, 42);
            Dx = Num.Filled<float>(count, 42);
            SavedMean = Num.Filled<double>(features, 42);
            SavedInvStd = Num.Filled<double>(features, 42);
            RunningMean = Num.Filled<float>(features, 42);
            RunningVar = Num.Filled<float>(features, 42);
            WeightGrad = Num.Filled<float>(features, 42);
            BiasGrad = Num.Filled<float>(features, 42);
        }

        public float[] X, Dy, Weight, Bias, Y, Dx, RunningMean, RunningVar, WeightGrad, BiasGrad;
        public double[] SavedMean, SavedInvStd;

        public void AssertUntouched()
        {
            foreach (float[] written in new[] { Y, Dx, RunningMean, RunningVar, WeightGrad, BiasGrad })
            {
                Assert.All(written, v => Assert.Equal(42f, v));
            }
            foreach (double[] written in new[] { SavedMean, SavedInvStd })
            {
                Assert.All(written, v => Assert.Equal(42d, v));
            }
        }

        public void Train(int features = F, BatchNormLayout layout = BatchNormLayout.NC, int batch = B, int height = 1, int width = 1,
            double epsilon = 1e-5, double factor = 0.1)
            => BatchNormKernels.ForwardTraining(X, Y, features, layout, batch, height, width, Weight, Bias, epsilon, SavedMean, SavedInvStd,
                RunningMean, RunningVar, factor);
    }

    private static TException Rejected<TException>(Buffers buffers, Action<Buffers> call)
        where TException : Exception
    {
        TException e = Assert.Throws<TException>(() => call(buffers));
        buffers.AssertUntouched();
        return e;
    }

    [Theory]
    [InlineData(0, "features")]
    [InlineData(-3, "features")]
    public void NonPositiveFeaturesAreOutOfRange(int features, string parameter)
    {
        Assert.Equal(parameter, Rejected<ArgumentOutOfRangeException>(new Buffers(), b => b.Train(features: features)).ParamName);
        Assert.Equal(parameter, Rejected<ArgumentOutOfRangeException>(new Buffers(), b => BatchNormKernels.ForwardInference(
            b.X, b.Y, features, BatchNormLayout.NC, B, 1, 1, default, default, 1e-5, b.Weight, b.Bias)).ParamName);
    }

    [Theory]
    [InlineData(0, 1, 1, "batch")]
    [InlineData(-1, 1, 1, "batch")]
    [InlineData(2, 0, 2, "height")]
    [InlineData(2, 2, -1, "width")]
    public void NonPositiveDimensionsAreOutOfRange(int batch, int height, int width, string parameter)
    {
        Assert.Equal(parameter, Rejected<ArgumentOutOfRangeException>(new Buffers(),
            b => b.Train(layout: BatchNormLayout.NCHW, batch: batch, height: height, width: width)).ParamName);
        Assert.Equal(parameter, Rejected<ArgumentOutOfRangeException>(new Buffers(), b => BatchNormKernels.BackwardTraining(
            b.X, b.Dy, b.Dx, F, BatchNormLayout.NCHW, batch, height, width, b.Weight, new double[F], new double[F], b.WeightGrad, b.BiasGrad)).ParamName);
    }

    [Fact]
    public void UndefinedLayoutIsOutOfRange()
    {
        var e = Rejected<ArgumentOutOfRangeException>(new Buffers(), b => b.Train(layout: (BatchNormLayout)7));
        Assert.Equal("layout", e.ParamName);
    }

    [Fact]
    public void NcWithAPlaneIsRejected()
    {
        var e = Rejected<ArgumentException>(new Buffers(), b => b.Train(batch: 2, height: 2, width: 1));
        Assert.Contains("height and width must be 1", e.Message);
    }

    [Fact]
    public void LengthMismatchNamesTheExpectedLength()
    {
        var e = Rejected<ArgumentException>(new Buffers(), b => b.Train(batch: 5));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("exactly 15 values", e.Message);
        Assert.Contains("[5, 3]", e.Message);

        e = Rejected<ArgumentException>(new Buffers(count: 2 * 3 * 2 * 1), b => b.Train(layout: BatchNormLayout.NCHW, batch: 2, height: 2, width: 2));
        Assert.Contains("exactly 24 values", e.Message);
        Assert.Contains("[2, 3, 2, 2]", e.Message);

        var wrongWeight = new Buffers();
        wrongWeight.Weight = new float[2];
        e = Rejected<ArgumentException>(wrongWeight, b => b.Train());
        Assert.Equal("weight", e.ParamName);
        Assert.Contains("exactly 3 values", e.Message);

        var wrongSaved = new Buffers();
        wrongSaved.SavedInvStd = Num.Filled<double>(4, 42);
        Assert.Equal("savedInvStd", Rejected<ArgumentException>(wrongSaved, b => b.Train()).ParamName);

        // Running statistics are tracked in pairs: one without the other is a length mismatch, not "untracked".
        var half = new Buffers();
        half.RunningVar = [];
        Assert.Equal("runningVar", Rejected<ArgumentException>(half, b => b.Train()).ParamName);

        // Inference needs running statistics.
        Assert.Equal("runningMean", Rejected<ArgumentException>(new Buffers(), b => BatchNormKernels.ForwardInference(
            b.X, b.Y, F, BatchNormLayout.NC, B, 1, 1, b.Weight, b.Bias, 1e-5, default, b.Weight)).ParamName);

        Assert.Equal("gradInput", Rejected<ArgumentException>(new Buffers(), b => BatchNormKernels.BackwardTraining(
            b.X, b.Dy, b.Dx.AsSpan(1), F, BatchNormLayout.NC, B, 1, 1, b.Weight, new double[F], new double[F], b.WeightGrad, b.BiasGrad)).ParamName);
        Assert.Equal("biasGrad", Rejected<ArgumentException>(new Buffers(), b => BatchNormKernels.BackwardInference(
            b.X, b.Dy, b.Dx, F, BatchNormLayout.NC, B, 1, 1, b.Weight, 1e-5, b.Weight, b.Weight, b.WeightGrad, b.BiasGrad.AsSpan(1))).ParamName);
        Assert.Equal("savedMean", Rejected<ArgumentException>(new Buffers(), b => BatchNormKernels.BackwardTraining(
            b.X, b.Dy, b.Dx, F, BatchNormLayout.NC, B, 1, 1, b.Weight, new double[F + 1], new double[F], b.WeightGrad, b.BiasGrad)).ParamName);
    }

    [Theory]
    [InlineData(0d)]
    [InlineData(-1e-5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void EpsilonMustBeFiniteAndPositive(double epsilon)
    {
        Assert.Equal("epsilon", Rejected<ArgumentOutOfRangeException>(new Buffers(), b => b.Train(epsilon: epsilon)).ParamName);
        Assert.Equal("epsilon", Rejected<ArgumentOutOfRangeException>(new Buffers(), b => BatchNormKernels.BackwardInference(
            b.X, b.Dy, b.Dx, F, BatchNormLayout.NC, B, 1, 1, b.Weight, epsilon, b.Weight, b.Weight, b.WeightGrad, b.BiasGrad)).ParamName);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void FactorMustBeWithinZeroAndOne(double factor)
        => Assert.Equal("exponentialAverageFactor", Rejected<ArgumentOutOfRangeException>(new Buffers(), b => b.Train(factor: factor)).ParamName);

    [Fact]
    public void BatchStatisticsOverOneValuePerChannelAreRejected()
    {
        var e = Rejected<ArgumentException>(new Buffers(count: F), b => b.Train(batch: 1));
        Assert.Contains("more than 1 value per channel", e.Message);
        Assert.Contains("[1, 3]", e.Message);
        e = Rejected<ArgumentException>(new Buffers(count: F), b => b.Train(layout: BatchNormLayout.NCHW, batch: 1));
        Assert.Contains("[1, 3, 1, 1]", e.Message);
        // Without running statistics too: that is the evaluation forward of an untracked layer.
        Rejected<ArgumentException>(new Buffers(count: F), b => BatchNormKernels.ForwardTraining(
            b.X, b.Y, F, BatchNormLayout.NC, 1, 1, 1, default, default, 1e-5, b.SavedMean, b.SavedInvStd, default, default, 0));
        // ... but not a single sample through the running statistics, nor a 1 × 1 batch of planes.
        var ok = new Buffers(count: F);
        BatchNormKernels.ForwardInference(ok.X, ok.Y, F, BatchNormLayout.NC, 1, 1, 1, default, default, 1e-5, new float[F], Num.Filled<float>(F, 1));
        Assert.Equal(ok.X, ok.Y, (a, b) => Math.Abs(a - b) < 1e-4);
        var plane = new Buffers(count: 2 * F);
        plane.Train(layout: BatchNormLayout.NCHW, batch: 1, height: 1, width: 2);
        Assert.DoesNotContain(42f, plane.Y);
    }

    [Fact]
    public void DoubleOverloadsCheckTheSameWay()
    {
        var x = new double[12];
        var y = Num.Filled<double>(12, 42);
        var saved = Num.Filled<double>(3, 42);
        var e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardTraining(x, y, 3, BatchNormLayout.NC, 5, 1, 1, default, default, 1e-5,
            saved, saved, default, default, 0.1));
        Assert.Contains("exactly 15 values", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormKernels.ForwardInference(x, y, 3, BatchNormLayout.NC, 0, 1, 1, default, default, 1e-5,
            new double[3], new double[3]));
        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.BackwardTraining(x, x, y, 5, BatchNormLayout.NCHW, 1, 1, 1, default,
            new double[5], new double[5], default, default));
        Assert.Contains("exactly 5 values", e.Message);
        Assert.All(y, v => Assert.Equal(42d, v));
        Assert.All(saved, v => Assert.Equal(42d, v));
    }

    [Fact]
    public void NaNPropagatesWithoutThrowing()
    {
        var b = new Buffers();
        b.X[4] = float.NaN;   // row 1, feature 1
        b.Train();
        Assert.True(float.IsNaN(b.Y[1]) && float.IsNaN(b.RunningVar[1]) && double.IsNaN(b.SavedMean[1]));
        Assert.False(float.IsNaN(b.Y[0]) || float.IsNaN(b.Y[2]));
    }
}
