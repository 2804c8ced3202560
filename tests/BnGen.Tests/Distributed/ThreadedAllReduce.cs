using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace BnGen.Tests.Distributed;

/// <summary>
/// An in-process stand-in for MPI_Allreduce(MPI_SUM): K "processes" are K threads, each holding one <see cref="Rank"/>.
/// A round: every rank copies its values into its slot, all meet at a barrier, every rank adds the slots up in rank order
/// 0, 1, …, K − 1 (so all get the same bits, as MPI gives), and all meet again before a slot can be reused. Nothing is
/// allocated per round. A rank can be told to fail on a given call: it then throws, and so does every other rank in that
/// round (a peer died), which is what an MPI job with error handlers returning sees.
/// </summary>
public sealed class ThreadedAllReduce
{
    private readonly Barrier _barrier;
    private readonly double[][] _slots;
    private readonly int[] _lengths;
    private readonly Rank[] _ranks;

    // The round in which a rank failed (-1: none), and which rank.
    private long _failedRound = -1;
    private int _failedRank = -1;

    public ThreadedAllReduce(int processes, int capacity = 1 << 12)
    {
        Processes = processes;
        _barrier = new Barrier(processes);
        _slots = new double[processes][];
        _lengths = new int[processes];
        _ranks = new Rank[processes];
        for (int r = 0; r < processes; r++)
        {
            _slots[r] = new double[capacity];
            _ranks[r] = new Rank(this, r);
        }
    }

    public int Processes { get; }

    /// <summary>How long a rank waits for the others before it gives up (a test bug, never a passing path).</summary>
    public static TimeSpan Patience { get; } = TimeSpan.FromSeconds(60);

    public Rank this[int rank] => _ranks[rank];

    /// <summary>One process's end of the all-reduce.</summary>
    public sealed class Rank : IAllReduce
    {
        private readonly ThreadedAllReduce _group;
        private readonly int[] _log = new int[256];
        private long _round;
        private int _logged;

        internal Rank(ThreadedAllReduce group, int rank)
        {
            _group = group;
            Index = rank;
        }

        public int Index { get; }

        /// <summary>
        /// Bytes this rank's thread allocated while waiting at the barrier: a thread that has to block there (rather than
        /// spin) may allocate the runtime's wait structures the first time it does. The all-reduce's, not the layer's.
        /// </summary>
        public long WaitAllocations { get; private set; }

        /// <summary>SumInPlace calls since the last <see cref="TakeLog"/> (failed ones included).</summary>
        public int Calls => _logged;

        /// <summary>When positive, the call that many calls from now throws on this rank (1 = the next one); then it is cleared.</summary>
        public int FailOnCall { get; set; }

        /// <summary>The lengths of the calls since the last call of this method, oldest first; starts a new log.</summary>
        public int[] TakeLog()
        {
            int[] log = _log.AsSpan(0, _logged).ToArray();
            _logged = 0;
            return log;
        }

        public void SumInPlace(Span<double> values)
        {
            ThreadedAllReduce g = _group;
            long round = _round++;
            if (_logged < _log.Length)
            {
                _log[_logged] = values.Length;
            }
            _logged++;
            bool fail = FailOnCall > 0 && --FailOnCall == 0;
            if (values.Length > g._slots[Index].Length)
            {
                throw new InvalidOperationException($"rank {Index}: {values.Length} values exceed the test double's capacity");
            }
            values.CopyTo(g._slots[Index]);
            g._lengths[Index] = values.Length;
            if (fail)
            {
                g._failedRank = Index;
                Volatile.Write(ref g._failedRound, round);
            }
            Meet();
            if (Volatile.Read(ref g._failedRound) == round)
            {
                throw g._failedRank == Index
                    ? new InjectedFailure($"rank {Index}: injected failure in reduction round {round}")
                    : new IOException($"rank {Index}: rank {g._failedRank} failed during reduction round {round}");
            }
            for (int r = 0; r < g.Processes; r++)
            {
                if (g._lengths[r] != values.Length)
                {
                    // Every process must reduce the same number of values in the same order: a protocol error of the caller.
                    Meet();
                    throw new InvalidOperationException($"rank {Index}: {values.Length} values but rank {r} sent {g._lengths[r]} (round {round})");
                }
            }
            if (g.Processes > 1)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    double sum = g._slots[0][i];
                    for (int r = 1; r < g.Processes; r++)
                    {
                        sum += g._slots[r][i];
                    }
                    values[i] = sum;
                }
            }
            Meet();
        }

        private void Meet()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            bool met = _group._barrier.SignalAndWait(Patience);
            WaitAllocations += GC.GetAllocatedBytesForCurrentThread() - before;
            if (!met)
            {
                throw new TimeoutException("a rank did not reach the reduction: the processes' calls do not match");
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>(rank) on one thread per rank and waits for all; exceptions come back per rank (null
    /// where the rank returned normally).
    /// </summary>
    public Exception?[] Run(Action<int> body)
    {
        var errors = new Exception?[Processes];
        var threads = new Thread[Processes];
        for (int r = 0; r < Processes; r++)
        {
            int rank = r;
            threads[r] = new Thread(() =>
            {
                try
                {
                    body(rank);
                }
                catch (Exception e)
                {
                    errors[rank] = e;
                }
            }, 4 << 20) { IsBackground = true, Name = $"rank {rank}" };
            threads[r].Start();
        }
        foreach (Thread thread in threads)
        {
            thread.Join();
        }
        return errors;
    }

    /// <summary><see cref="Run"/>, rethrowing the first rank's exception (with its rank) if any rank threw.</summary>
    public void RunAll(Action<int> body)
    {
        Exception?[] errors = Run(body);
        for (int r = 0; r < errors.Length; r++)
        {
            if (errors[r] is { } e)
            {
                throw new AggregateException($"rank {r} of {Processes} threw", e);
            }
        }
    }
}

/// <summary>The failure a test injected into a reduction.</summary>
public sealed class InjectedFailure(string message) : IOException(message);

/// <summary>A one-process all-reduce that only counts: the sum over one process is the values themselves.</summary>
public sealed class CountingAllReduce : IAllReduce
{
    public int Calls { get; private set; }

    public long Values { get; private set; }

    public void SumInPlace(Span<double> values)
    {
        Calls++;
        Values += values.Length;
    }
}
