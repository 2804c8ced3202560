using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// The NCHW and NCL passes, one part per channel: a channel's values are <c>batch</c> runs of <c>plane</c> contiguous
/// values, run n at <c>(n · Features + c) · plane</c>. Channels are independent, so any number of threads may run the
/// parts in any order with the same result.
/// </summary>
internal static unsafe class ChannelKernels<T, TLayer, TAct>
    where T : unmanaged
    where TLayer : unmanaged, ILayerConstants
    where TAct : struct, IActivation
{
    /// <summary>
    /// Training forward of channel <paramref name="c"/>: shifted sums, the exact second pass if they cancel, the finish,
    /// then y = act((x − center) · scale + shift) while the channel's values are still in cache.
    /// </summary>
    public static void ForwardTraining(void* job, int c)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        nint offset = c * j.Plane;
        double pivot = Scalar.ToDouble(j.X[offset]);
        Sums(ref j, c, pivot, out double sum, out double squares);
        Finish.Moments<T>(pivot, sum, squares, j.N, out double mean, out double m2, out bool exact);
        if (exact)
        {
            Sums(ref j, c, mean, out double exactSum, out double exactSquares);
            m2 = Finish.ExactM2(ref mean, exactSum, exactSquares, j.N);
        }
        double invStd = Finish.InvStd(m2, j.N, j.Layer.Epsilon);
        j.Mean[c] = mean;
        j.InvStd[c] = invStd;
        if (j.RunningMean != null)
        {
            Finish.Running(ref j.RunningMean[c], ref j.RunningVar[c], mean, m2, j.N, j.Factor);
        }
        Normalize(ref j, c);
    }

    /// <summary>The sums of channel <paramref name="c"/> about its pivot in <c>Pivots</c>, into <c>Sums</c> and <c>Squares</c>.</summary>
    public static void SumsPart(void* job, int c)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Sums(ref j, c, j.Pivots[c], out j.Sums[c], out j.Squares[c]);
    }

    /// <summary>y = act((x − center) · scale + shift) for channel <paramref name="c"/> with its final Mean and InvStd.</summary>
    public static void NormalizePart(void* job, int c)
        => Normalize(ref Unsafe.AsRef<Job<T, TLayer>>(job), c);

    /// <summary>Evaluation forward of sample <paramref name="n"/>, in address order, with the coefficients in Centers, Scales and Shifts.</summary>
    public static void ForwardInference(void* job, int n)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        int features = j.Layer.Features;
        nint plane = j.Plane;
        for (int c = 0; c < features; c++)
        {
            nint offset = ((nint)n * features + c) * plane;
            Elementwise.Affine<T, TAct>(ref j.X[offset], ref j.Y[offset], plane, j.Centers[c], j.Scales[c], j.Shifts[c]);
        }
    }

    /// <summary>Training backward of channel <paramref name="c"/>: the two sums, the parameter gradients, then dx.</summary>
    public static void BackwardTraining(void* job, int c)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        GradientSums(ref j, c, out double sumDy, out double sumDyXc);
        TrainingDx(ref j, c, sumDy, sumDyXc);
    }

    /// <summary>Σ dy' and Σ dy' · (x − mean) of channel <paramref name="c"/> into Sums and Squares.</summary>
    public static void GradientSumsPart(void* job, int c)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        GradientSums(ref j, c, out j.Sums[c], out j.Squares[c]);
    }

    /// <summary>The parameter gradients and dx of channel <paramref name="c"/> from its final sums in Sums and Squares.</summary>
    public static void TrainingDxPart(void* job, int c)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        TrainingDx(ref j, c, j.Sums[c], j.Squares[c]);
    }

    /// <summary>
    /// Evaluation backward of channel <paramref name="c"/>: dx = dy' · γ · invStd with the running statistics, and, when
    /// parameter gradients are wanted, their sums in the same pass.
    /// </summary>
    public static void BackwardInference(void* job, int c)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        double mean = Scalar.ToDouble(j.RunningMean[c]);
        double invStd = Finish.InvStd(j.RunningVar[c], j.Layer.Epsilon);
        Finish.Affine(Gamma(ref j, c), Beta(ref j, c), mean, invStd, out T center, out T scale, out T shift);
        nint plane = j.Plane, offset = c * plane, stride = j.Layer.Features * plane;
        if (j.WeightGrad != null || j.BiasGrad != null)
        {
            RunSums.Gradients<T, TAct>(ref j.X[offset], ref j.Dy[offset], ref j.Dx[offset], j.Batch, plane, stride, offset,
                mean, scale, shift, scale, out double sumDy, out double sumDyXc);
            if (j.WeightGrad != null)
            {
                Finish.Gradient(ref j.WeightGrad[c], sumDyXc * invStd, j.Accumulate);
            }
            if (j.BiasGrad != null)
            {
                Finish.Gradient(ref j.BiasGrad[c], sumDy, j.Accumulate);
            }
            return;
        }
        for (int n = 0; n < j.Batch; n++)
        {
            nint at = offset + n * stride;
            Elementwise.EvalDx<T, TAct>(ref j.X[at], ref j.Dy[at], ref j.Dx[at], plane, scale, center, scale, shift);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sums(ref Job<T, TLayer> j, int c, double pivot, out double sum, out double squares)
    {
        nint plane = j.Plane, offset = c * plane;
        RunSums.Statistics(ref j.X[offset], j.Batch, plane, j.Layer.Features * plane, offset, pivot, out sum, out squares);
    }

    private static void Normalize(ref Job<T, TLayer> j, int c)
    {
        Finish.Affine(Gamma(ref j, c), Beta(ref j, c), j.Mean[c], j.InvStd[c], out T center, out T scale, out T shift);
        nint plane = j.Plane, offset = c * plane, stride = j.Layer.Features * plane;
        for (int n = 0; n < j.Batch; n++)
        {
            nint at = offset + n * stride;
            Elementwise.Affine<T, TAct>(ref j.X[at], ref j.Y[at], plane, center, scale, shift);
        }
    }

    private static void GradientSums(ref Job<T, TLayer> j, int c, out double sumDy, out double sumDyXc)
    {
        Finish.Affine(Gamma(ref j, c), Beta(ref j, c), j.Mean[c], j.InvStd[c], out _, out T scale, out T shift);
        nint plane = j.Plane, offset = c * plane;
        RunSums.Gradients<T, TAct>(ref j.X[offset], ref j.Dy[offset], ref Unsafe.NullRef<T>(), j.Batch, plane,
            j.Layer.Features * plane, offset, j.Mean[c], scale, shift, default, out sumDy, out sumDyXc);
    }

    private static void TrainingDx(ref Job<T, TLayer> j, int c, double sumDy, double sumDyXc)
    {
        double mean = j.Mean[c], invStd = j.InvStd[c], gamma = Gamma(ref j, c);
        if (j.WeightGrad != null)
        {
            Finish.Gradient(ref j.WeightGrad[c], sumDyXc * invStd, j.Accumulate);
        }
        if (j.BiasGrad != null)
        {
            Finish.Gradient(ref j.BiasGrad[c], sumDy, j.Accumulate);
        }
        DxTerms<T> terms = default;
        Finish.Affine(gamma, Beta(ref j, c), mean, invStd, out _, out terms.Scale, out terms.Shift);
        Finish.TrainingGradient(gamma, mean, invStd, sumDy, sumDyXc, j.N, ref terms);
        nint plane = j.Plane, offset = c * plane, stride = j.Layer.Features * plane;
        for (int n = 0; n < j.Batch; n++)
        {
            nint at = offset + n * stride;
            Elementwise.TrainingDx<T, TAct>(ref j.X[at], ref j.Dy[at], ref j.Dx[at], plane, terms);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Gamma(ref Job<T, TLayer> j, int c) => j.Weight == null ? 1d : Scalar.ToDouble(j.Weight[c]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Beta(ref Job<T, TLayer> j, int c) => j.Bias == null ? 0d : Scalar.ToDouble(j.Bias[c]);
}
