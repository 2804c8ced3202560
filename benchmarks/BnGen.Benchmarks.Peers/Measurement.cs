using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace BnGen.Benchmarks.Peers;

/// <summary>How long and how often to measure.</summary>
public sealed record Settings(string Mode, double WarmupMilliseconds, int Rounds, double BatchMilliseconds)
{
    /// <summary>The full measurement: ≥ 400 ms warm-up per contender and operation, 25 rounds of ~12 ms batches.</summary>
    public static readonly Settings Full = new("full", 400, 25, 12);

    /// <summary>Every contender on every shape a few times, to try the harness (the checks are the same).</summary>
    public static readonly Settings Quick = new("quick", 0, 3, 0.2);
}

/// <summary>Per-call times of one contender on one shape and operation, one sample per batch.</summary>
public sealed class Samples
{
    public List<double> NanosecondsPerCall { get; } = new();
    public long Calls { get; set; }
    public long AllocatedBytes { get; set; }

    public double Median
    {
        get
        {
            double[] sorted = NanosecondsPerCall.Order().ToArray();
            int n = sorted.Length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    public double Min => NanosecondsPerCall.Min();

    /// <summary>Managed bytes the calling thread allocated per call during the timed batches.</summary>
    public double AllocatedPerCall => Calls == 0 ? 0 : (double)AllocatedBytes / Calls;
}

/// <summary>
/// Side by side in one process: the contenders of one shape and operation are warmed up, then run in rounds, one batch
/// each per round, in an order that rotates from round to round, so that a slow phase of the machine hits all of them.
/// </summary>
public static class Measurement
{
    public static Dictionary<string, Samples> Run(Op op, IReadOnlyList<Contender> contenders, Settings settings)
    {
        var batches = new Dictionary<Contender, int>();
        foreach (Contender contender in contenders)
        {
            contender.Prepare(op);
            batches[contender] = WarmUp(contender, op, settings);
        }
        var samples = contenders.ToDictionary(c => c.Name, _ => new Samples());
        for (int round = 0; round < settings.Rounds; round++)
        {
            for (int j = 0; j < contenders.Count; j++)
            {
                Contender contender = contenders[(j + round) % contenders.Count];
                int calls = batches[contender];
                contender.Enter();
                long allocated = GC.GetAllocatedBytesForCurrentThread();
                long start = Stopwatch.GetTimestamp();
                contender.Run(op, calls);
                long stop = Stopwatch.GetTimestamp();
                allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
                Samples s = samples[contender.Name];
                s.NanosecondsPerCall.Add((stop - start) * 1e9 / Stopwatch.Frequency / calls);
                s.Calls += calls;
                s.AllocatedBytes += allocated;
                if (contender.SettleMilliseconds > 0)
                {
                    Thread.Sleep(contender.SettleMilliseconds);
                }
            }
        }
        return samples;
    }

    /// <summary>
    /// Runs batches of 1, 2, 4, … calls until the warm-up time has passed (and at least 2 calls: tiered JIT, caches,
    /// libtorch's allocator), then returns the batch size that takes about <see cref="Settings.BatchMilliseconds"/>.
    /// </summary>
    private static int WarmUp(Contender contender, Op op, Settings settings)
    {
        contender.Enter();
        long begin = Stopwatch.GetTimestamp();
        double perCall;
        int calls = 1, total = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp();
            contender.Run(op, calls);
            long stop = Stopwatch.GetTimestamp();
            total += calls;
            perCall = (stop - start) * 1e3 / Stopwatch.Frequency / calls;
            if (total >= 2 && (stop - begin) * 1e3 / Stopwatch.Frequency >= settings.WarmupMilliseconds)
            {
                break;
            }
            calls = Math.Min(calls * 2, 1 << 20);
        }
        if (contender.SettleMilliseconds > 0)
        {
            Thread.Sleep(contender.SettleMilliseconds);
        }
        return (int)Math.Clamp(Math.Round(settings.BatchMilliseconds / perCall), 1, 1 << 22);
    }
}
