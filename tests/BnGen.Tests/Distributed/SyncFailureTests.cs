using System;
using System.IO;
using System.Linq;
using System.Numerics;
using Xunit;

namespace BnGen.Tests.Distributed;

/// <summary>
/// A reduction that throws (a peer died, a timeout) propagates to every process's caller and leaves every process's layer
/// exactly as it was: the output and dx buffers, WeightGrad and BiasGrad (also when accumulating), the running statistics,
/// NumBatchesTracked, and what nothing shows directly: the saved statistics, count and shape of the last successful
/// forward, checked by a Backward after the failure giving the bits it gave before, and by the next steps giving the bits
/// of twin layers that never saw the failure.
/// </summary>
public sealed class SyncFailureTests
{
    public static TheoryData<string, int, string> Cases()
    {
        var data = new TheoryData<string, int, string>();
        foreach (string name in new[]
        {
            "NC-float", "NC-double-ReLU", "NC-float-ReLU-untracked", "NCHW-float", "NCHW-double-ReLU-cumulative", "NHWC-float-ReLU",
            "NHWC-double-noaffine", "NCL-float-cumulative", "NCL-double-ReLU-untracked",
        })
        {
            foreach (int processes in new[] { 1, 2, 3 })
            {
                foreach (string where in new[] { "forward round 1", "forward round 2", "forward round 3", "backward", "backward accumulating" })
                {
                    data.Add(name, processes, where);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_Failed_Reduction_Changes_Nothing(string caseName, int processes, string where)
    {
        SyncCase config = SyncCase.All[caseName];
        if (config.IsDouble)
        {
            Run<double>(config, processes, where);
        }
        else
        {
            Run<float>(config, processes, where);
        }
    }

    private static void Run<T>(SyncCase config, int k, string where)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        bool inForward = where.StartsWith("forward", StringComparison.Ordinal);
        int failingRound = inForward ? where[^1] - '0' : 1;
        bool accumulate = where == "backward accumulating";
        int sample = config.Features * config.Plane;

        // The layers under test, and twins on their own group that take the same successful calls and never fail.
        var group = new ThreadedAllReduce(k);
        var twinGroup = new ThreadedAllReduce(k);
        SyncLayer<T>[] layers = Enumerable.Range(0, k).Select(_ => config.Create<T>()).ToArray();
        SyncLayer<T>[] twins = Enumerable.Range(0, k).Select(_ => config.Create<T>()).ToArray();
        var rng = new Random(SyncData.Seed(config.Name + where, k));
        T[] weight = SyncData.Gaussians<T>(layers[0].Weight.Length, rng), bias = SyncData.Gaussians<T>(layers[0].Bias.Length, rng);
        for (int r = 0; r < k; r++)
        {
            foreach (SyncLayer<T> layer in new[] { layers[r], twins[r] })
            {
                weight.CopyTo(layer.Weight, 0);
                bias.CopyTo(layer.Bias, 0);
                layer.AccumulateGradients = accumulate;
            }
            layers[r].SyncStatistics = group[r];
            twins[r].SyncStatistics = twinGroup[r];
        }

        // Step 1 succeeds. Step 2's slices have other sizes, so a forward that kept step 2's shape would be caught too;
        // for a failure in round 3 they are large and far-pivoted so that the forward gets there.
        int[] sizes1 = Enumerable.Range(0, k).Select(r => 2 + r).ToArray();
        int[] sizes2 = failingRound == 3 ? SyncData.FarSlices(config, k) : Enumerable.Range(0, k).Select(r => 4 - r).ToArray();
        int[] starts1 = SyncData.Starts(sizes1), starts2 = SyncData.Starts(sizes2);
        T[] x1 = SyncData.Input<T>(config, sizes1.Sum(), rng), dy1 = SyncData.Gaussians<T>(x1.Length, rng);
        T[] x2 = SyncData.Input<T>(config, sizes2.Sum(), rng), dy2 = SyncData.Gaussians<T>(x2.Length, rng);
        if (failingRound == 3)
        {
            SyncData.FarFirstValues(config, x2, sizes2);
        }
        T sentinel = T.CreateTruncating(-12345.0);
        int dying = k - 1;

        var thrown = new Exception?[k];
        var callsInFailure = new int[k];
        group.RunAll(r =>
        {
            SyncLayer<T> layer = layers[r], twin = twins[r];
            Range slice1 = (starts1[r] * sample)..(starts1[r + 1] * sample), slice2 = (starts2[r] * sample)..(starts2[r + 1] * sample);
            var y = new T[x1.Length];
            var dx = new T[x1.Length];
            var twinDx = new T[x1.Length];
            foreach (SyncLayer<T> l in new[] { layer, twin })
            {
                l.Forward(x1.AsSpan(slice1), y.AsSpan(slice1), sizes1[r]);
                l.Backward(x1.AsSpan(slice1), dy1.AsSpan(slice1), dx.AsSpan(slice1), sizes1[r]);
            }
            T[] dxBefore = dx.AsSpan(slice1).ToArray();
            LayerState before = layer.Snapshot();
            group[r].TakeLog();

            // The failing call, on buffers that must come back untouched.
            T[] output = new T[x2.Length];
            output.AsSpan().Fill(sentinel);
            if (r == dying)
            {
                group[r].FailOnCall = failingRound;
            }
            if (inForward)
            {
                thrown[r] = Record(() => layer.Forward(x2.AsSpan(slice2), output.AsSpan(slice2), sizes2[r]));
            }
            else
            {
                thrown[r] = Record(() => layer.Backward(x1.AsSpan(slice1), dy2.AsSpan(slice1), output.AsSpan(slice1), sizes1[r]));
            }
            callsInFailure[r] = group[r].TakeLog().Length;
            Assert.All(output, v => Assert.Equal(sentinel, v));
            AssertSame(before, layer.Snapshot(), $"rank {r} after the failure");

            // The saved statistics, count and shape: the same Backward gives the same bits (and, accumulating, adds the same
            // gradient once more, on the twin too).
            dx.AsSpan().Clear();
            layer.Backward(x1.AsSpan(slice1), dy1.AsSpan(slice1), dx.AsSpan(slice1), sizes1[r]);
            twin.Backward(x1.AsSpan(slice1), dy1.AsSpan(slice1), twinDx.AsSpan(slice1), sizes1[r]);
            SyncData.Identical<T>($"rank {r} dx replayed", dxBefore, dx.AsSpan(slice1));
            AssertSame(twin.Snapshot(), layer.Snapshot(), $"rank {r} after the replayed backward");

            // The next step, on the layer and its twin: the same bits.
            var twinY2 = new T[x2.Length];
            var twinDx2 = new T[x2.Length];
            Array.Clear(output);
            var dx2 = new T[x2.Length];
            layer.Forward(x2.AsSpan(slice2), output.AsSpan(slice2), sizes2[r]);
            layer.Backward(x2.AsSpan(slice2), dy2.AsSpan(slice2), dx2.AsSpan(slice2), sizes2[r]);
            twin.Forward(x2.AsSpan(slice2), twinY2.AsSpan(slice2), sizes2[r]);
            twin.Backward(x2.AsSpan(slice2), dy2.AsSpan(slice2), twinDx2.AsSpan(slice2), sizes2[r]);
            SyncData.Identical<T>($"rank {r} y of the next step", twinY2.AsSpan(slice2), output.AsSpan(slice2));
            SyncData.Identical<T>($"rank {r} dx of the next step", twinDx2.AsSpan(slice2), dx2.AsSpan(slice2));
            AssertSame(twin.Snapshot(), layer.Snapshot(), $"rank {r} after the next step");
        });

        // The dying rank saw its own failure, the others that a peer failed; all in the same round.
        for (int r = 0; r < k; r++)
        {
            Assert.IsType(r == dying ? typeof(InjectedFailure) : typeof(IOException), thrown[r]);
            Assert.Equal(inForward ? failingRound : 1, callsInFailure[r]);
        }
    }

    /// <summary>A first forward that fails leaves the layer without a forward: Backward says so.</summary>
    [Fact]
    public void A_Failed_First_Forward_Leaves_No_Forward_Behind()
    {
        var layer = new SyncNchwF { SyncStatistics = new ThrowingAllReduce(failOnCall: 2) };
        float[] x = SyncData.Input<float>(SyncCase.All["NCHW-float"], 2, new Random(3));
        var y = new float[x.Length];
        Assert.Throws<InjectedFailure>(() => layer.Forward(x, y, 2, 2, 3));
        Assert.Equal(0, layer.NumBatchesTracked);
        Assert.Equal(new float[3], layer.RunningMean);
        Assert.Equal(new float[] { 1, 1, 1 }, layer.RunningVar);
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(() => layer.Backward(x, y, y, 2, 2, 3));
        Assert.Contains("Forward", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// One value per channel over all processes (one process, batch 1, NC): rejected as without synchronization, but only
    /// once the count is known, after the first round; nothing changes.
    /// </summary>
    [Fact]
    public void One_Value_Per_Channel_In_The_Global_Batch_Is_Rejected_After_The_Count()
    {
        var counter = new CountingAllReduce();
        var layer = new SyncNcF { SyncStatistics = counter };
        float[] x = [1, 2, 3, 4, 5];
        float[] y = [9, 9, 9, 9, 9];
        ArgumentException e = Assert.Throws<ArgumentException>(() => layer.Forward(x, y, 1));
        Assert.Contains("more than 1 value per channel", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, counter.Calls);
        Assert.Equal(new float[] { 9, 9, 9, 9, 9 }, y);
        Assert.Equal(0, layer.NumBatchesTracked);
        Assert.Equal(new float[5], layer.RunningMean);
    }

    /// <summary>An empty slice is rejected before any reduction (so the caller sees it before its peers wait on it).</summary>
    [Fact]
    public void An_Empty_Slice_Is_Rejected_Before_Any_Reduction()
    {
        var counter = new CountingAllReduce();
        var nc = new SyncNcF { SyncStatistics = counter };
        var nchw = new SyncNchwF { SyncStatistics = counter };
        var ncl = new SyncNclFCumulative { SyncStatistics = counter };
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => nc.Forward([], [], 0)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => nchw.Forward([], [], 0, 2, 3)).ParamName);
        Assert.Equal("batch", Assert.Throws<ArgumentOutOfRangeException>(() => ncl.Forward([], [], 0, 5)).ParamName);
        Assert.Throws<ArgumentException>(() => nc.Forward(new float[4], new float[5], 1));
        Assert.Equal(0, counter.Calls);
    }

    private static Exception? Record(Action call)
    {
        try
        {
            call();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static void AssertSame(LayerState expected, LayerState actual, string what)
    {
        SyncData.Identical(what + " Weight", expected.Weight, actual.Weight);
        SyncData.Identical(what + " Bias", expected.Bias, actual.Bias);
        SyncData.Identical(what + " WeightGrad", expected.WeightGrad, actual.WeightGrad);
        SyncData.Identical(what + " BiasGrad", expected.BiasGrad, actual.BiasGrad);
        SyncData.Identical(what + " RunningMean", expected.RunningMean, actual.RunningMean);
        SyncData.Identical(what + " RunningVar", expected.RunningVar, actual.RunningVar);
        Assert.Equal(expected.NumBatchesTracked, actual.NumBatchesTracked);
    }

    /// <summary>One process whose <paramref name="failOnCall"/>-th reduction throws.</summary>
    private sealed class ThrowingAllReduce(int failOnCall) : IAllReduce
    {
        private int _calls;

        public void SumInPlace(Span<double> values)
        {
            if (++_calls == failOnCall)
            {
                throw new InjectedFailure($"call {_calls}");
            }
        }
    }
}
