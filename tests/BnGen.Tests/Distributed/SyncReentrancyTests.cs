using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Distributed;

[BatchNormLayer(24, BatchNormLayout.NC, Activation = BatchNormActivation.ReLU)]
public partial class ReentrantSyncNc { }

[BatchNormLayer(6, BatchNormLayout.NCHW)]
public partial class ReentrantSyncNchw { }

[BatchNormLayer(8, BatchNormLayout.NC)]
public partial class ReentrantInnerSmall { }

[BatchNormLayer(64, BatchNormLayout.NHWC)]
public partial class ReentrantInnerLarge { }

/// <summary>
/// An all-reduce runs user code in the middle of a synchronized call. That code may call other BnGen layers on the same
/// thread (a logging hook, a second model); the synchronized call's working memory must survive it. The meddling
/// all-reduce below runs, inside every SumInPlace, a small NC layer (whose scratch would overlap the outer call's if both
/// used the thread's) and a large NHWC layer whose need grows on every round (so a thread's scratch would be replaced),
/// then collects garbage (so a replaced pinned array would really be freed). The synchronized layer must give the same
/// bits as with an all-reduce that does nothing.
/// </summary>
public class SyncReentrancyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Nc_Layer_Survives_Other_Layers_Inside_The_AllReduce(int degree)
    {
        var rng = new Random(11);
        const int batch = 40, f = 24;
        float[] x = Gaussians(batch * f, rng, offset: 3), dy = Gaussians(batch * f, rng, offset: 0);
        var quiet = new ReentrantSyncNc { SyncStatistics = new CountingAllReduce(), MaxDegreeOfParallelism = degree };
        var meddled = new ReentrantSyncNc { SyncStatistics = new MeddlingAllReduce(), MaxDegreeOfParallelism = degree };
        for (int step = 0; step < 3; step++)
        {
            float[] y0 = new float[x.Length], y1 = new float[x.Length], dx0 = new float[x.Length], dx1 = new float[x.Length];
            quiet.Forward(x, y0, batch);
            quiet.Backward(x, dy, dx0, batch);
            meddled.Forward(x, y1, batch);
            meddled.Backward(x, dy, dx1, batch);
            Assert.Equal(y0, y1);
            Assert.Equal(dx0, dx1);
            Assert.Equal(quiet.RunningMean, meddled.RunningMean);
            Assert.Equal(quiet.RunningVar, meddled.RunningVar);
            Assert.Equal(quiet.WeightGrad, meddled.WeightGrad);
            Assert.Equal(quiet.BiasGrad, meddled.BiasGrad);
        }
    }

    [Fact]
    public void Nchw_Layer_Survives_Other_Layers_Inside_The_AllReduce()
    {
        var rng = new Random(12);
        const int batch = 5, f = 6, h = 7, w = 9;
        int count = batch * f * h * w;
        float[] x = Gaussians(count, rng, offset: -2), dy = Gaussians(count, rng, offset: 0);
        var quiet = new ReentrantSyncNchw { SyncStatistics = new CountingAllReduce() };
        var meddled = new ReentrantSyncNchw { SyncStatistics = new MeddlingAllReduce() };
        float[] y0 = new float[count], y1 = new float[count], dx0 = new float[count], dx1 = new float[count];
        quiet.Forward(x, y0, batch, h, w);
        quiet.Backward(x, dy, dx0, batch, h, w);
        meddled.Forward(x, y1, batch, h, w);
        meddled.Backward(x, dy, dx1, batch, h, w);
        Assert.Equal(y0, y1);
        Assert.Equal(dx0, dx1);
        Assert.Equal(quiet.RunningVar, meddled.RunningVar);
        Assert.Equal(quiet.WeightGrad, meddled.WeightGrad);
    }

    private static float[] Gaussians(int count, Random rng, double offset)
        => Enumerable.Range(0, count).Select(_ => (float)(offset + rng.NextDouble() * 2 - 1 + rng.NextDouble() - 0.5)).ToArray();

    /// <summary>One process (the sum is the values themselves), but every round first runs two other layers on this thread.</summary>
    private sealed class MeddlingAllReduce : IAllReduce
    {
        private readonly ReentrantInnerSmall _small = new();
        private readonly ReentrantInnerLarge _large = new();
        private int _rows = 64;

        public void SumInPlace(Span<double> values)
        {
            var rng = new Random(_rows);
            float[] small = Gaussians(4 * 8, rng, offset: 100);
            _small.Forward(small, new float[small.Length], 4);
            _small.Backward(small, small, new float[small.Length], 4);
            // Rows grow on every round, and so does the scratch the NHWC layer needs (two sums per feature per row block).
            _rows *= 2;
            float[] large = Gaussians(_rows * 64, rng, offset: -50);
            _large.Forward(large, new float[large.Length], 1, _rows, 1);
            GC.Collect();
        }
    }
}
