using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using MPI;

namespace BnGen.Samples.Distributed;

/// <summary>BatchNorm2d(64) on NCHW, for the timing of a convolutional layer's synchronization.</summary>
[BatchNormLayer(64, BatchNormLayout.NCHW)]
public sealed partial class BenchConvNorm { }

/// <summary>
/// --bench: what synchronization costs per call on this machine and MPI. The time of one SumInPlace round of the sizes a
/// layer sends (F + 2 and 2F doubles for F = 256 and 64), and a forward + backward of a layer with and without
/// SyncStatistics. Each figure is the median of 7 blocks on each process, then the largest over the processes.
/// </summary>
internal static class Bench
{
    private const int Blocks = 7;

    public static int Run(Intracommunicator? world, Options options)
    {
        _ = options;
        int rank = world?.Rank ?? 0, size = world?.Size ?? 1;
        bool lead = rank == 0;
        IAllReduce reducer = world is null ? new OneProcess() : new MpiAllReduce(world);
        if (lead)
        {
            Console.WriteLine($"Synchronization cost, {size} process{(size == 1 ? "" : "es")}" +
                (world is null ? " (no MPI)" : $" on {MpiRuntime.Library} through MPI.NET") +
                $"; {System.Environment.ProcessorCount} cores; median of {Blocks} blocks per process, largest over the processes");
            Console.WriteLine();
            Console.WriteLine("  one SumInPlace round          doubles    bytes   µs per round");
        }
        foreach ((string what, int length) in new[]
        {
            ("F = 256, round 1 (F + 2)", 258), ("F = 256, rounds 2-3 (2F)", 512),
            ("F = 64, round 1 (F + 2)", 66), ("F = 64, rounds 2-3 (2F)", 128),
        })
        {
            var values = new double[length];
            double micro = Time(world, 2000, () => reducer.SumInPlace(values));
            if (lead)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what,-28} {length,8} {length * 8,8} {micro,14:F2}"));
            }
        }

        if (lead)
        {
            Console.WriteLine();
            Console.WriteLine("  forward + backward per process                          µs, alone   µs, synchronized   difference");
        }
        var hidden = new HiddenNorm();
        int batch = 32;
        float[] x = Data(batch * Network.Hidden), y = new float[x.Length];
        Layer(world, lead, $"BatchNorm1d(256), [{batch}, 256] per process", reducer, sync => hidden.SyncStatistics = sync, () =>
        {
            hidden.Forward(x, y, batch);
            hidden.Backward(x, y, y, batch);
        });
        var conv = new BenchConvNorm();
        int convBatch = 8;
        float[] cx = Data(convBatch * 64 * 16 * 16), cy = new float[cx.Length];
        Layer(world, lead, $"BatchNorm2d(64), [{convBatch}, 64, 16, 16] per process", reducer, sync => conv.SyncStatistics = sync, () =>
        {
            conv.Forward(cx, cy, convBatch, 16, 16);
            conv.Backward(cx, cy, cy, convBatch, 16, 16);
        });
        if (lead)
        {
            Console.WriteLine("  (synchronized: 3 rounds per forward + backward; the difference is their cost plus waiting for the slower process)");
        }
        return 0;
    }

    private static void Layer(Intracommunicator? world, bool lead, string what, IAllReduce reducer, Action<IAllReduce?> setSync, Action call)
    {
        setSync(null);
        double alone = Time(world, 500, call);
        setSync(reducer);
        double synced = Time(world, 500, call);
        setSync(null);
        if (lead)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what,-52} {alone,12:F1} {synced,18:F1} {synced - alone,12:F1}"));
        }
    }

    /// <summary>µs per call: median of the blocks on this process (after one block of warm-up), largest over the processes.</summary>
    private static double Time(Intracommunicator? world, int calls, Action call)
    {
        var blocks = new double[Blocks];
        for (int b = -1; b < Blocks; b++)
        {
            world?.Barrier();
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++) call();
            double micro = Stopwatch.GetElapsedTime(start).TotalMicroseconds / calls;
            if (b >= 0) blocks[b] = micro;
        }
        double median = blocks.Order().ElementAt(Blocks / 2);
        return world is null ? median : world.Allreduce(median, Operation<double>.Max);
    }

    private static float[] Data(int count)
    {
        var rng = new Random(3);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 4 - 1)).ToArray();
    }
}
