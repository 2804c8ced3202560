using System;
using System.Globalization;
using System.IO;
using BnGen.Samples.Distributed;
using MPI;

// Data-parallel training of the Training sample's MLP (784 → 256 → ReLU → BatchNorm1d(256) → 10) on MNIST over N MPI
// processes. Every process takes a slice of each global batch; the batch-norm layer's SyncStatistics is an IAllReduce
// over MPI, so it normalizes with the global batch's statistics, and the Linear layers' gradients are summed across the
// processes (the loss is the global batch's mean). Rank 0 also trains the same model in one process on the whole
// batches and prints, after every step, the largest relative difference between the two; the run fails (exit code 1)
// beyond 1e-5, or if the processes' models are not bit-identical.
//
//   dotnet build -c Release samples/BnGen.Samples.Distributed
//   mpiexec.mpich -n 2 dotnet samples/BnGen.Samples.Distributed/bin/Release/net10.0/BnGen.Samples.Distributed.dll
//       [--steps N | --quick] [--batch N] [--lr X] [--data DIR] [--expect-processes N] [--bench]
//
// Without mpiexec it runs as one process (an MPI world of one); without MPICH installed it says so and runs as one
// process without MPI. --bench times the reductions and a layer with and without synchronization instead of training.

var options = Options.Parse(args);
if (options is null) return 2;

if (!MpiRuntime.TryUseMpich(out string? problem))
{
    Console.WriteLine($"{problem}: running as one process without MPI. For N processes install MPICH " +
        "(Debian/Ubuntu: apt-get install -y mpich) and start with mpiexec.mpich -n N.");
    if (options.ExpectProcesses is int expected && expected != 1)
    {
        Console.Error.WriteLine($"--expect-processes {expected}: MPI is not available, so there is one process.");
        return 1;
    }
    return options.Bench ? Bench.Run(null, options) : Trainer.Run(null, new OneProcess(), new OneProcess(), options);
}

int code;
using (var environment = new MPI.Environment(ref args))
{
    Intracommunicator world = Communicator.world;
    if (MpiRuntime.Launched() is (int launched, string launcher) && launched != world.Size)
    {
        Console.Error.WriteLine($"rank {world.Rank}: {launcher} started {launched} processes but MPICH sees a world of {world.Size}: " +
            "start the sample with MPICH's launcher, mpiexec.mpich (Open MPI's mpiexec does not work with MPI.NET's MPICH handles).");
        return 1;
    }
    if (options.ExpectProcesses is int expected && expected != world.Size)
    {
        Console.Error.WriteLine($"rank {world.Rank}: --expect-processes {expected}, but the MPI world has {world.Size} processes.");
        return 1;
    }
    try
    {
        code = options.Bench ? Bench.Run(world, options)
            : Trainer.Run(world, new MpiAllReduce(world), new MpiAllReduce(world), options);
    }
    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
    {
        // Every process reads the same files: all fail the same way, none waits for the others.
        if (world.Rank == 0) Console.Error.WriteLine(e.Message);
        code = 1;
    }
    catch (Exception e)
    {
        // Anything else may have left the other processes waiting in a reduction: end the whole job.
        Console.Error.WriteLine($"rank {world.Rank}: {e}");
        world.Abort(1);
        code = 1;
    }
}
return code;

/// <summary>Command-line options.</summary>
internal sealed record Options(int Steps, int BatchSize, double LearningRate, string? DataDirectory, int? ExpectProcesses, bool Bench)
{
    public const double Tolerance = 1e-5;

    public static Options? Parse(string[] args)
    {
        int steps = 125, batch = 64;
        double learningRate = 0.05;
        string? data = null;
        int? expect = null;
        bool bench = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--steps" when int.TryParse(value, CultureInfo.InvariantCulture, out int s) && s > 0: steps = s; i++; break;
                case "--quick": steps = 10; break;
                case "--batch" when int.TryParse(value, CultureInfo.InvariantCulture, out int b) && b > 1: batch = b; i++; break;
                case "--lr" when double.TryParse(value, CultureInfo.InvariantCulture, out double lr) && lr > 0: learningRate = lr; i++; break;
                case "--data" when value is not null: data = value; i++; break;
                case "--expect-processes" when int.TryParse(value, CultureInfo.InvariantCulture, out int n) && n > 0: expect = n; i++; break;
                case "--bench": bench = true; break;
                default:
                    Console.Error.WriteLine("usage: BnGen.Samples.Distributed [--steps N | --quick] [--batch N] [--lr X] [--data DIR] " +
                        "[--expect-processes N] [--bench]");
                    return null;
            }
        }
        return new Options(steps, batch, learningRate, data, expect, bench);
    }
}
