using System;
using System.Diagnostics;
using System.Threading;

namespace BnGen.Benchmarks.Peers;

/// <summary>Work split in two halves: the caller runs part 0, <see cref="SecondThread"/> part 1.</summary>
public interface IHalves
{
    void Run(int part);
}

/// <summary>
/// One extra thread for the two-thread roofs: <see cref="Run"/> hands it part 1, runs part 0 on the calling thread and
/// waits for both. No allocation per call. Between calls the thread spins for a while (<see cref="SpinMicroseconds"/>,
/// like an OpenMP worker) and then blocks, so that it does not hold the second core while other contenders run.
/// </summary>
public sealed class SecondThread : IDisposable
{
    public const int SpinMicroseconds = 50;

    private readonly Thread thread;
    private readonly object gate = new();
    private IHalves? work;
    private int posted, finished, sleeping;
    private volatile bool stopping;

    public SecondThread()
    {
        thread = new Thread(Loop) { IsBackground = true, Name = "roof second thread" };
        thread.Start();
    }

    public void Run(IHalves halves)
    {
        work = halves;
        int generation = posted + 1;
        // Publish the work, then look whether the thread sleeps: both sides use full fences (Interlocked), so either
        // it sees the new generation before it waits, or we see it sleeping and wake it.
        Interlocked.Exchange(ref posted, generation);
        if (Volatile.Read(ref sleeping) != 0)
        {
            lock (gate)
            {
                Monitor.Pulse(gate);
            }
        }
        halves.Run(0);
        var spinner = new SpinWait();
        while (Volatile.Read(ref finished) != generation)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    private void Loop()
    {
        int seen = 0;
        long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref posted) == seen && !stopping && Stopwatch.GetTimestamp() - start < spinTicks)
            {
                Thread.SpinWait(8);
            }
            if (Volatile.Read(ref posted) == seen && !stopping)
            {
                lock (gate)
                {
                    Interlocked.Exchange(ref sleeping, 1);
                    while (Volatile.Read(ref posted) == seen && !stopping)
                    {
                        Monitor.Wait(gate);
                    }
                    Volatile.Write(ref sleeping, 0);
                }
            }
            if (stopping)
            {
                return;
            }
            seen = Volatile.Read(ref posted);
            work!.Run(1);
            Volatile.Write(ref finished, seen);
        }
    }

    public void Dispose()
    {
        stopping = true;
        lock (gate)
        {
            Monitor.Pulse(gate);
        }
        thread.Join();
    }
}
