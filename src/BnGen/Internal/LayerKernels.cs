using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// The four batch-norm operations, written once for every layer: generated layers call them with their
/// <see cref="ILayerConstants"/> struct (so the JIT compiles a copy per layer with the constants folded in), and
/// <see cref="BatchNormKernels"/> with <c>RuntimeLayer</c>. Every method checks all of its arguments before it writes
/// anything, then pins the spans and runs the layout's passes on up to <c>maxDegreeOfParallelism</c> threads; results do
/// not depend on that number.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TLayer">The layer's constants.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe partial class LayerKernels<T, TLayer>
    where T : unmanaged
    where TLayer : unmanaged, ILayerConstants
{
    /// <summary>
    /// Tensors smaller than this (values: 2^20, 4 MiB of floats) always run on the calling thread. Measured on the 2-core
    /// development VM (docs/benchmarks.md): at 65,536 to 401,408 values a second thread gained 0.26× to 1.87× depending
    /// on the operation and shape — often a loss, since a pass over such a tensor takes about as long as waking a pool
    /// thread there; at 6.4 million values it gained 1.26× to 1.61× in every operation.
    /// </summary>
    internal const long ParallelThreshold = 1L << 20;

    /// <summary>Training-mode forward: batch statistics, saved in double; the running statistics move when given.</summary>
    public static void ForwardTraining(TLayer layer, ReadOnlySpan<T> input, Span<T> output, TensorShape shape,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<double> savedMean, Span<double> savedInvStd,
        Span<T> runningMean, Span<T> runningVar, double exponentialAverageFactor, int maxDegreeOfParallelism)
    {
        CheckTensor(layer, shape, input.Length, nameof(input));
        CheckTensor(layer, shape, output.Length, nameof(output));
        CheckParameters(layer, weight.Length, bias.Length);
        CheckPerFeature(layer, savedMean.Length, nameof(savedMean));
        CheckPerFeature(layer, savedInvStd.Length, nameof(savedInvStd));
        bool track = CheckRunning(layer, runningMean.Length, runningVar.Length);
        if (track)
        {
            CheckFactor(exponentialAverageFactor);
        }
        int degree = Threads(CheckDegree(maxDegreeOfParallelism), layer, shape);
        CheckBatchStatistics(layer, shape);

        fixed (T* x = input, y = output, w = weight, b = bias, rm = runningMean, rv = runningVar)
        fixed (double* mean = savedMean, invStd = savedInvStd)
        {
            Job<T, TLayer> job = NewJob(layer, shape, degree);
            job.X = x;
            job.Y = y;
            job.Weight = w;
            job.Bias = b;
            job.Mean = mean;
            job.InvStd = invStd;
            job.RunningMean = track ? rm : null;
            job.RunningVar = track ? rv : null;
            job.Factor = exponentialAverageFactor;
            if (layer.Activation == BatchNormActivation.ReLU)
            {
                ForwardTraining<ReluActivation>(ref job, degree);
            }
            else
            {
                ForwardTraining<Identity>(ref job, degree);
            }
        }
    }

    /// <summary>Evaluation-mode forward with the running statistics; nothing is updated.</summary>
    public static void ForwardInference(TLayer layer, ReadOnlySpan<T> input, Span<T> output, TensorShape shape,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar,
        int maxDegreeOfParallelism)
    {
        CheckTensor(layer, shape, input.Length, nameof(input));
        CheckTensor(layer, shape, output.Length, nameof(output));
        CheckParameters(layer, weight.Length, bias.Length);
        CheckPerFeature(layer, runningMean.Length, nameof(runningMean));
        CheckPerFeature(layer, runningVar.Length, nameof(runningVar));
        int degree = Threads(CheckDegree(maxDegreeOfParallelism), layer, shape);

        fixed (T* x = input, y = output, w = weight, b = bias, rm = runningMean, rv = runningVar)
        {
            Job<T, TLayer> job = NewJob(layer, shape, degree);
            job.X = x;
            job.Y = y;
            job.Weight = w;
            job.Bias = b;
            job.RunningMean = rm;
            job.RunningVar = rv;
            if (layer.Activation == BatchNormActivation.ReLU)
            {
                ForwardInference<ReluActivation>(ref job, degree);
            }
            else
            {
                ForwardInference<Identity>(ref job, degree);
            }
        }
    }

    /// <summary>Training-mode backward with the saved statistics of the forward pass.</summary>
    public static void BackwardTraining(TLayer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput,
        TensorShape shape, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<double> savedMean,
        ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad, int maxDegreeOfParallelism,
        bool accumulate = false)
    {
        CheckTensor(layer, shape, input.Length, nameof(input));
        CheckTensor(layer, shape, gradOutput.Length, nameof(gradOutput));
        CheckTensor(layer, shape, gradInput.Length, nameof(gradInput));
        CheckParameters(layer, weight.Length, bias.Length, needBias: layer.Activation == BatchNormActivation.ReLU);
        CheckPerFeature(layer, savedMean.Length, nameof(savedMean));
        CheckPerFeature(layer, savedInvStd.Length, nameof(savedInvStd));
        CheckGradients(layer, weightGrad.Length, biasGrad.Length, out bool wantWeightGrad, out bool wantBiasGrad);
        int degree = Threads(CheckDegree(maxDegreeOfParallelism), layer, shape);
        CheckBatchStatistics(layer, shape);

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
            if (layer.Activation == BatchNormActivation.ReLU)
            {
                BackwardTraining<ReluActivation>(ref job, degree);
            }
            else
            {
                BackwardTraining<Identity>(ref job, degree);
            }
        }
    }

    /// <summary>Evaluation-mode backward: dx = dy · γ / sqrt(runningVar + ε); parameter gradients with the running mean.</summary>
    public static void BackwardInference(TLayer layer, ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput,
        TensorShape shape, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, ReadOnlySpan<T> runningMean,
        ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad, int maxDegreeOfParallelism, bool accumulate = false)
    {
        CheckTensor(layer, shape, input.Length, nameof(input));
        CheckTensor(layer, shape, gradOutput.Length, nameof(gradOutput));
        CheckTensor(layer, shape, gradInput.Length, nameof(gradInput));
        CheckParameters(layer, weight.Length, bias.Length, needBias: layer.Activation == BatchNormActivation.ReLU);
        CheckPerFeature(layer, runningMean.Length, nameof(runningMean));
        CheckPerFeature(layer, runningVar.Length, nameof(runningVar));
        CheckGradients(layer, weightGrad.Length, biasGrad.Length, out bool wantWeightGrad, out bool wantBiasGrad);
        int degree = Threads(CheckDegree(maxDegreeOfParallelism), layer, shape);

        fixed (T* x = input, dy = gradOutput, dx = gradInput, w = weight, b = bias, wg = weightGrad, bg = biasGrad)
        fixed (T* rm = runningMean, rv = runningVar)
        {
            Job<T, TLayer> job = NewJob(layer, shape, degree);
            job.X = x;
            job.Dy = dy;
            job.Dx = dx;
            job.Weight = w;
            job.Bias = b;
            job.RunningMean = rm;
            job.RunningVar = rv;
            job.WeightGrad = wantWeightGrad ? wg : null;
            job.BiasGrad = wantBiasGrad ? bg : null;
            job.Accumulate = accumulate;
            if (layer.Activation == BatchNormActivation.ReLU)
            {
                BackwardInference<ReluActivation>(ref job, degree);
            }
            else
            {
                BackwardInference<Identity>(ref job, degree);
            }
        }
    }

    // ---- The layouts' passes ----

    private static void ForwardTraining<TAct>(ref Job<T, TLayer> j, int degree)
        where TAct : struct, IActivation
    {
        void* job = Unsafe.AsPointer(ref j);
        int features = j.Features;
        if (!j.RowMajor)
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.ForwardTraining, features, degree);
            return;
        }

        // Rows: sums about row 0's values down every column, then the finish, then y row by row.
        AllocateRows(ref j, coefficientArrays: 3, degree);
        for (int f = 0; f < features; f++)
        {
            j.Pivots[f] = Scalar.ToDouble(j.X[f]);
        }
        RowSums(ref j, &RowKernels<T, TLayer, TAct>.StatisticsBlock, degree);
        double n = j.N;
        // M2 goes into InvStd until the finish turns it into invStd.
        if (FinishRows.Moments<T>(features, j.Pivots, j.Sums, j.Squares, n, j.Mean, j.InvStd))
        {
            // Some pivot lay far from its mean: the exact second pass about the means, for every feature.
            new Span<double>(j.Mean, features).CopyTo(new Span<double>(j.Pivots, features));
            RowSums(ref j, &RowKernels<T, TLayer, TAct>.StatisticsBlock, degree);
            for (int f = 0; f < features; f++)
            {
                j.InvStd[f] = Finish.ExactM2(ref j.Mean[f], j.Sums[f], j.Squares[f], n);
            }
        }
        FinishRows.Training(features, j.Mean, j.InvStd, n, j.Layer.Epsilon, j.Weight, j.Bias, j.RunningMean, j.RunningVar, j.Factor,
            j.Centers, j.Scales, j.Shifts);
        ForkJoin.Run(job, &RowKernels<T, TLayer, TAct>.NormalizeBlock, j.Blocks, degree);
    }

    private static void ForwardInference<TAct>(ref Job<T, TLayer> j, int degree)
        where TAct : struct, IActivation
    {
        void* job = Unsafe.AsPointer(ref j);
        int features = j.Features;
        bool rows = j.RowMajor;
        if (rows)
        {
            AllocateRows(ref j, coefficientArrays: 3, degree);
        }
        else
        {
            // T values in double-sized slots, as in Allocate.
            j.Centers = (T*)Scratch.Doubles(3L * features);
            j.Scales = (T*)((double*)j.Centers + features);
            j.Shifts = (T*)((double*)j.Centers + 2 * features);
        }
        FinishRows.Evaluation(features, j.RunningMean, j.RunningVar, j.Layer.Epsilon, j.Weight, j.Bias, j.Centers, j.Scales, j.Shifts,
            null, null);
        if (rows)
        {
            ForkJoin.Run(job, &RowKernels<T, TLayer, TAct>.NormalizeBlock, j.Blocks, degree);
        }
        else
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.ForwardInference, j.Batch, degree);
        }
    }

    private static void BackwardTraining<TAct>(ref Job<T, TLayer> j, int degree)
        where TAct : struct, IActivation
    {
        void* job = Unsafe.AsPointer(ref j);
        int features = j.Features;
        if (!j.RowMajor)
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.BackwardTraining, features, degree);
            return;
        }

        // Rows: the forward's coefficients (ReLU's gate), the two sums down every column, the finish, then dx row by row.
        AllocateRows(ref j, coefficientArrays: 7, degree);
        if (TAct.Relu)
        {
            FinishRows.Affine(features, j.Mean, j.InvStd, j.Weight, j.Bias, j.Centers, j.Scales, j.Shifts);
        }
        RowSums(ref j, &RowKernels<T, TLayer, TAct>.GradientBlock, degree);
        FinishRowsBackward(ref j);
        ForkJoin.Run(job, &RowKernels<T, TLayer, TAct>.TrainingDxBlock, j.Blocks, degree);
    }

    /// <summary>From Σ dy' (Sums) and Σ dy' · (x − mean) (Squares): the parameter gradients and the per-feature dx terms.</summary>
    private static void FinishRowsBackward(ref Job<T, TLayer> j)
        => FinishRows.Backward(j.Features, j.Sums, j.Squares, j.Mean, j.InvStd, j.N, j.Weight, j.WeightGrad, j.BiasGrad,
            j.Accumulate, j.TermMean, j.TermOffset, j.TermNegK, j.TermFactor);

    private static void BackwardInference<TAct>(ref Job<T, TLayer> j, int degree)
        where TAct : struct, IActivation
    {
        void* job = Unsafe.AsPointer(ref j);
        int features = j.Features;
        if (!j.RowMajor)
        {
            ForkJoin.Run(job, &ChannelKernels<T, TLayer, TAct>.BackwardInference, features, degree);
            return;
        }

        // Rows: γ · invStd (and the gate) per feature; with parameter gradients, dx and their sums in one pass.
        AllocateRows(ref j, coefficientArrays: 7, degree);
        FinishRows.Evaluation(features, j.RunningMean, j.RunningVar, j.Layer.Epsilon, j.Weight, j.Bias, j.Centers, j.Scales, j.Shifts,
            j.Mean, j.InvStd);
        // dx = dy' · γ · invStd: the forward's scale.
        new Span<T>(j.Scales, features).CopyTo(new Span<T>(j.TermFactor, features));
        if (j.WeightGrad == null && j.BiasGrad == null)
        {
            ForkJoin.Run(job, &RowKernels<T, TLayer, TAct>.EvalDxBlock, j.Blocks, degree);
            return;
        }
        RowSums(ref j, &RowKernels<T, TLayer, TAct>.EvalGradientBlock, degree);
        for (int f = 0; f < features; f++)
        {
            if (j.WeightGrad != null)
            {
                Finish.Gradient(ref j.WeightGrad[f], j.Squares[f] * j.InvStd[f], j.Accumulate);
            }
            if (j.BiasGrad != null)
            {
                Finish.Gradient(ref j.BiasGrad[f], j.Sums[f], j.Accumulate);
            }
        }
    }

    /// <summary>
    /// Runs a column-sum pass over the row blocks into Sums and Squares (zeroed first): on one thread block after block
    /// straight into the totals; on several into per-block partials, added to the totals in block order afterwards.
    /// </summary>
    private static void RowSums(ref Job<T, TLayer> j, delegate*<void*, int, void> pass, int degree)
    {
        int features = j.Features;
        new Span<double>(j.Sums, features).Clear();
        new Span<double>(j.Squares, features).Clear();
        if (j.Partials == null)
        {
            ForkJoin.Run(Unsafe.AsPointer(ref j), pass, j.Blocks, 1);
            return;
        }
        new Span<double>(j.Partials, 2 * j.Blocks * features).Clear();
        ForkJoin.Run(Unsafe.AsPointer(ref j), pass, j.Blocks, degree);
        for (int b = 0; b < j.Blocks; b++)
        {
            double* sums = j.Partials + 2L * b * features, squares = sums + features;
            for (int f = 0; f < features; f++)
            {
                j.Sums[f] += sums[f];
                j.Squares[f] += squares[f];
            }
        }
    }

    /// <summary>
    /// Scratch for the row passes: pivots, the two sums, the mean and invStd when the caller has none, per-block partials
    /// when several threads will sum, and <paramref name="coefficientArrays"/> per-feature T arrays.
    /// </summary>
    private static void AllocateRows(ref Job<T, TLayer> j, int coefficientArrays, int degree)
        => Allocate(ref j, coefficientArrays, degree, 0, out _);

    /// <summary>
    /// This call's scratch, carved from the thread's in one piece: pivots and the two sums per feature; the mean and invStd
    /// when the caller gave none; per-block partials for NC and NHWC on several threads; <paramref name="coefficientArrays"/>
    /// per-feature T arrays; then <paramref name="extraDoubles"/> more for the caller (<paramref name="extra"/>).
    /// </summary>
    private static void Allocate(ref Job<T, TLayer> j, int coefficientArrays, int degree, long extraDoubles, out double* extra)
        => Allocate(ref j, coefficientArrays, degree, extraDoubles, out extra, ref Unsafe.NullRef<double[]?>());

    /// <summary>
    /// As above, from <paramref name="owned"/> (the layer's own scratch, grown when too small) instead of the thread's when
    /// it is not a null reference.
    /// </summary>
    private static void Allocate(ref Job<T, TLayer> j, int coefficientArrays, int degree, long extraDoubles, out double* extra,
        ref double[]? owned)
    {
        long features = j.Features;
        bool partials = degree > 1 && j.Blocks > 1;
        bool statistics = j.Mean == null;
        long count = 3 * features + (statistics ? 2 * features : 0) + (partials ? 2L * j.Blocks * features : 0)
            + coefficientArrays * features + extraDoubles;
        double* scratch = Unsafe.IsNullRef(ref owned) ? Scratch.Doubles(count) : Scratch.Doubles(ref owned, count);
        j.Pivots = scratch;
        j.Sums = scratch + features;
        j.Squares = scratch + 2 * features;
        scratch += 3 * features;
        if (statistics)
        {
            j.Mean = scratch;
            j.InvStd = scratch + features;
            scratch += 2 * features;
        }
        if (partials)
        {
            j.Partials = scratch;
            scratch += 2L * j.Blocks * features;
        }
        // T values in double-sized slots: every array stays aligned for its element type.
        T* t = (T*)scratch;
        long step = features * sizeof(double) / sizeof(T);
        if (coefficientArrays >= 3)
        {
            j.Centers = t;
            j.Scales = t + step;
            j.Shifts = t + 2 * step;
        }
        if (coefficientArrays > 3)
        {
            j.TermMean = t + 3 * step;
            j.TermOffset = t + 4 * step;
            j.TermNegK = t + 5 * step;
            j.TermFactor = t + 6 * step;
        }
        extra = scratch + coefficientArrays * features;
    }

    private static Job<T, TLayer> NewJob(TLayer layer, TensorShape shape, int degree)
    {
        _ = degree;
        var job = new Job<T, TLayer>
        {
            Layer = layer,
            Features = layer.Features,
            Batch = shape.Batch,
            N = shape.PerChannel,
        };
        job.RowMajor = shape.RowMajor;
        if (shape.RowMajor)
        {
            job.Rows = (nint)shape.PerChannel;
            job.RowBlock = RowKernels<T, TLayer, Identity>.RowBlock(job.Rows, layer.Features);
            job.Blocks = (int)((job.Rows + job.RowBlock - 1) / job.RowBlock);
        }
        else
        {
            job.Plane = (nint)shape.Plane;
        }
        return job;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Gamma(ref Job<T, TLayer> j, int f) => j.Weight == null ? 1d : Scalar.ToDouble(j.Weight[f]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Beta(ref Job<T, TLayer> j, int f) => j.Bias == null ? 0d : Scalar.ToDouble(j.Bias[f]);

    // ---- Checks: all of them run before anything is written ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckTensor(TLayer layer, TensorShape shape, int length, string name)
    {
        long count = shape.Count(layer.Features);
        if (length != count)
        {
            ThrowHelper.LengthMismatch(name, count, length, shape.Describe(layer.Features));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckPerFeature(TLayer layer, int length, string name)
    {
        if (length != layer.Features)
        {
            ThrowHelper.LengthMismatch(name, layer.Features, length, Features(layer));
        }
    }

    /// <summary>γ and β: exactly Features each on an affine layer; optional (empty or Features) for the runtime kernels.</summary>
    private static void CheckParameters(TLayer layer, int weightLength, int biasLength, bool needBias = true)
    {
        if (layer.OptionalParameters)
        {
            CheckOptional(layer, weightLength, "weight");
            CheckOptional(layer, biasLength, "bias");
        }
        else if (layer.Affine)
        {
            CheckPerFeature(layer, weightLength, "weight");
            if (needBias)
            {
                CheckPerFeature(layer, biasLength, "bias");
            }
        }
    }

    /// <summary>Running statistics: both given (Features each) or, for the runtime kernels, both empty.</summary>
    private static bool CheckRunning(TLayer layer, int meanLength, int varLength)
    {
        if (layer.OptionalParameters)
        {
            if (meanLength == 0 && varLength == 0)
            {
                return false;
            }
        }
        else if (!layer.TrackRunningStats)
        {
            return false;
        }
        CheckPerFeature(layer, meanLength, "runningMean");
        CheckPerFeature(layer, varLength, "runningVar");
        return true;
    }

    /// <summary>Parameter gradients: Features each on an affine layer; for the runtime kernels each empty or Features.</summary>
    private static void CheckGradients(TLayer layer, int weightGradLength, int biasGradLength, out bool weight, out bool bias)
    {
        if (layer.OptionalParameters)
        {
            CheckOptional(layer, weightGradLength, "weightGrad");
            CheckOptional(layer, biasGradLength, "biasGrad");
            weight = weightGradLength != 0;
            bias = biasGradLength != 0;
            return;
        }
        weight = bias = layer.Affine;
        if (layer.Affine)
        {
            CheckPerFeature(layer, weightGradLength, "weightGrad");
            CheckPerFeature(layer, biasGradLength, "biasGrad");
        }
    }

    private static void CheckOptional(TLayer layer, int length, string name)
    {
        if (length != 0 && length != layer.Features)
        {
            ThrowHelper.LengthMismatch(name, layer.Features, length, Features(layer));
        }
    }

    private static void CheckFactor(double exponentialAverageFactor)
    {
        if (!(exponentialAverageFactor >= 0d && exponentialAverageFactor <= 1d))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(exponentialAverageFactor), exponentialAverageFactor, "must be within [0, 1]");
        }
    }

    /// <summary>-1 (all cores) or a positive number of threads; resolved to a thread count.</summary>
    internal static int CheckDegree(int maxDegreeOfParallelism)
    {
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            ThrowHelper.DegreeOfParallelismInvalid(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism);
        }
        return ForkJoin.Resolve(maxDegreeOfParallelism);
    }

    /// <summary>The threads a call of this size gets: small tensors stay on the calling thread.</summary>
    private static int Threads(int degree, TLayer layer, TensorShape shape)
        => degree > 1 && shape.Count(layer.Features) >= ParallelThreshold ? degree : 1;

    private static void CheckBatchStatistics(TLayer layer, TensorShape shape)
    {
        if (shape.PerChannel == 1)
        {
            ThrowHelper.SingleValuePerChannel(shape.Describe(layer.Features));
        }
    }

    private static string Features(TLayer layer) => string.Create(CultureInfo.InvariantCulture, $"[{layer.Features}]");
}
