using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BnGen.Samples.Mnist;
using BnGen.Samples.Training;
using MPI;

namespace BnGen.Samples.Distributed;

/// <summary>The data-parallel run, and on rank 0 the single-process reference it is checked against.</summary>
internal static class Trainer
{
    private const int Seed = 7;          // the Training sample's initial weights
    private const int ShuffleSeed = 11;  // and its batch order
    private const double Momentum = 0.9;

    /// <param name="world">The MPI processes, or null for one process without MPI.</param>
    /// <param name="layerReducer">The batch-norm layer's SyncStatistics.</param>
    /// <param name="gradientReducer">Sums the Linear layers' gradients (a separate instance only to count each one's traffic).</param>
    public static int Run(Intracommunicator? world, IAllReduce layerReducer, IAllReduce gradientReducer, Options options)
    {
        int rank = world?.Rank ?? 0, size = world?.Size ?? 1;
        bool lead = rank == 0;
        int globalBatch = options.BatchSize;
        if (globalBatch < size)
        {
            if (lead) Console.Error.WriteLine($"--batch {globalBatch}: every one of the {size} processes needs at least one sample.");
            return 1;
        }

        MnistSplit data = MnistData.Load(options.DataDirectory);
        LabeledImages train = data.Train, test = data.Test;

        // The global batch split as evenly as it goes: the first (B mod N) processes take one sample more.
        int[] slices = Enumerable.Range(0, size).Select(r => globalBatch / size + (r < globalBatch % size ? 1 : 0)).ToArray();
        int start = slices.Take(rank).Sum(), local = slices[rank];

        var model = new Network(Seed, local);
        model.Norm.SyncStatistics = layerReducer;
        var optimizer = new Sgd(options.LearningRate, Momentum);
        model.AddParametersTo(optimizer);
        float[][] sliceGradients = model.SliceGradients.ToArray();
        var gradientBuffer = new double[sliceGradients.Sum(g => g.Length)];

        // Rank 0: the same model in one process on the whole batches, without synchronization, twice. The check: before
        // each step the "shadow" copy takes the data-parallel model's state and computes the step on the whole batch;
        // its gradients and running statistics must equal the data-parallel ones. The "independent" copy trains on its
        // own from the same start: float rounding differences grow from step to step in any two training runs, so its
        // distance to the data-parallel model is shown, not checked, and both models' held-out accuracy closes the run.
        Network? shadow = lead ? new Network(Seed, globalBatch) : null;
        Network? independent = lead ? new Network(Seed, globalBatch) : null;
        Sgd? independentOptimizer = null;
        if (independent is not null)
        {
            independentOptimizer = new Sgd(options.LearningRate, Momentum);
            independent.AddParametersTo(independentOptimizer);
        }

        if (lead)
        {
            string processes = $"{size} process{(size == 1 ? "" : "es")}";
            Console.WriteLine($"BnGen distributed sample: {processes}" +
                (world is null ? ", no MPI" : $", MPI ({MpiRuntime.Library} through MPI.NET)") +
                $", synchronized BatchNorm1d({Network.Hidden})");
            Console.WriteLine(data.Description);
            Console.WriteLine($"MLP {MnistData.Pixels} -> Dense {Network.Hidden} -> ReLU -> BatchNorm1d({Network.Hidden}) -> Dense {MnistData.Classes}, " +
                $"SGD lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)} momentum {Momentum}, {options.Steps} steps, seed {Seed}");
            Console.WriteLine($"Global batch {globalBatch} split {string.Join(" + ", slices)}: each process normalizes its slice with the " +
                "global batch's statistics; the Linear gradients are summed across the processes.");
            Console.WriteLine("Rank 0 also runs the model in one process on the whole batches:");
            Console.WriteLine($"  step check: from the same state, the one-process step's gradients and running statistics against the " +
                $"{processes}' (largest max|a - b| / max|b| of any tensor; tolerance {Options.Tolerance:0E+0});");
            Console.WriteLine("  drift: a one-process run trained on its own from the same start (float rounding differences grow in any two runs).");
            Console.WriteLine();
            Console.WriteLine($" step | loss, {processes,-11} | loss, 1 process | step check                        | drift");
            Console.WriteLine("------+-------------------+-----------------+-----------------------------------+---------");
        }

        int[] order = Enumerable.Range(0, train.Count).ToArray();
        var shuffle = new Random(ShuffleSeed);
        int batchesPerEpoch = train.Count / globalBatch;
        var x = new float[globalBatch * MnistData.Pixels];
        var labels = new byte[globalBatch];
        var totals = new double[2];
        double worst = 0, drift = 0;
        bool failed = false, identical = true;
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= options.Steps; step++)
        {
            // Every process draws the same global batch (same seed); each uses its slice, rank 0 also the whole.
            int inEpoch = (step - 1) % batchesPerEpoch;
            if (inEpoch == 0) shuffle.Shuffle(order);
            for (int n = 0; n < globalBatch; n++)
            {
                int i = order[inEpoch * globalBatch + n];
                train.Image(i).CopyTo(x.AsSpan(n * MnistData.Pixels));
                labels[n] = train.Labels[i];
            }
            shadow?.CopyStateFrom(model);

            // The data-parallel step: forward and backward on the slice (the batch norm reduces its statistics and its
            // backward sums), then the Linear gradients summed over the processes, then the same SGD step everywhere.
            double loss = model.ForwardBackward(x.AsSpan(start * MnistData.Pixels, local * MnistData.Pixels),
                labels.AsSpan(start, local), local, globalBatch, out int correct);
            int at = 0;
            foreach (float[] gradient in sliceGradients)
            {
                for (int i = 0; i < gradient.Length; i++) gradientBuffer[at + i] = gradient[i];
                at += gradient.Length;
            }
            gradientReducer.SumInPlace(gradientBuffer);
            at = 0;
            foreach (float[] gradient in sliceGradients)
            {
                for (int i = 0; i < gradient.Length; i++) gradient[i] = (float)gradientBuffer[at + i];
                at += gradient.Length;
            }
            totals[0] = loss;
            totals[1] = correct;
            gradientReducer.SumInPlace(totals);

            if (shadow is not null && independent is not null)
            {
                double shadowLoss = shadow.ForwardBackward(x, labels, globalBatch, globalBatch, out _);
                (double difference, string tensor) = LargestDifference(model.StepResults, shadow.StepResults);
                worst = Math.Max(worst, difference);
                bool ok = difference <= Options.Tolerance;
                failed |= !ok;
                independent.ForwardBackward(x, labels, globalBatch, globalBatch, out _);
                independentOptimizer!.Step();
                optimizer.Step();
                (double distance, _) = LargestDifference(model.State, independent.State);
                drift = Math.Max(drift, distance);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $" {step,4} | {totals[0],17:F6} | {shadowLoss,15:F6} | {difference,8:0.00E+00} {tensor,-24}|{(ok ? " " : "!")}{distance,8:0.0E+00}{(ok ? "" : "  MISMATCH")}"));
            }
            else
            {
                optimizer.Step();
            }

            // Every process must now hold the same model, bit for bit.
            if (!Agree(world, model))
            {
                if (lead) Console.Error.WriteLine($"step {step}: the processes' models differ");
                failed = true;
                identical = false;
                break;
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;

        // Every process exits with rank 0's verdict.
        var verdict = new[] { failed ? 1d : 0d };
        gradientReducer.SumInPlace(verdict);
        failed = verdict[0] > 0;

        if (independent is not null)
        {
            ConfusionMatrix distributed = model.Evaluate(test), single = independent.Evaluate(test);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Held-out accuracy ({test.Count:N0} digits, inference mode): {size} process{(size == 1 ? "" : "es")} {distributed.Accuracy:P2}, one process (independent run) {single.Accuracy:P2}"));
            if (layerReducer is MpiAllReduce counted && options.Steps > 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"The batch-norm layer's reductions: {(double)counted.Calls / options.Steps:0.##} per step, {counted.Values * 8.0 / options.Steps:N0} bytes per step per process"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Step check over {options.Steps} steps: largest difference {worst:0.00E+00} (tolerance {Options.Tolerance:0E+0}); {(identical ? "models bit-identical on every process" : "the processes' models differ")}; {seconds:F1} s"));
            Console.WriteLine(failed ? "FAILED: the data-parallel step differs from the one-process step" : "OK");
        }
        return failed ? 1 : 0;
    }

    /// <summary>max |a − b| / max |b| over each named tensor, and the tensor where it is largest.</summary>
    private static (double Difference, string Tensor) LargestDifference(IEnumerable<(string Name, float[] Values)> actual,
        IEnumerable<(string Name, float[] Values)> expected)
    {
        double worst = -1;
        string where = "";
        foreach (((string name, float[] a), (_, float[] b)) in actual.Zip(expected))
        {
            double maxDifference = 0, maxMagnitude = 0;
            for (int i = 0; i < a.Length; i++)
            {
                double difference = Math.Abs((double)a[i] - b[i]);
                maxDifference = double.IsNaN(difference) ? double.PositiveInfinity : Math.Max(maxDifference, difference);
                maxMagnitude = Math.Max(maxMagnitude, Math.Abs((double)b[i]));
            }
            double relative = maxDifference == 0 ? 0 : maxDifference / maxMagnitude;
            if (relative > worst)
            {
                worst = relative;
                where = name;
            }
        }
        return (worst, where);
    }

    /// <summary>Whether every process holds the same model bits: a 52-bit hash of them, its minimum and maximum over the processes.</summary>
    private static bool Agree(Intracommunicator? world, Network model)
    {
        if (world is null) return true;
        ulong hash = 14695981039346656037UL;
        foreach ((_, float[] values) in model.State)
        {
            foreach (float value in values)
            {
                hash = (hash ^ BitConverter.SingleToUInt32Bits(value)) * 1099511628211UL;
            }
        }
        double digest = hash & ((1UL << 52) - 1);
        return world.Allreduce(digest, Operation<double>.Min) == world.Allreduce(digest, Operation<double>.Max);
    }
}
