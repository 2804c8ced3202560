using System;

namespace BnGen.Internal;

/// <summary>
/// Synchronized batch norm (PyTorch's SyncBatchNorm): the statistics of the global batch, every process's slice together,
/// through <see cref="IAllReduce"/>. The forward runs two reductions — the count and each feature's pivot (the mean of the
/// processes' first values), then the shifted sums about that pivot — and a third only where the sums cancel (the exact
/// second pass, as on one process). The backward runs one. With one process every number is the one the unsynchronized
/// kernels give, bit for bit. Nothing the caller can see is written before the last reduction returns, so a reduction that
/// throws leaves every output, statistic and gradient as it was.
/// </summary>
public static unsafe partial class LayerKernels<T, TLayer>
{
    internal static void ForwardTrainingSynced(TLayer layer, ReadOnlySpan<T> input, Span<T> output, TensorShape shape,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd,
        Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor, int maxDegreeOfParallelism,
        IAllReduce sync, ref double[]? scratch, out double globalCount)
    {
        CheckTensor(layer, shape, input.Length, nameof(input));
        CheckTensor(layer, shape, output.Length, nameof(output));
        CheckParameters(layer, weight.Length, bias.Length);
        bool track = CheckRunning(layer, runningMean.Length, runningVar.Length);
        if (track)
        {
            CheckFactor(exponentialAverageFactor);
        }
        int degree = Threads(CheckDegree(maxDegreeOfParallelism), layer, shape);
        int features = layer.Features;
        bool rows = shape.RowMajor;

        fixed (T* x = input, y = output, w = weight, b = bias, rm = runningMean, rv = runningVar)
        {
            Job<T, TLayer> job = NewJob(layer, shape, degree);
            job.X = x;
            job.Y = y;
            job.Weight = w;
            job.Bias = b;
            job.RunningMean = track ? rm : null;
            job.RunningVar = track ? rv : null;
            job.Factor = exponentialAverageFactor;
            // Mean and InvStd go to scratch until the last reduction has returned; then to the saved statistics.
            // The layer's own scratch, not the thread's: SumInPlace may run other BnGen calls on this thread.
            Allocate(ref job, coefficientArrays: rows ? 3 : 0, degree, extraDoubles: 2 + 3L * features, out double* extra,
                ref scratch);
            double* flags = extra + 2 + 2L * features;

            // Round 1: the global count and the pivots.
            var first = new Span<double>(extra, 2 + features);
            first[0] = shape.PerChannel;
            first[1] = 1d;
            for (int f = 0; f < features; f++)
            {
                first[2 + f] = Scalar.ToDouble(rows ? x[f] : x[f * job.Plane]);
            }
            sync.SumInPlace(first);
            double n = first[0], processes = first[1];
            if (!(n > 1d))
            {
                ThrowHelper.SingleValuePerChannel(shape.Describe(features));
            }
            job.N = n;
            for (int f = 0; f < features; f++)
            {
                job.Pivots[f] = first[2 + f] / processes;
            }

            // Round 2: Σ (x − pivot) and Σ (x − pivot)².
            LocalStatistics(ref job, rows, degree);
            Reduce(sync, ref job, extra, features);
            bool anyExact = false;
            for (int f = 0; f < features; f++)
            {
                Finish.Moments<T>(job.Pivots[f], job.Sums[f], job.Squares[f], n, out double mean, out double m2, out bool exact);
                job.Mean[f] = mean;
                job.InvStd[f] = m2;
                flags[f] = exact ? 1d : 0d;
                anyExact |= exact;
            }

            // Round 3, only where the shifted sums cancelled (every process sees the same global sums, so all take it).
            if (anyExact)
            {
                for (int f = 0; f < features; f++)
                {
                    job.Pivots[f] = job.Mean[f];
                }
                LocalStatistics(ref job, rows, degree);
                Reduce(sync, ref job, extra, features);
                for (int f = 0; f < features; f++)
                {
                    // NC and NHWC take the second pass for every feature, NCHW and NCL per channel, as unsynchronized calls do.
                    if (rows || flags[f] != 0d)
                    {
                        job.InvStd[f] = Finish.ExactM2(ref job.Mean[f], job.Sums[f], job.Squares[f], n);
                    }
                }
            }

            // Every reduction has returned: finish, write the statistics, then normalize.
            for (int f = 0; f < features; f++)
            {
                double mean = job.Mean[f], m2 = job.InvStd[f];
                double invStd = Finish.InvStd(m2, n, layer.Epsilon);
                job.InvStd[f] = invStd;
                savedMean[f] = mean;
                savedInvStd[f] = invStd;
                if (track)
                {
                    Finish.Running(ref rm[f], ref rv[f], mean, m2, n, exponentialAverageFactor);
                }
                if (rows)
                {
                    Finish.Affine(Gamma(ref job, f), Beta(ref job, f), mean, invStd, out job.Centers[f], out job.Scales[f],
                        out job.Shifts[f]);
                }
            }
            if (layer.Activation == BatchNormActivation.ReLU)
            {
                Normalize<ReluActivation>(ref job, rows, degree);
            }
            else
            {
                Normalize<Identity>(ref job, rows, degree);
            }
            globalCount = n;
        }
    }

    internal static void BackwardTrainingSynced(TLayer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput,
        Span<T> gradInput, TensorShape shape, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean,
        ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int maxDegreeOfParallelism, bool accumulate,
        IAllReduce sync, double globalCount, ref double[]? scratch)
    {
        CheckTensor(layer, shape, input.Length, nameof(input));
        CheckTensor(layer, shape, gradOutput.Length, nameof(gradOutput));
        CheckTensor(layer, shape, gradInput.Length, nameof(gradInput));
        CheckGradients(layer, weightGrad.Length, biasGrad.Length, out bool wantWeightGrad, out bool wantBiasGrad);
        int degree = Threads(CheckDegree(maxDegreeOfParallelism), layer, shape);
        int features = layer.Features;
        bool rows = shape.RowMajor;

        fixed (T* x = input, dy = gradOutput, dx = gradInput, w = weight, b = bias, wg = weightGrad, bg = biasGrad)
        fixed (double* mean = savedMean, invStd = savedInvStd)
        {
            Job<T, TLayer> job = NewJob(layer, shape, degree);
            job.X = x;
            job.Dy = dy;
            job.Dx = dx;
            job.Weight = w;
            job.Bias = b;
            job.Mean = mean;
            job.InvStd = invStd;
            job.WeightGrad = wantWeightGrad ? wg : null;
            job.BiasGrad = wantBiasGrad ? bg : null;
            job.Accumulate = accumulate;
            job.N = globalCount;
            Allocate(ref job, coefficientArrays: rows ? 7 : 0, degree, extraDoubles: 2L * features, out double* extra, ref scratch);
            if (layer.Activation == BatchNormActivation.ReLU)
            {
                BackwardSynced<ReluActivation>(ref job, rows, degree, sync, extra);
            }
            else
            {
                BackwardSynced<Identity>(ref job, rows, degree, sync, extra);
            }
        }
    }

    private static void BackwardSynced<TAct>(ref Job<T, TLayer> j, bool rows, int degree, IAllReduce sync, double* extra)
        where TAct : struct, IActivation
    {
        int features = j.Features;
        void* job = System.Runtime.CompilerServices.Unsafe.AsPointer(ref j);
        if (rows)
        {
            if (TAct.Relu)
            {
                FinishRows.Affine(features, j.Mean, j.InvStd, j.Weight, j.Bias, j.Centers, j.Scales, j.Shifts);
            }
            RowSums(ref j, &RowKernels<T, TLayer, TAct>.GradientBlock, degree);
        }
        else
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.GradientSumsPart, features, degree);
        }
        Reduce(sync, ref j, extra, features);

        // The global sums: the parameter gradients and dx of this process's slice of the global batch norm.
        if (rows)
        {
            FinishRowsBackward(ref j);
            ForkJoin.Run(job, &RowKernels<T, TLayer, TAct>.TrainingDxBlock, j.Blocks, degree);
        }
        else
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.TrainingDxPart, features, degree);
        }
    }

    /// <summary>The per-feature sums of this process about <c>Pivots</c>, into <c>Sums</c> and <c>Squares</c>.</summary>
    private static void LocalStatistics(ref Job<T, TLayer> j, bool rows, int degree)
    {
        if (rows)
        {
            RowSums(ref j, &RowKernels<T, TLayer, Identity>.StatisticsBlock, degree);
        }
        else
        {
            ForkJoin.Run(System.Runtime.CompilerServices.Unsafe.AsPointer(ref j), &ChannelKernels<T, TLayer, Identity>.SumsPart,
                j.Features, degree);
        }
    }

    /// <summary>Sums <c>Sums</c> and <c>Squares</c> over the processes, through <paramref name="extra"/> (2 · Features doubles).</summary>
    private static void Reduce(IAllReduce sync, ref Job<T, TLayer> j, double* extra, int features)
    {
        var values = new Span<double>(extra, 2 * features);
        new ReadOnlySpan<double>(j.Sums, features).CopyTo(values);
        new ReadOnlySpan<double>(j.Squares, features).CopyTo(values.Slice(features));
        sync.SumInPlace(values);
        values.Slice(0, features).CopyTo(new Span<double>(j.Sums, features));
        values.Slice(features).CopyTo(new Span<double>(j.Squares, features));
    }

    private static void Normalize<TAct>(ref Job<T, TLayer> j, bool rows, int degree)
        where TAct : struct, IActivation
    {
        void* job = System.Runtime.CompilerServices.Unsafe.AsPointer(ref j);
        if (rows)
        {
            ForkJoin.Run(job, &RowKernels<T, TLayer, TAct>.NormalizeBlock, j.Blocks, degree);
        }
        else
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.NormalizePart, j.Features, degree);
        }
    }
}
