using System;
using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// The per-feature arithmetic between the passes, in double, written once for every layout: moments from shifted sums,
/// invStd, PyTorch's running update, and the T-domain coefficients the passes use.
/// </summary>
internal static class Finish
{
    /// <summary>
    /// How far the one-pass shifted sums may cancel before the exact second pass runs. Float layers: Σ(x − pivot)² larger
    /// than 2^10 times Σ(x − mean)² would lose more than 10 of double's 53 bits, still 19 more than float needs. Double
    /// layers have no bits to spare (PyTorch's float64 kernel is two-pass): they always take the second pass, except where
    /// every value equals the pivot (Σ(x − pivot)² = 0, nothing to cancel).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double CancellationLimit<T>()
        where T : unmanaged
        => typeof(T) == typeof(float) ? 1024d : 0d;

    /// <summary>
    /// The mean and Σ (x − mean)² from Σ d and Σ d² with d = x − pivot; <paramref name="exact"/> asks for the second pass
    /// when the subtraction cancels (NaN never does: it propagates).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Moments<T>(double pivot, double sum, double squares, double n, out double mean, out double m2, out bool exact)
        where T : unmanaged
    {
        mean = pivot + sum / n;
        m2 = squares - sum * (sum / n);
        exact = squares > CancellationLimit<T>() * m2;
    }

    /// <summary>
    /// The exact second pass's result from its Σ (x − mean) and Σ (x − mean)² about the first pass's mean: Σ (x − mean)²
    /// in the corrected two-pass form, and the mean corrected by the mean residual (the first pass's mean carries the
    /// rounding of every x − pivot; the residual removes it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ExactM2(ref double mean, double sum, double squares, double n)
    {
        mean += sum / n;
        return squares - sum * (sum / n);
    }

    /// <summary>1 / sqrt(m2 / n + ε): PyTorch's invstd of the biased variance.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double InvStd(double m2, double n, double epsilon) => 1d / Math.Sqrt(m2 / n + epsilon);

    /// <summary>1 / sqrt(var + ε) of a running variance.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double InvStd<T>(T variance, double epsilon)
        where T : unmanaged
        => 1d / Math.Sqrt(Scalar.ToDouble(variance) + epsilon);

    /// <summary>PyTorch: running = factor · batch statistic + (1 − factor) · running, the variance unbiased (m2 / (n − 1)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Running<T>(ref T runningMean, ref T runningVar, double mean, double m2, double n, double factor)
        where T : unmanaged
    {
        double keep = 1d - factor;
        runningMean = Scalar.FromDouble<T>(factor * mean + keep * Scalar.ToDouble(runningMean));
        runningVar = Scalar.FromDouble<T>(factor * (m2 / (n - 1d)) + keep * Scalar.ToDouble(runningVar));
    }

    /// <summary>
    /// y = (x − center) · scale + shift in <typeparamref name="T"/>, x centred in the pass so that nothing cancels on data far
    /// from zero: center = mean rounded to T, scale = γ · invStd rounded once, and shift = β − (mean − center) · scale (the
    /// rounding of the mean moved into the shift, with the rounded scale) rounded once. In evaluation mode the mean is the
    /// running mean, already a T, so the shift is β itself (−0 included).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Affine<T>(double gamma, double beta, double mean, double invStd, out T center, out T scale, out T shift)
        where T : unmanaged
    {
        center = Scalar.FromDouble<T>(mean);
        scale = Scalar.FromDouble<T>(gamma * invStd);
        shift = Scalar.FromDouble<T>(beta - (mean - Scalar.ToDouble(center)) * Scalar.ToDouble(scale));
    }

    /// <summary>
    /// The training backward's per-channel terms (<see cref="DxTerms{T}"/>) from Σ dy' and Σ dy' · (x − mean), and the
    /// parameter gradients Σ dy' · x̂ = Σ dy' · (x − mean) · invStd and Σ dy'.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TrainingGradient<T>(double gamma, double mean, double invStd, double sumDy, double sumDyXc, double n,
        ref DxTerms<T> terms)
        where T : unmanaged
    {
        double k = sumDyXc * invStd * invStd / n;
        T meanT = Scalar.FromDouble<T>(mean);
        terms.Mean = meanT;
        terms.NegK = Scalar.FromDouble<T>(-k);
        // x − mean = (x − m) + (m − mean) with m the rounded mean: the second part moves into the offset.
        terms.Offset = Scalar.FromDouble<T>(sumDy / n + (Scalar.ToDouble(meanT) - mean) * k);
        terms.Factor = Scalar.FromDouble<T>(gamma * invStd);
    }

    /// <summary>Writes a parameter gradient, or adds it in <typeparamref name="T"/> as PyTorch's <c>.grad +=</c> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Gradient<T>(ref T destination, double value, bool accumulate)
        where T : unmanaged
    {
        T rounded = Scalar.FromDouble<T>(value);
        destination = accumulate ? Scalar.Add(destination, rounded) : rounded;
    }
}
