using System;
using System.Numerics;
using Xunit;

namespace BnGen.Tests.Distributed;

/// <summary>
/// What a synchronized layer sends per call (the numbers docs/distributed.md gives), which reducer Backward uses, and that
/// a call in the steady state allocates nothing.
/// </summary>
public sealed class SyncProtocolTests
{
    public static TheoryData<string> AllCases()
    {
        var data = new TheoryData<string>();
        foreach (string name in SyncCase.All.Keys)
        {
            data.Add(name);
        }
        return data;
    }

    /// <summary>
    /// Training forward: round 1 of F + 2 values (count, process count, first value per feature), round 2 of 2F (shifted
    /// sums and squares), a round 3 of 2F only when the shifted sums cancel; Backward: one round of 2F. Evaluation with
    /// running statistics: none; evaluation without them normalizes with batch statistics: as in training.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllCases))]
    public void Reductions_Per_Call(string caseName)
    {
        SyncCase config = SyncCase.All[caseName];
        if (config.IsDouble)
        {
            Check<double>(config);
        }
        else
        {
            Check<float>(config);
        }
    }

    private static void Check<T>(SyncCase config)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int f = config.Features;
        var group = new ThreadedAllReduce(1);
        SyncLayer<T> layer = config.Create<T>();
        layer.SyncStatistics = group[0];
        var rng = new Random(5);
        int batch = 3;
        T[] x = SyncData.Input<T>(config, batch, rng), dy = SyncData.Gaussians<T>(x.Length, rng);
        var y = new T[x.Length];

        // Double layers always take the exact third round (see Finish.CancellationLimit); float ones only where it cancels.
        bool isDouble = typeof(T) == typeof(double);
        int[] forward = isDouble ? [f + 2, 2 * f, 2 * f] : [f + 2, 2 * f];
        layer.Forward(x, y, batch);
        Assert.Equal(forward, group[0].TakeLog());
        layer.Backward(x, dy, y, batch);
        Assert.Equal(new[] { 2 * f }, group[0].TakeLog());

        int[] far = SyncData.FarSlices(config, 1);
        T[] xFar = SyncData.Input<T>(config, far[0], rng);
        SyncData.FarFirstValues(config, xFar, far);
        var yFar = new T[xFar.Length];
        layer.Forward(xFar, yFar, far[0]);
        Assert.Equal(new[] { f + 2, 2 * f, 2 * f }, group[0].TakeLog());
        layer.Backward(xFar, yFar, yFar, far[0]);
        Assert.Equal(new[] { 2 * f }, group[0].TakeLog());

        layer.Training = false;
        layer.Forward(x, y, batch);
        layer.Backward(x, dy, y, batch);
        Assert.Equal(layer.Tracked ? [] : [.. forward, 2 * f], group[0].TakeLog());
    }

    /// <summary>
    /// In place, output = input in Forward and gradInput = gradOutput in Backward, two processes: the same bits as into
    /// separate buffers (every reduction reads x before the output is written, the exact round included).
    /// </summary>
    [Theory]
    [InlineData("NC-float", false)]
    [InlineData("NC-float", true)]
    [InlineData("NCHW-double-ReLU-cumulative", true)]
    [InlineData("NHWC-float-ReLU", false)]
    [InlineData("NHWC-float-ReLU", true)]
    [InlineData("NCL-double-ReLU-untracked", true)]
    public void In_Place_Calls_Give_The_Same_Bits(string caseName, bool far)
    {
        SyncCase config = SyncCase.All[caseName];
        if (config.IsDouble)
        {
            InPlace<double>(config, far);
        }
        else
        {
            InPlace<float>(config, far);
        }
    }

    private static void InPlace<T>(SyncCase config, bool far)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int[] sizes = far ? SyncData.FarSlices(config, 2) : [3, 2];
        int[] starts = SyncData.Starts(sizes);
        int sample = config.Features * config.Plane;
        var rng = new Random(17);
        T[] x = SyncData.Input<T>(config, sizes[0] + sizes[1], rng), dy = SyncData.Gaussians<T>(x.Length, rng);
        if (far)
        {
            SyncData.FarFirstValues(config, x, sizes);
        }
        var separate = new ThreadedAllReduce(2);
        var inPlace = new ThreadedAllReduce(2);
        var y = new T[x.Length];
        var dx = new T[x.Length];
        T[] yInPlace = (T[])x.Clone(), dxInPlace = (T[])dy.Clone();
        separate.RunAll(r =>
        {
            SyncLayer<T> a = config.Create<T>(), b = config.Create<T>();
            a.SyncStatistics = separate[r];
            b.SyncStatistics = inPlace[r];
            Range slice = (starts[r] * sample)..(starts[r + 1] * sample);
            a.Forward(x.AsSpan(slice), y.AsSpan(slice), sizes[r]);
            b.Forward(yInPlace.AsSpan(slice), yInPlace.AsSpan(slice), sizes[r]);
            a.Backward(x.AsSpan(slice), dy.AsSpan(slice), dx.AsSpan(slice), sizes[r]);
            b.Backward(x.AsSpan(slice), dxInPlace.AsSpan(slice), dxInPlace.AsSpan(slice), sizes[r]);
            SyncData.Identical<T>($"rank {r} running mean", a.RunningMean, b.RunningMean);
            SyncData.Identical<T>($"rank {r} WeightGrad", a.WeightGrad, b.WeightGrad);
        });
        SyncData.Identical<T>("y in place", y, yInPlace);
        SyncData.Identical<T>("dx in place", dx, dxInPlace);
    }

    /// <summary>Backward reduces through the IAllReduce its forward used, whatever SyncStatistics says now.</summary>
    [Fact]
    public void Backward_Uses_The_Forwards_Reducer()
    {
        var first = new CountingAllReduce();
        var second = new CountingAllReduce();
        var layer = new SyncNcF { SyncStatistics = first };
        float[] x = SyncData.Input<float>(SyncCase.All["NC-float"], 4, new Random(1));
        var y = new float[x.Length];
        layer.Forward(x, y, 4);
        layer.SyncStatistics = second;
        layer.Backward(x, y, y, 4);
        Assert.Equal(3, first.Calls);
        Assert.Equal(0, second.Calls);

        // A forward without synchronization: its backward reduces nothing, even with SyncStatistics set again.
        layer.SyncStatistics = null;
        layer.Forward(x, y, 4);
        layer.SyncStatistics = second;
        layer.Backward(x, y, y, 4);
        Assert.Equal(3, first.Calls);
        Assert.Equal(0, second.Calls);
    }

    /// <summary>
    /// Forward and Backward in the steady state allocate nothing on the calling thread with a reducer that allocates
    /// nothing: the layer owns (per thread) its reduction scratch. Also through the exact third round and in evaluation.
    /// </summary>
    [Theory]
    [MemberData(nameof(AllCases))]
    public void Steady_State_Calls_Allocate_Nothing(string caseName)
    {
        SyncCase config = SyncCase.All[caseName];
        if (config.IsDouble)
        {
            AllocationFree<double>(config);
        }
        else
        {
            AllocationFree<float>(config);
        }
    }

    private static void AllocationFree<T>(SyncCase config)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var counter = new CountingAllReduce();
        SyncLayer<T> layer = config.Create<T>();
        layer.SyncStatistics = counter;
        var rng = new Random(9);
        int[] far = SyncData.FarSlices(config, 1);
        T[] x = SyncData.Input<T>(config, far[0], rng), dy = SyncData.Gaussians<T>(x.Length, rng);
        T[] xFar = (T[])x.Clone();
        SyncData.FarFirstValues(config, xFar, far);
        var y = new T[x.Length];
        var dx = new T[x.Length];
        for (int pass = 0; pass < 2; pass++)
        {
            // The first pass warms up (JIT, the thread's scratch); the second is measured.
            long before = GC.GetAllocatedBytesForCurrentThread();
            int callsBefore = counter.Calls;
            for (int i = 0; i < 5; i++)
            {
                layer.Training = true;
                layer.Forward(x, y, far[0]);
                layer.Backward(x, dy, dx, far[0]);
                layer.Forward(xFar, y, far[0]);
                layer.Backward(xFar, dy, dx, far[0]);
                layer.Training = false;
                layer.Forward(x, y, far[0]);
                layer.Backward(x, dy, dx, far[0]);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Per iteration: training forwards 2 (3 for double) + 3 rounds, backwards 1 + 1; untracked evaluation 2 (3) + 1.
            int extra = typeof(T) == typeof(double) ? 1 : 0;
            Assert.Equal(layer.Tracked ? 5 * (7 + extra) : 5 * (10 + 2 * extra), counter.Calls - callsBefore);
            if (pass == 1)
            {
                Assert.Equal(0, allocated);
            }
        }
    }

    /// <summary>Two processes on the threaded reducer (which allocates nothing per round): each rank's calls allocate nothing.</summary>
    [Fact]
    public void Steady_State_Calls_Allocate_Nothing_With_Two_Processes()
    {
        SyncCase config = SyncCase.All["NHWC-float-ReLU"];
        var group = new ThreadedAllReduce(2);
        var allocated = new long[2];
        group.RunAll(r =>
        {
            SyncLayer<float> layer = config.Create<float>();
            layer.SyncStatistics = group[r];
            float[] x = SyncData.Input<float>(config, 3 + r, new Random(r)), dy = SyncData.Gaussians<float>(x.Length, new Random(r));
            var y = new float[x.Length];
            for (int pass = 0; pass < 2; pass++)
            {
                // What the barrier of the test's all-reduce allocates when a thread blocks there is not the layer's.
                long before = GC.GetAllocatedBytesForCurrentThread() - group[r].WaitAllocations;
                for (int i = 0; i < 5; i++)
                {
                    layer.Forward(x, y, 3 + r);
                    layer.Backward(x, dy, y, 3 + r);
                }
                allocated[r] = GC.GetAllocatedBytesForCurrentThread() - group[r].WaitAllocations - before;
            }
        });
        Assert.Equal(new long[2], allocated);
    }
}
