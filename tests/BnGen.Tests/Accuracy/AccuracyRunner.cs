using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Text;
using BnGen.Tests.Kernels;

namespace BnGen.Tests.Accuracy;

/// <summary>
/// Runs one case through BnGen, through <see cref="AtenBatchNorm{T}"/> and through <see cref="TruthBatchNorm"/>, and
/// compares the errors tensor by tensor (units: <see cref="TensorError"/>).
/// <para>
/// The bar, per tensor: BnGen's error ≤ <see cref="Allowed"/> × ATen's error, where BnGen's error is its worst channel
/// and ATen's is its worst channel after raising each channel's error to that channel's floor, in the better of
/// libtorch on one thread and on 64 threads (both bit-exact models of libtorch 2.10, see docs/testing.md): the most
/// accurate result libtorch gives for that input.
/// </para>
/// <para>
/// The floor of a channel is the larger of a number of its units (<see cref="FloatFloorUlps"/>: a float result cannot
/// be nearer than half a unit to a value it does not represent, so below one unit "more accurate than ATen" means
/// nothing; <see cref="DoubleFloorUlps"/> for double) and a number of unit roundoffs of its largest term scale
/// (<see cref="TruthBatchNorm.Tensor"/>): what any implementation of the centered formula rounds away. Without it a
/// correct implementation fails by chance whenever ATen's rounding happens to land closer than its own (measured:
/// ATen's own AVX2 and AVX-512 kernels differ by up to 13× on single tensors). For float that is
/// <see cref="FloatFloorRoundings"/> roundings; for double <see cref="DoubleFloorRoundings"/> × √n (the random walk of
/// a sum of n rounded terms, in any order), and the term scales include the saved mean's own rounding to double
/// (|mean| next to |x − mean|), which no double implementation avoids and ATen pays too. The floors keep every
/// cancellation test sharp: a result that cancels (two values per channel, a constant dy) is measured on its own tiny
/// magnitude, and the weaker formulas issue 12 names fail by factors of 10 to 10⁴ (<see cref="MeasuringStickTests"/>).
/// </para>
/// </summary>
public static class AccuracyRunner
{
    public const double Allowed = 1.5;

    public const double FloatFloorUlps = 1;

    public const double FloatFloorRoundings = 2;

    public const double DoubleFloorUlps = 4;

    public const double DoubleFloorRoundings = 2;

    /// <summary>The two libtorch configurations whose better result is the bar.</summary>
    public static readonly AtenOptions[] AtenConfigurations = { new(Threads: 1), new(Threads: 64) };

    public static void Run<T>(AccuracyCase spec, IKernels<T> kernels, AccuracyInputs<T> inputs, AccuracyTally tally)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        RunTraining(spec, kernels, inputs, tally);
        if (spec.Track)
        {
            RunEvaluation(spec, kernels, inputs, tally);
        }
    }

    private static void RunTraining<T>(AccuracyCase spec, IKernels<T> kernels, AccuracyInputs<T> inputs, AccuracyTally tally)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int f = spec.Features, count = spec.Count, batch = spec.Batch, plane = spec.Plane;
        bool isDouble = typeof(T) == typeof(double);

        // The truth.
        double[] x = Num.ToDoubles<T>(inputs.X), dy = Num.ToDoubles<T>(inputs.GradOutput);
        double[]? weight = Doubles(inputs.Weight), bias = Doubles(inputs.Bias);
        var statistics = TruthBatchNorm.BatchStatistics(x, f, batch, plane, spec.Epsilon);
        DoubleDouble[] invStd = TruthBatchNorm.InvStd(statistics.Variance, spec.Epsilon);
        var truth = new Dictionary<string, TruthBatchNorm.Tensor>
        {
            ["y"] = TruthBatchNorm.Normalize(x, f, batch, plane, statistics.Mean, invStd, weight, bias, roundedMean: isDouble),
            ["savedMean"] = new(statistics.Mean, statistics.MeanScale),
            ["savedInvStd"] = new(invStd, statistics.InvStdScale),
        };
        if (spec.Track)
        {
            var (runningMean, runningVar) = TruthBatchNorm.UpdateRunning(Doubles(inputs.RunningMean)!, Doubles(inputs.RunningVar)!, statistics,
                spec.PerChannel, spec.Factor);
            truth["runningMean"] = runningMean;
            truth["runningVar"] = runningVar;
        }
        var gradients = TruthBatchNorm.BackwardBatch(x, dy, f, batch, plane, statistics, invStd, weight, roundedMean: isDouble);
        AddGradients(truth, gradients, spec.Affine);

        // BnGen.
        var bngen = new Dictionary<string, double[]>();
        {
            var y = new T[count];
            var savedMean = new double[f];
            var savedInvStd = new double[f];
            T[]? runningMean = (T[]?)inputs.RunningMean?.Clone(), runningVar = (T[]?)inputs.RunningVar?.Clone();
            kernels.ForwardTraining(inputs.X, y, batch, spec.Height, spec.Width, inputs.Weight, inputs.Bias, savedMean, savedInvStd,
                runningMean, runningVar, spec.Factor);
            var dx = new T[count];
            T[]? weightGrad = spec.Affine ? new T[f] : null, biasGrad = spec.Affine ? new T[f] : null;
            kernels.BackwardTraining(inputs.X, inputs.GradOutput, dx, batch, spec.Height, spec.Width, inputs.Weight, savedMean, savedInvStd,
                weightGrad, biasGrad);
            bngen["y"] = Num.ToDoubles<T>(y);
            bngen["savedMean"] = savedMean;
            bngen["savedInvStd"] = savedInvStd;
            Add(bngen, "runningMean", runningMean);
            Add(bngen, "runningVar", runningVar);
            Add(bngen, "gradInput", dx);
            Add(bngen, "weightGrad", weightGrad);
            Add(bngen, "biasGrad", biasGrad);
        }

        // ATen, in each configuration.
        var aten = AtenConfigurations.Select(options =>
        {
            var result = new Dictionary<string, double[]>();
            var y = new T[count];
            var saveMean = new T[f];
            var saveInvStd = new T[f];
            T[]? runningMean = (T[]?)inputs.RunningMean?.Clone(), runningVar = (T[]?)inputs.RunningVar?.Clone();
            AtenBatchNorm<T>.ForwardTraining(inputs.X, y, f, batch, plane, inputs.Weight, inputs.Bias, spec.Epsilon, spec.Factor, runningMean,
                runningVar, saveMean, saveInvStd, options);
            var dx = new T[count];
            T[]? weightGrad = spec.Affine ? new T[f] : null, biasGrad = spec.Affine ? new T[f] : null;
            AtenBatchNorm<T>.Backward(inputs.X, inputs.GradOutput, dx, f, batch, plane, inputs.Weight, train: true, spec.Epsilon, null, null,
                saveMean, saveInvStd, weightGrad, biasGrad, options);
            result["y"] = Num.ToDoubles<T>(y);
            result["savedMean"] = Num.ToDoubles<T>(saveMean);
            result["savedInvStd"] = Num.ToDoubles<T>(saveInvStd);
            Add(result, "runningMean", runningMean);
            Add(result, "runningVar", runningVar);
            Add(result, "gradInput", dx);
            Add(result, "weightGrad", weightGrad);
            Add(result, "biasGrad", biasGrad);
            return result;
        }).ToArray();

        Compare(spec, "train", inputs.GradKind, truth, bngen, aten, isDouble, tally);
    }

    private static void RunEvaluation<T>(AccuracyCase spec, IKernels<T> kernels, AccuracyInputs<T> inputs, AccuracyTally tally)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int f = spec.Features, count = spec.Count, batch = spec.Batch, plane = spec.Plane;
        bool isDouble = typeof(T) == typeof(double);
        T[] runningMean = inputs.RunningMean!, runningVar = inputs.RunningVar!;

        double[] x = Num.ToDoubles<T>(inputs.X), dy = Num.ToDoubles<T>(inputs.GradOutput);
        double[]? weight = Doubles(inputs.Weight), bias = Doubles(inputs.Bias);
        double[] rm = Num.ToDoubles<T>(runningMean), rv = Num.ToDoubles<T>(runningVar);
        var runningInvStd = TruthBatchNorm.InvStd(rv.Select(v => (DoubleDouble)v).ToArray(), spec.Epsilon);
        var truth = new Dictionary<string, TruthBatchNorm.Tensor>
        {
            ["y"] = TruthBatchNorm.Normalize(x, f, batch, plane, rm.Select(v => (DoubleDouble)v).ToArray(), runningInvStd, weight, bias,
                roundedMean: false),
        };
        AddGradients(truth, TruthBatchNorm.BackwardRunning(x, dy, f, batch, plane, rm, rv, spec.Epsilon, weight), spec.Affine);

        var bngen = new Dictionary<string, double[]>();
        {
            var y = new T[count];
            kernels.ForwardInference(inputs.X, y, batch, spec.Height, spec.Width, inputs.Weight, inputs.Bias, runningMean, runningVar);
            var dx = new T[count];
            T[]? weightGrad = spec.Affine ? new T[f] : null, biasGrad = spec.Affine ? new T[f] : null;
            kernels.BackwardInference(inputs.X, inputs.GradOutput, dx, batch, spec.Height, spec.Width, inputs.Weight, runningMean, runningVar,
                weightGrad, biasGrad);
            bngen["y"] = Num.ToDoubles<T>(y);
            Add(bngen, "gradInput", dx);
            Add(bngen, "weightGrad", weightGrad);
            Add(bngen, "biasGrad", biasGrad);
        }

        var aten = AtenConfigurations.Select(options =>
        {
            var result = new Dictionary<string, double[]>();
            var y = new T[count];
            AtenBatchNorm<T>.ForwardInference(inputs.X, y, f, batch, plane, inputs.Weight, inputs.Bias, spec.Epsilon, runningMean, runningVar, options);
            var dx = new T[count];
            T[]? weightGrad = spec.Affine ? new T[f] : null, biasGrad = spec.Affine ? new T[f] : null;
            AtenBatchNorm<T>.Backward(inputs.X, inputs.GradOutput, dx, f, batch, plane, inputs.Weight, train: false, spec.Epsilon, runningMean,
                runningVar, null, null, weightGrad, biasGrad, options);
            result["y"] = Num.ToDoubles<T>(y);
            Add(result, "gradInput", dx);
            Add(result, "weightGrad", weightGrad);
            Add(result, "biasGrad", biasGrad);
            return result;
        }).ToArray();

        Compare(spec, "eval", inputs.GradKind, truth, bngen, aten, isDouble, tally);
    }

    private static void Compare(AccuracyCase spec, string mode, string gradKind, Dictionary<string, TruthBatchNorm.Tensor> truth,
        Dictionary<string, double[]> bngen, Dictionary<string, double[]>[] aten, bool isDouble, AccuracyTally tally)
    {
        foreach (var (name, expected) in truth)
        {
            DoubleDouble[] values = expected.Values;
            bool perFeature = name is not ("y" or "gradInput");
            double[] units = TensorError.Units(values, expected.Scales, spec.Features, spec.Plane, perFeature, isDouble);
            double[] floors = TensorError.Floors(expected.Scales, units, spec.Features, spec.Plane, perFeature, isDouble,
                isDouble ? DoubleFloorUlps : FloatFloorUlps, isDouble ? DoubleFloorRoundings * Math.Sqrt(spec.PerChannel) : FloatFloorRoundings);

            // BnGen's error: its worst group. ATen's: its worst group with each group's floor, in its better configuration.
            var (ours, oursAt) = TensorError.PerGroup(bngen[name], values, units, spec.Features, spec.Plane, perFeature);
            int oursGroup = ArgMax(ours);
            double theirs = double.PositiveInfinity, theirsRaw = 0;
            int theirsAt = 0, theirsConfiguration = 0;
            for (int k = 0; k < aten.Length; k++)
            {
                var (errors, at) = TensorError.PerGroup(aten[k][name], values, units, spec.Features, spec.Plane, perFeature);
                double floored = errors.Select((e, c) => Math.Max(e, floors[c])).Max();
                if (floored < theirs)
                {
                    int group = ArgMax(errors);
                    (theirs, theirsRaw, theirsAt, theirsConfiguration) = (floored, errors[group], at[group], k);
                }
            }
            // Both infinitely far (a NaN, or a value where the truth and its terms are exactly 0): as bad as each other.
            double ratio = double.IsPositiveInfinity(ours[oursGroup]) && double.IsPositiveInfinity(theirs) ? 1 : ours[oursGroup] / theirs;
            tally.Record(new AccuracyComparison(spec, mode, name, gradKind, ours[oursGroup], theirsRaw, floors.Max(), ratio,
                Describe(bngen[name][oursAt[oursGroup]], values[oursAt[oursGroup]], oursAt[oursGroup]),
                Describe(aten[theirsConfiguration][name][theirsAt], values[theirsAt], theirsAt)));
        }
    }

    private static int ArgMax(double[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }
        return best;
    }

    private static string Describe(double value, DoubleDouble truth, int index)
        => string.Create(CultureInfo.InvariantCulture, $"[{index}] {value:R} vs true {truth.ToDouble():R}");

    private static void AddGradients(Dictionary<string, TruthBatchNorm.Tensor> truth, TruthBatchNorm.Gradients gradients, bool affine)
    {
        truth["gradInput"] = gradients.GradInput;
        if (affine)
        {
            truth["weightGrad"] = gradients.GradWeight;
            truth["biasGrad"] = gradients.GradBias;
        }
    }

    private static void Add<T>(Dictionary<string, double[]> results, string name, T[]? values)
        where T : unmanaged
    {
        if (values is not null)
        {
            results[name] = Num.ToDoubles<T>(values);
        }
    }

    private static double[]? Doubles<T>(T[]? values)
        where T : unmanaged
        => values is null ? null : Num.ToDoubles<T>(values);
}

/// <summary>One tensor of one case: both errors (in units, see <see cref="TensorError"/>) and where they are reached.</summary>
public sealed record AccuracyComparison(AccuracyCase Case, string Mode, string Tensor, string GradKind, double BnGenError, double AtenError,
    double Floor, double Ratio, string BnGenWorst, string AtenWorst)
{
    public string Key => $"{Mode} {Tensor}";

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Key}: BnGen {BnGenError:G3} units, ATen {AtenError:G3} units, floor {Floor:G3} (ratio {Ratio:G3}); BnGen worst {BnGenWorst}, " +
        $"ATen worst {AtenWorst}; dy {GradKind}; {Case}");
}

/// <summary>Collects every comparison: the worst ratio per tensor kind, and the failures.</summary>
public sealed class AccuracyTally
{
    private readonly Dictionary<string, (AccuracyComparison Worst, int Count)> _byTensor = new();
    private readonly List<AccuracyComparison> _failures = new();

    public int Comparisons { get; private set; }

    public IReadOnlyList<AccuracyComparison> Failures => _failures;

    public void Record(AccuracyComparison comparison)
    {
        Comparisons++;
        if (!_byTensor.TryGetValue(comparison.Key, out var entry) || comparison.Ratio > entry.Worst.Ratio)
        {
            entry.Worst = comparison;
        }
        _byTensor[comparison.Key] = (entry.Worst, entry.Count + 1);
        if (!(comparison.Ratio <= AccuracyRunner.Allowed))
        {
            _failures.Add(comparison);
        }
    }

    /// <summary>Per tensor kind: comparisons, failures, worst ratio and its case.</summary>
    public string Summary()
    {
        var text = new StringBuilder();
        foreach (var (key, (worst, count)) in _byTensor.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            int failed = _failures.Count(c => c.Key == key);
            text.AppendLine(CultureInfo.InvariantCulture, $"  {key,-18} {count,5} compared, {failed,4} over {AccuracyRunner.Allowed}x, worst ratio {worst.Ratio:G3}");
        }
        return text.ToString();
    }

    /// <summary>The failures, worst first per tensor kind (at most <paramref name="perTensor"/> each).</summary>
    public string FailureReport(int perTensor)
    {
        var text = new StringBuilder();
        foreach (var group in _failures.GroupBy(c => c.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{group.Key}: {group.Count()} failures");
            foreach (var failure in group.OrderByDescending(c => c.Ratio).Take(perTensor))
            {
                text.AppendLine("  " + failure);
            }
        }
        return text.ToString();
    }
}
