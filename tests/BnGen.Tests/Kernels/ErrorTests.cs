using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(3)]
public partial class ErrNc3 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(2, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class ErrNchw2 : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(4, TrackRunningStats = false)]
public partial class ErrNc4NoStats : INcLayer<float>, IAffineLayer<float> { }

/// <summary>
/// Issue 2 §6 on the generated layers: every rejected call throws the documented exception and changes nothing — the
/// running statistics, NumBatchesTracked, the parameter gradients, the spans it was given — and a Backward after it is
/// still the gradient of the last successful Forward (bit for bit the same as in a twin layer that never saw the bad call).
/// </summary>
public class ErrorTests
{
    private const int Batch = 4;

    /// <summary>Two layers with the same history: the twin never sees the rejected calls.</summary>
    private sealed class Pair<T>
        where T : unmanaged
    {
        public Pair(Func<object> create, LayerConfig config, int batch, int height, int width, bool forward = true)
        {
            Subject = new GeneratedLayer<T>(create(), config);
            Twin = new GeneratedLayer<T>(create(), config);
            (BatchSize, Height, Width) = (batch, height, width);
            int count = batch * config.Features * height * width;
            var random = new Random(count);
            X = Num.FromDoubles<T>(Enumerable.Range(0, count).Select(_ => random.NextDouble() * 3).ToArray());
            Dy = Num.FromDoubles<T>(Enumerable.Range(0, count).Select(_ => random.NextDouble() - 0.5).ToArray());
            if (forward)
            {
                foreach (var layer in new[] { Subject, Twin })
                {
                    layer.Forward(X, new T[count], batch, height, width);
                }
            }
        }

        public GeneratedLayer<T> Subject { get; }

        public GeneratedLayer<T> Twin { get; }

        public T[] X { get; }

        public T[] Dy { get; }

        public int BatchSize { get; }

        public int Height { get; }

        public int Width { get; }

        public int Count => X.Length;

        /// <summary>The subject's state equals the twin's, and a Backward of the last good Forward agrees bit for bit.</summary>
        public void AssertUnchangedAndBackwardStillWorks()
        {
            AssertSameState();
            var dxSubject = new T[Count];
            var dxTwin = new T[Count];
            Subject.Backward(X, Dy, dxSubject, BatchSize, Height, Width);
            Twin.Backward(X, Dy, dxTwin, BatchSize, Height, Width);
            Assert.Equal(dxTwin, dxSubject);
            AssertSameState();
        }

        public void AssertSameState()
        {
            Assert.Equal(Twin.Training, Subject.Training);
            Assert.Equal(Twin.Weight, Subject.Weight);
            Assert.Equal(Twin.Bias, Subject.Bias);
            Assert.Equal(Twin.WeightGrad, Subject.WeightGrad);
            Assert.Equal(Twin.BiasGrad, Subject.BiasGrad);
            Assert.Equal(Twin.RunningMean, Subject.RunningMean);
            Assert.Equal(Twin.RunningVar, Subject.RunningVar);
            Assert.Equal(Twin.NumBatchesTracked, Subject.NumBatchesTracked);
        }
    }

    private static Pair<float> Nc(bool forward = true)
        => new(() => new ErrNc3(), new LayerConfig(3, BatchNormLayout.NC, false, 1e-5, 0.1, true, true, false), Batch, 1, 1, forward);

    private static Pair<double> Nchw(bool forward = true)
        => new(() => new ErrNchw2(), new LayerConfig(2, BatchNormLayout.NCHW, true, 1e-5, 0.1, true, true, false), 2, 3, 2, forward);

    /// <summary>Runs a call that must be rejected; the buffers it was given must come back untouched.</summary>
    private static TException Rejected<TException>(Action call, params Array[] buffers)
        where TException : Exception
    {
        Array[] before = buffers.Select(b => (Array)b.Clone()).ToArray();
        TException exception = Assert.Throws<TException>(call);
        for (int i = 0; i < buffers.Length; i++)
        {
            Assert.Equal(before[i], buffers[i]);
        }
        return exception;
    }

    private static T[] Sentinel<T>(int length) => Num.Filled<T>(length, 42);

    [Fact]
    public void ForwardLengthMismatchNamesTheExpectedLength()
    {
        var p = Nc();
        float[] y = Sentinel<float>(p.Count);
        var e = Rejected<ArgumentException>(() => p.Subject.Forward(p.X.AsSpan(1), y, Batch, 1, 1), y);
        Assert.Equal("input", e.ParamName);
        Assert.Contains("exactly 12 values", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        float[] longY = Sentinel<float>(p.Count + 1);
        e = Rejected<ArgumentException>(() => p.Subject.Forward(p.X, longY, Batch, 1, 1), longY);
        Assert.Equal("output", e.ParamName);
        Assert.Contains("exactly 12 values", e.Message);
        p.AssertUnchangedAndBackwardStillWorks();

        var q = Nchw();
        double[] y2 = Sentinel<double>(q.Count);
        var e2 = Rejected<ArgumentException>(() => q.Subject.Forward(q.X, y2, 2, 3, 3), y2);
        Assert.Contains("exactly 36 values", e2.Message);
        Assert.Contains("[2, 2, 3, 3]", e2.Message);
        q.AssertUnchangedAndBackwardStillWorks();
    }

    [Fact]
    public void AShapeWhoseElementCountOverflowsNeverMatchesALength()
    {
        // 2 channels · 2^30 · 2^30 · 8 = 2^64: a product taken in 64 bits without care wraps to 0 and would match empty
        // spans, after which a kernel would walk memory it was never given. The count must saturate instead.
        var q = Nchw();
        double[] empty = [];
        var e = Rejected<ArgumentException>(() => q.Subject.Forward(empty, empty, 1 << 30, 1 << 30, 8), empty);
        Assert.Equal("input", e.ParamName);
        e = Rejected<ArgumentException>(() => q.Subject.Backward(empty, empty, empty, 1 << 30, 1 << 30, 8), empty);
        Assert.Equal("input", e.ParamName);
        double[] saved = Sentinel<double>(ErrNchw2.Features);
        e = Rejected<ArgumentException>(() => ErrNchw2.ForwardInference(empty, empty, 1 << 30, 1 << 30, 8,
            q.Subject.Weight, q.Subject.Bias, q.Subject.RunningMean, q.Subject.RunningVar), saved);
        Assert.Equal("input", e.ParamName);
        q.AssertUnchangedAndBackwardStillWorks();

        // The generic kernels saturate the same way.
        e = Rejected<ArgumentException>(() => BatchNormKernels.ForwardInference(empty, empty, 2, BatchNormLayout.NCHW,
            1 << 30, 1 << 30, 8, default, default, 1e-5, q.Subject.RunningMean, q.Subject.RunningVar), empty);
        Assert.Equal("input", e.ParamName);
    }

    [Theory]
    [InlineData(0, 3, 2, "batch")]
    [InlineData(-1, 3, 2, "batch")]
    [InlineData(2, 0, 2, "height")]
    [InlineData(2, 3, -2, "width")]
    public void NonPositiveDimensionsAreOutOfRange(int batch, int height, int width, string parameter)
    {
        var q = Nchw();
        double[] y = Sentinel<double>(q.Count);
        var e = Rejected<ArgumentOutOfRangeException>(() => q.Subject.Forward(q.X, y, batch, height, width), y);
        Assert.Equal(parameter, e.ParamName);
        double[] dx = Sentinel<double>(q.Count);
        e = Rejected<ArgumentOutOfRangeException>(() => q.Subject.Backward(q.X, q.Dy, dx, batch, height, width), dx);
        Assert.Equal(parameter, e.ParamName);
        q.AssertUnchangedAndBackwardStillWorks();

        if (parameter == "batch")
        {
            var p = Nc();
            float[] y1 = Sentinel<float>(p.Count);
            Assert.Equal("batch", Rejected<ArgumentOutOfRangeException>(() => p.Subject.Forward(p.X, y1, batch, 1, 1), y1).ParamName);
            p.AssertUnchangedAndBackwardStillWorks();
        }
    }

    [Fact]
    public void TrainingWithOneValuePerChannelIsRejected()
    {
        var p = Nc();
        float[] y = Sentinel<float>(3);
        var e = Rejected<ArgumentException>(() => p.Subject.Forward(p.X.AsSpan(0, 3), y, 1, 1, 1), y);
        Assert.Contains("more than 1 value per channel", e.Message);
        p.AssertUnchangedAndBackwardStillWorks();

        var q = Nchw();
        double[] y2 = Sentinel<double>(2);
        Rejected<ArgumentException>(() => q.Subject.Forward(q.X.AsSpan(0, 2), y2, 1, 1, 1), y2);
        q.AssertUnchangedAndBackwardStillWorks();

        // In evaluation mode the running statistics serve a single sample.
        p.Subject.Training = false;
        p.Subject.Forward(p.X.AsSpan(0, 3), y, 1, 1, 1);
        Assert.DoesNotContain(42f, y);
    }

    [Fact]
    public void EvalWithoutRunningStatisticsAndOneValuePerChannelIsRejected()
    {
        var p = new Pair<float>(() => new ErrNc4NoStats(), new LayerConfig(4, BatchNormLayout.NC, false, 1e-5, 0.1, true, false, false), Batch, 1, 1);
        p.Subject.Training = false;
        p.Twin.Training = false;
        float[] y = Sentinel<float>(4);
        var e = Rejected<ArgumentException>(() => p.Subject.Forward(p.X.AsSpan(0, 4), y, 1, 1, 1), y);
        Assert.Contains("more than 1 value per channel", e.Message);
        p.AssertUnchangedAndBackwardStillWorks();
    }

    [Fact]
    public void BackwardBeforeForwardIsInvalid()
    {
        var p = Nc(forward: false);
        float[] dx = Sentinel<float>(p.Count);
        var e = Rejected<InvalidOperationException>(() => p.Subject.Backward(p.X, p.Dy, dx, Batch, 1, 1), dx);
        Assert.Contains("before any successful Forward", e.Message);
        p.AssertSameState();

        // A rejected Forward is not "a Forward".
        float[] y = Sentinel<float>(3);
        Rejected<ArgumentException>(() => p.Subject.Forward(p.X.AsSpan(0, 3), y, 1, 1, 1), y);
        Rejected<InvalidOperationException>(() => p.Subject.Backward(p.X, p.Dy, dx, Batch, 1, 1), dx);
        p.AssertSameState();

        var q = Nchw(forward: false);
        double[] dx2 = Sentinel<double>(q.Count);
        Rejected<InvalidOperationException>(() => q.Subject.Backward(q.X, q.Dy, dx2, 2, 3, 2), dx2);
        q.AssertSameState();
    }

    [Fact]
    public void BackwardWithAnotherShapeIsInvalid()
    {
        var p = Nc();
        float[] dx = Sentinel<float>(9);
        var e = Rejected<InvalidOperationException>(() => p.Subject.Backward(p.X.AsSpan(0, 9), p.Dy.AsSpan(0, 9), dx, 3, 1, 1), dx);
        Assert.Contains("[3, 3]", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        p.AssertUnchangedAndBackwardStillWorks();

        // Same number of values, another plane: 2 × 3 × 2 forward, 2 × 2 × 3 backward.
        var q = Nchw();
        double[] dx2 = Sentinel<double>(q.Count);
        Rejected<InvalidOperationException>(() => q.Subject.Backward(q.X, q.Dy, dx2, 2, 2, 3), dx2);
        Rejected<InvalidOperationException>(() => q.Subject.Backward(q.X, q.Dy, dx2, 1, 6, 2), dx2);
        q.AssertUnchangedAndBackwardStillWorks();
    }

    [Theory]
    [InlineData(3, 3, 2)]   // batch only
    [InlineData(2, 4, 2)]   // height only
    [InlineData(2, 3, 4)]   // width only
    [InlineData(2, 3, 1)]   // width only, smaller
    public void BackwardWithOneDimensionChangedIsInvalid(int batch, int height, int width)
    {
        // The forward ran on 2 × 2 × 3 × 2; a backward whose buffers are right for its own shape, which differs in one
        // dimension, must not run on the saved statistics of another shape.
        var q = Nchw();
        int count = batch * ErrNchw2.Features * height * width;
        double[] x = Num.FromDoubles<double>(Enumerable.Range(0, count).Select(i => 0.25 * i).ToArray());
        double[] dx = Sentinel<double>(count);
        var e = Rejected<InvalidOperationException>(() => q.Subject.Backward(x, x, dx, batch, height, width), dx);
        Assert.Contains("[2, 2, 3, 2]", e.Message);
        Assert.Contains($"[{batch}, 2, {height}, {width}]", e.Message);
        q.AssertUnchangedAndBackwardStillWorks();

        // The same in evaluation mode, where Backward uses the running statistics.
        var r = Nchw();
        r.Subject.Training = r.Twin.Training = false;
        foreach (var layer in new[] { r.Subject, r.Twin })
        {
            layer.Forward(r.X, new double[r.Count], 2, 3, 2);
        }
        Rejected<InvalidOperationException>(() => r.Subject.Backward(x, x, dx, batch, height, width), dx);
        r.AssertUnchangedAndBackwardStillWorks();
    }

    [Fact]
    public void BackwardLengthMismatchIsRejected()
    {
        var p = Nc();
        float[] dx = Sentinel<float>(p.Count - 1);
        var e = Rejected<ArgumentException>(() => p.Subject.Backward(p.X, p.Dy, dx, Batch, 1, 1), dx);
        Assert.Equal("gradInput", e.ParamName);
        Assert.Contains("exactly 12 values", e.Message);
        float[] dx2 = Sentinel<float>(p.Count);
        e = Rejected<ArgumentException>(() => p.Subject.Backward(p.X, p.Dy.AsSpan(3), dx2, Batch, 1, 1), dx2);
        Assert.Equal("gradOutput", e.ParamName);
        p.AssertUnchangedAndBackwardStillWorks();
    }

    [Fact]
    public void AnEvalForwardAfterTrainingMovesBackwardToTheRunningStatistics()
    {
        // Not an error, but the other half of "Backward refers to the most recent successful Forward".
        var p = Nc();
        p.Subject.Training = false;
        p.Subject.Forward(p.X, new float[p.Count], Batch, 1, 1);
        var dx = new float[p.Count];
        var dxTwin = new float[p.Count];
        p.Subject.Backward(p.X, p.Dy, dx, Batch, 1, 1);
        p.Twin.Backward(p.X, p.Dy, dxTwin, Batch, 1, 1);
        Assert.NotEqual(dxTwin, dx);
        double invStd = 1 / Math.Sqrt(p.Subject.RunningVar![0] + 1e-5);
        Assert.Equal(p.Dy[0] * invStd, dx[0], 1e-6);
    }
}
