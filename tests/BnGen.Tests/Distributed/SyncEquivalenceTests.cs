using System;
using System.Globalization;
using System.Linq;
using System.Numerics;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Distributed;

/// <summary>
/// K processes (threads over <see cref="ThreadedAllReduce"/>), each holding a slice of the batch, against one unsynchronized
/// layer on the whole batch: every output, dx, WeightGrad/BiasGrad, running statistic and NumBatchesTracked must agree,
/// through several training steps (the running statistics and γ, β move), one with accumulated gradients, then an
/// evaluation step.
/// </summary>
/// <remarks>
/// <para>K = 1: bit for bit. With one process the pivot is the slice's first value and every sum is the local one, so
/// the synchronized path computes exactly what the unsynchronized kernels compute.</para>
/// <para>K &gt; 1: within <see cref="FloatTolerance"/> (float) and <see cref="DoubleTolerance"/> (double) of the largest
/// magnitude of each compared tensor. The global statistics are the same numbers added in another order (per-process
/// partial sums, then across processes) about another pivot (the mean of the processes' first values), so the mean and
/// variance agree with the single process's to about 1e-15 relative in double; everything visible is then the same
/// double rounded to T, which can land one unit in the last place of T away (float: 6e-8 of the value) and, through
/// y = x · scale + shift and dx = (dy − …) · factor, a few units of the largest term. The scale of a comparison is the
/// size of those terms (<see cref="SyncData.Scales"/>), not of the result, which may cancel to almost nothing. Measured:
/// at most 1.0e-7 (float) and 2.1e-15 (double) over these cases (3.4e-14 for double on the far-pivot data, see
/// <see cref="FarDoubleTolerance"/>); the tolerances leave room for other data without hiding
/// a real error (a per-process instead of a global statistic is off by 1e-2 or more, n instead of n − 1 by 1/n).</para>
/// </remarks>
public sealed class SyncEquivalenceTests(ITestOutputHelper output)
{
    public const double FloatTolerance = 1e-6;
    public const double DoubleTolerance = 1e-13;

    /// <summary>
    /// Double, on data whose first values lie 10^4 standard deviations from the mean: the two computations cancel
    /// differently about their pivots and keep about four digits fewer in common (measured: 3.4e-14).
    /// </summary>
    public const double FarDoubleTolerance = 1e-12;

    private const int Steps = 3;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in SyncCase.All.Keys)
        {
            foreach (string slices in new[] { "6", "1+1", "3+5", "1+4+2" })
            {
                data.Add(name, slices);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Slices_Agree_With_One_Process_On_The_Whole_Batch(string caseName, string slices)
    {
        SyncCase config = SyncCase.All[caseName];
        int[] sizes = slices.Split('+').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        if (config.IsDouble)
        {
            Run<double>(config, sizes, DoubleTolerance, degree: 1);
        }
        else
        {
            Run<float>(config, sizes, FloatTolerance, degree: 1);
        }
    }

    /// <summary>Slices above the parallel threshold on two threads each (and one below it): the same agreement.</summary>
    [Theory]
    [InlineData("NC-float-F33-momentum0.3", "2100+1900")]
    [InlineData("NHWC-float-F20-untracked", "900+450")]
    [InlineData("NCHW-double-eps1e-3", "2800+2000")]
    [InlineData("NC-double-ReLU", "11000")]
    public void Large_Slices_On_Several_Threads_Agree(string caseName, string slices)
    {
        SyncCase config = SyncCase.All[caseName];
        int[] sizes = slices.Split('+').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        if (config.IsDouble)
        {
            Run<double>(config, sizes, DoubleTolerance, degree: 2);
        }
        else
        {
            Run<float>(config, sizes, FloatTolerance, degree: 2);
        }
    }

    /// <summary>
    /// Every slice's first value per channel far from the mean (<see cref="SyncData.FarFirstValues"/>): the shifted sums
    /// cancel, every process takes the third, exact, round, and the results still agree.
    /// </summary>
    [Theory]
    [InlineData("NC-float", 1)]
    [InlineData("NC-float", 2)]
    [InlineData("NC-float", 3)]
    [InlineData("NC-double-ReLU", 2)]
    [InlineData("NCHW-float", 1)]
    [InlineData("NCHW-float", 3)]
    [InlineData("NCHW-double-ReLU-cumulative", 2)]
    [InlineData("NHWC-float-ReLU", 2)]
    [InlineData("NHWC-double-noaffine", 3)]
    [InlineData("NCL-float-cumulative", 2)]
    [InlineData("NCL-double-ReLU-untracked", 3)]
    public void Far_Pivots_Take_The_Exact_Round_And_Agree(string caseName, int processes)
    {
        SyncCase config = SyncCase.All[caseName];
        int[] sizes = SyncData.FarSlices(config, processes);
        if (config.IsDouble)
        {
            Run<double>(config, sizes, FarDoubleTolerance, degree: 1, far: true);
        }
        else
        {
            Run<float>(config, sizes, FloatTolerance, degree: 1, far: true);
        }
    }

    private void Run<T>(SyncCase config, int[] sizes, double tolerance, int degree, bool far = false)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int k = sizes.Length, batch = sizes.Sum(), features = config.Features;
        bool bitwise = k == 1;
        int[] starts = SyncData.Starts(sizes);
        var rng = new Random(SyncData.Seed(config.Name, k * 100 + batch));
        var group = new ThreadedAllReduce(k);
        SyncLayer<T> reference = config.Create<T>();
        SyncLayer<T>[] ranks = Enumerable.Range(0, k).Select(_ => config.Create<T>()).ToArray();

        // γ, β and the running statistics start away from their defaults, the same everywhere.
        Randomize(reference.Weight, rng, 0.5, 1.5);
        Randomize(reference.Bias, rng, -1, 1);
        Randomize(reference.RunningMean, rng, -1, 1);
        Randomize(reference.RunningVar, rng, 0.5, 2);
        reference.NumBatchesTracked = reference.Tracked ? 4 : 0;
        foreach (SyncLayer<T> layer in ranks)
        {
            CopyParameters(reference, layer);
            reference.RunningMean.CopyTo(layer.RunningMean, 0);
            reference.RunningVar.CopyTo(layer.RunningVar, 0);
            layer.NumBatchesTracked = reference.NumBatchesTracked;
            layer.SyncStatistics = group[Array.IndexOf(ranks, layer)];
            layer.MaxDegreeOfParallelism = degree;
        }
        reference.MaxDegreeOfParallelism = 1;

        double worst = 0, maxX = 0;
        for (int step = 1; step <= Steps + 1; step++)
        {
            bool training = step <= Steps;
            bool accumulate = step == 2;
            int sample = config.Features * config.Plane;
            T[] x = SyncData.Input<T>(config, batch, rng);
            if (far)
            {
                SyncData.FarFirstValues(config, x, sizes);
            }
            T[] dy = SyncData.Gaussians<T>(x.Length, rng);
            var yRef = new T[x.Length];
            var dxRef = new T[x.Length];
            var y = new T[x.Length];
            var dx = new T[x.Length];

            reference.Training = training;
            reference.AccumulateGradients = accumulate;
            reference.Forward(x, yRef, batch);
            reference.Backward(x, dy, dxRef, batch);

            var forwardLogs = new int[k][];
            var backwardLogs = new int[k][];
            group.RunAll(r =>
            {
                SyncLayer<T> layer = ranks[r];
                layer.Training = training;
                layer.AccumulateGradients = accumulate;
                Range slice = (starts[r] * sample)..(starts[r + 1] * sample);
                group[r].TakeLog();
                layer.Forward(x.AsSpan(slice), y.AsSpan(slice), sizes[r]);
                forwardLogs[r] = group[r].TakeLog();
                layer.Backward(x.AsSpan(slice), dy.AsSpan(slice), dx.AsSpan(slice), sizes[r]);
                backwardLogs[r] = group[r].TakeLog();
            });

            // The reductions: count and pivots (F + 2), then the shifted sums (2F), then the exact sums (2F) where the
            // shifted sums cancel — far data, and double layers always; Backward one (2F). An evaluation step with running
            // statistics reduces nothing; without them it normalizes with batch statistics, synchronized.
            bool synced = training || !reference.Tracked;
            bool exactRound = far || typeof(T) == typeof(double);
            for (int r = 0; r < k; r++)
            {
                Assert.Equal(!synced ? [] : exactRound ? new[] { features + 2, 2 * features, 2 * features } : [features + 2, 2 * features],
                    forwardLogs[r]);
                Assert.Equal(synced ? new[] { 2 * features } : [], backwardLogs[r]);
            }

            string at = $"{config.Name} {string.Join('+', sizes)} step {step}{(training ? "" : " (eval)")}";
            (double dxScale, double gradScale) = SyncData.Scales<T>(config, x, dy, batch, reference.Weight);

            // A mean is pivot + Σ (x − pivot) / n: exact to a few units of the largest |x| (not of the mean, which the
            // far-pivot data puts 10^4 times closer to zero).
            foreach (T value in x)
            {
                maxX = Math.Max(maxX, Math.Abs(double.CreateChecked(value)));
            }
            worst = Math.Max(worst, Compare(at + " y", yRef, y, bitwise, tolerance, 0));
            worst = Math.Max(worst, Compare(at + " dx", dxRef, dx, bitwise, tolerance, dxScale));
            for (int r = 0; r < k; r++)
            {
                SyncLayer<T> layer = ranks[r];
                string rank = $"{at} rank {r}";
                if (synced)
                {
                    // WeightGrad and BiasGrad are the global batch's sums on every process.
                    worst = Math.Max(worst, Compare(rank + " WeightGrad", reference.WeightGrad, layer.WeightGrad, bitwise, tolerance, gradScale));
                    worst = Math.Max(worst, Compare(rank + " BiasGrad", reference.BiasGrad, layer.BiasGrad, bitwise, tolerance, gradScale));
                    SyncData.Identical<T>(rank + " WeightGrad vs rank 0", ranks[0].WeightGrad, layer.WeightGrad);
                    SyncData.Identical<T>(rank + " BiasGrad vs rank 0", ranks[0].BiasGrad, layer.BiasGrad);
                }
                worst = Math.Max(worst, Compare(rank + " RunningMean", reference.RunningMean, layer.RunningMean, bitwise, tolerance, maxX));
                worst = Math.Max(worst, Compare(rank + " RunningVar", reference.RunningVar, layer.RunningVar, bitwise, tolerance, 0));
                Assert.Equal(reference.NumBatchesTracked, layer.NumBatchesTracked);

                // Every process got the same global sums, so the statistics they keep are the same bit for bit.
                SyncData.Identical<T>(rank + " RunningMean vs rank 0", ranks[0].RunningMean, layer.RunningMean);
                SyncData.Identical<T>(rank + " RunningVar vs rank 0", ranks[0].RunningVar, layer.RunningVar);
            }
            if (!synced)
            {
                // Not synchronized (evaluation with running statistics, as PyTorch's SyncBatchNorm): each process's
                // parameter gradients are its own slice's; summed over the processes they are the whole batch's.
                worst = Math.Max(worst, Compare(at + " Σ WeightGrad", reference.WeightGrad, SumOverRanks(ranks, l => l.WeightGrad), bitwise,
                    tolerance, gradScale));
                worst = Math.Max(worst, Compare(at + " Σ BiasGrad", reference.BiasGrad, SumOverRanks(ranks, l => l.BiasGrad), bitwise,
                    tolerance, gradScale));
            }
            Assert.Equal(reference.Tracked ? 4 + Math.Min(step, Steps) : 0, reference.NumBatchesTracked);

            // An SGD step on the reference; every process takes the reference's γ and β so all compute the same function next.
            for (int f = 0; f < reference.Weight.Length; f++)
            {
                reference.Weight[f] -= T.CreateTruncating(0.1) * reference.WeightGrad[f];
                reference.Bias[f] -= T.CreateTruncating(0.1) * reference.BiasGrad[f];
            }
            foreach (SyncLayer<T> layer in ranks)
            {
                CopyParameters(reference, layer);
            }
        }
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{config.Name} slices {string.Join('+', sizes)}: largest difference {worst:E2} of the largest magnitude (tolerance {(bitwise ? 0 : tolerance):E1})"));
    }

    private static double Compare<T>(string what, T[] expected, T[] actual, bool bitwise, double tolerance, double floor)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (bitwise)
        {
            SyncData.Identical<T>(what, expected, actual);
            return 0;
        }
        return SyncData.Close<T>(what, expected, actual, tolerance, floor);
    }

    /// <summary>Σ over the ranks of a per-rank array, added in T as a gradient all-reduce would (one rank: the array itself).</summary>
    private static T[] SumOverRanks<T>(SyncLayer<T>[] ranks, Func<SyncLayer<T>, T[]> pick)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var sum = (T[])pick(ranks[0]).Clone();
        for (int r = 1; r < ranks.Length; r++)
        {
            T[] values = pick(ranks[r]);
            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += values[i];
            }
        }
        return sum;
    }

    private static void Randomize<T>(T[] values, Random rng, double low, double high)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = T.CreateTruncating(low + rng.NextDouble() * (high - low));
        }
    }

    private static void CopyParameters<T>(SyncLayer<T> from, SyncLayer<T> to)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        from.Weight.CopyTo(to.Weight, 0);
        from.Bias.CopyTo(to.Bias, 0);
    }
}
