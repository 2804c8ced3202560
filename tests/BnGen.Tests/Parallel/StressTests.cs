using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using BnGen.Tests.Layouts;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Parallel;

/// <summary>
/// Tests that measure the process (threads, the thread pool, allocations of every thread): they run alone, after the
/// parallel part of the suite, so that no other test's threads or allocations are counted.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide measurements";
}

/// <summary>
/// Issue 9's stress test: 10,000 parallel calls (tensors above the threshold, degrees 2, 3 and -1) on alternating shapes
/// and layers, first from one caller thread, then from two caller threads at once on separate layers. Every parallel
/// layer has a twin at degree 1 that gets the same calls: each output and input gradient, and in the end every running
/// statistic, parameter gradient and count, must be identical in every bit. No call may hang (the callers are joined
/// with a timeout), and no thread may be left behind.
/// <para>
/// What "no stray thread" can mean here: BnGen's fork-join creates no threads; it queues work items to the thread pool,
/// which starts (and after about 20 idle seconds retires) threads as it sees fit. So the test asserts (1) that the
/// process's thread count after the run exceeds the count before by no more than the thread pool grew (plus 2 for
/// runtime threads that start lazily, such as the tiered-compilation worker): any other new thread would be BnGen's;
/// (2) that the pool's queue drains (a helper queued for a call that has returned finds the call closed and leaves);
/// (3) that the caller threads end. It cannot see whether a pool thread is still inside BnGen code, but (2) and the
/// fork-join's own wait for active helpers before a call returns leave nothing for one to do.
/// </para>
/// </summary>
[Collection(ProcessWideCollection.Name)]
public class StressTests(ITestOutputHelper output)
{
    private const int ParallelCalls = 10_000;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>A layer at some degree, its degree-1 twin, and the inputs of its shapes.</summary>
    private abstract class Lane
    {
        public abstract int ParallelCallsPerVisit(int shape);

        /// <summary>One forward and one backward on both layers; throws on the first differing bit.</summary>
        public abstract void Visit(int shape, bool training);

        public abstract int Shapes { get; }

        public abstract void AssertSameState();
    }

    private sealed class Lane<T> : Lane
        where T : unmanaged
    {
        private readonly TestLayer<T> _parallel, _serial;
        private readonly (Dims Dims, T[] X, T[] Dy)[] _inputs;
        private readonly T[] _y1, _y2, _dx1, _dx2;

        public Lane(Family<T> family, BatchNormLayout layout, int degree, int seed)
        {
            _parallel = family.Layer(layout);
            _serial = family.Layer(layout);
            _parallel.MaxDegreeOfParallelism = degree;
            int f = family.Options.Features;
            var random = new Random(seed);
            // Two shapes above the threshold and one below it, alternating.
            Dims[] shapes =
            [
                ParallelShapes.Near(layout, f, ParallelShapes.Threshold, up: true),
                ParallelShapes.Near(layout, f, 500, up: true),
                ParallelShapes.Near(layout, f, ParallelShapes.Threshold + 9_000, up: true),
            ];
            _inputs = shapes.Select(d => (d, Data.ToLayout(layout, Data.FromDoubles<T>(Data.Inputs(random, f, d)), f, d),
                Data.FromDoubles<T>(Data.Uniform(random, d.Count(f), -1, 1)))).ToArray();
            int largest = shapes.Max(d => d.Count(f));
            _y1 = new T[largest];
            _y2 = new T[largest];
            _dx1 = new T[largest];
            _dx2 = new T[largest];
            Name = $"{_parallel.Name} at degree {degree}";
        }

        public string Name { get; }

        public override int Shapes => _inputs.Length;

        public override int ParallelCallsPerVisit(int shape) => _inputs[shape].X.Length >= ParallelShapes.Threshold ? 2 : 0;

        public override void Visit(int shape, bool training)
        {
            var (dims, x, dy) = _inputs[shape];
            int n = x.Length;
            _parallel.Training = _serial.Training = training;
            _parallel.Forward(x, _y1.AsSpan(0, n), dims);
            _serial.Forward(x, _y2.AsSpan(0, n), dims);
            Bits.Equal($"{Name}, {dims}: output", _y2.AsSpan(0, n), _y1.AsSpan(0, n));
            _parallel.Backward(x, dy, _dx1.AsSpan(0, n), dims);
            _serial.Backward(x, dy, _dx2.AsSpan(0, n), dims);
            Bits.Equal($"{Name}, {dims}: grad input", _dx2.AsSpan(0, n), _dx1.AsSpan(0, n));
        }

        public override void AssertSameState()
        {
            Bits.Equal($"{Name}: WeightGrad", _serial.WeightGrad, _parallel.WeightGrad);
            Bits.Equal($"{Name}: BiasGrad", _serial.BiasGrad, _parallel.BiasGrad);
            Bits.Equal($"{Name}: RunningMean", _serial.RunningMean, _parallel.RunningMean);
            Bits.Equal($"{Name}: RunningVar", _serial.RunningVar, _parallel.RunningVar);
            Assert.Equal(_serial.NumBatchesTracked, _parallel.NumBatchesTracked);
        }
    }

    /// <summary>
    /// Visits the lanes in turn (lane i mod L, shape i / L mod S, every third round in evaluation mode) until
    /// <paramref name="calls"/> parallel calls are done.
    /// </summary>
    private static int Drive(Lane[] lanes, int calls)
    {
        int done = 0, visits = 0;
        for (int i = 0; done < calls; i++)
        {
            Lane lane = lanes[i % lanes.Length];
            int round = i / lanes.Length;
            int shape = round % lane.Shapes;
            lane.Visit(shape, training: round % 3 != 2);
            done += lane.ParallelCallsPerVisit(shape);
            visits++;
        }
        return visits;
    }

    /// <summary>Runs <paramref name="work"/> on new background threads, at once, and joins them within the timeout.</summary>
    private static void RunCallers(params Action[] work)
    {
        var errors = new Exception?[work.Length];
        var threads = work.Select((w, k) => new Thread(() =>
        {
            try
            {
                w();
            }
            catch (Exception e)
            {
                errors[k] = e;
            }
        })
        { IsBackground = true, Name = $"stress caller {k}" }).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(Timeout), $"{thread.Name} did not finish within {Timeout}: a deadlock?");
        }
        foreach (Exception? e in errors)
        {
            if (e is not null)
            {
                throw new AggregateException(e);
            }
        }
    }

    [Fact]
    public void Ten_thousand_parallel_calls_equal_serial_ones_without_deadlock_or_stray_threads()
    {
        using Process process = Process.GetCurrentProcess();
        process.Refresh();
        int threadsBefore = process.Threads.Count, poolBefore = ThreadPool.ThreadCount;
        var watch = Stopwatch.StartNew();

        Lane[] first =
        [
            new Lane<float>(Families.Float["A"], BatchNormLayout.NCHW, 2, 1),
            new Lane<float>(Families.Float["I"], BatchNormLayout.NHWC, -1, 2),
            new Lane<double>(Families.Double["B"], BatchNormLayout.NCL, 3, 3),
            new Lane<float>(Families.Float["K"], BatchNormLayout.NC, 2, 4),
            new Lane<float>(Families.Float["C"], BatchNormLayout.NHWC, 2, 5),
        ];
        Lane[] second =
        [
            new Lane<double>(Families.Double["D"], BatchNormLayout.NCHW, -1, 6),
            new Lane<double>(Families.Double["L"], BatchNormLayout.NHWC, 2, 7),
            new Lane<float>(Families.Float["E"], BatchNormLayout.NC, 3, 8),
            new Lane<double>(Families.Double["J"], BatchNormLayout.NCL, 2, 9),
        ];

        // One caller, then two at once on separate layers.
        int visitsAlone = 0, visitsFirst = 0, visitsSecond = 0;
        RunCallers(() => visitsAlone = Drive(first, ParallelCalls / 2));
        RunCallers(() => visitsFirst = Drive(first, ParallelCalls / 4), () => visitsSecond = Drive(second, ParallelCalls / 4));
        foreach (Lane lane in first.Concat(second))
        {
            lane.AssertSameState();
        }
        TimeSpan elapsed = watch.Elapsed;

        // The pool's queue drains: no helper is left waiting for a call that has returned.
        var drain = Stopwatch.StartNew();
        while (ThreadPool.PendingWorkItemCount != 0 && drain.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(10);
        }
        Assert.Equal(0, ThreadPool.PendingWorkItemCount);

        process.Refresh();
        int threadsAfter = process.Threads.Count, poolAfter = ThreadPool.ThreadCount;
        output.WriteLine($"{visitsAlone + visitsFirst + visitsSecond} visits ({ParallelCalls} parallel calls) in {elapsed.TotalSeconds:F1} s; "
            + $"process threads {threadsBefore} -> {threadsAfter}, thread pool {poolBefore} -> {poolAfter}, cores {Environment.ProcessorCount}");
        Assert.True(threadsAfter - threadsBefore <= Math.Max(0, poolAfter - poolBefore) + 2,
            $"process threads {threadsBefore} -> {threadsAfter}, but the thread pool only {poolBefore} -> {poolAfter}: "
            + "a thread other than the pool's was left");
    }
}
