using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BnGen.Internal;

/// <summary>
/// <see cref="Finish"/> for every feature of a row-layout call at once: four features per <see cref="Vector256{T}"/>
/// where the machine has it, the rest (and every feature elsewhere) with the scalar forms. Each vector operation is the
/// scalar operation lane by lane, in the same order, so both give the same bits.
/// </summary>
internal static unsafe class FinishRows
{
    /// <summary>Mean and M2 per feature from the shifted sums (M2 into <paramref name="m2"/>); whether any needs the exact pass.</summary>
    public static bool Moments<T>(int features, double* pivots, double* sums, double* squares, double n, double* mean, double* m2)
        where T : unmanaged
    {
        int f = 0;
        bool anyExact = false;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> vn = Vector256.Create(n), limit = Vector256.Create(Finish.CancellationLimit<T>());
            Vector256<double> exact = Vector256<double>.Zero;
            for (; f <= features - 4; f += 4)
            {
                Vector256<double> sum = Vector256.Load(sums + f), sq = Vector256.Load(squares + f);
                Vector256.Store(Vector256.Load(pivots + f) + sum / vn, mean + f);
                Vector256<double> moment = sq - sum * (sum / vn);
                Vector256.Store(moment, m2 + f);
                exact |= Vector256.GreaterThan(sq, limit * moment);
            }
            anyExact = exact != Vector256<double>.Zero;
        }
        for (; f < features; f++)
        {
            Finish.Moments<T>(pivots[f], sums[f], squares[f], n, out mean[f], out m2[f], out bool exact);
            anyExact |= exact;
        }
        return anyExact;
    }

    /// <summary>
    /// From mean and M2 (in <paramref name="invStd"/> on entry): invStd, the running update when <paramref name="runningMean"/>
    /// is given, and y's scale and shift.
    /// </summary>
    public static void Training<T>(int features, double* mean, double* invStd, double n, double epsilon, T* weight, T* bias,
        T* runningMean, T* runningVar, double factor, T* centers, T* scales, T* shifts)
        where T : unmanaged
    {
        int f = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> vn = Vector256.Create(n), eps = Vector256.Create(epsilon), one = Vector256.Create(1d);
            Vector256<double> take = Vector256.Create(factor), keep = Vector256.Create(1d - factor), unbiased = Vector256.Create(n - 1d);
            for (; f <= features - 4; f += 4)
            {
                Vector256<double> mu = Vector256.Load(mean + f), m2 = Vector256.Load(invStd + f);
                Vector256<double> inv = one / Vector256.Sqrt(m2 / vn + eps);
                Vector256.Store(inv, invStd + f);
                if (runningMean != null)
                {
                    Store(take * mu + keep * Load(runningMean + f), runningMean + f);
                    Store(take * (m2 / unbiased) + keep * Load(runningVar + f), runningVar + f);
                }
                Affine(weight, bias, f, mu, inv, centers, scales, shifts);
            }
        }
        for (; f < features; f++)
        {
            double m2 = invStd[f];
            double inv = Finish.InvStd(m2, n, epsilon);
            invStd[f] = inv;
            if (runningMean != null)
            {
                Finish.Running(ref runningMean[f], ref runningVar[f], mean[f], m2, n, factor);
            }
            Finish.Affine(Gamma(weight, f), Beta(bias, f), mean[f], inv, out centers[f], out scales[f], out shifts[f]);
        }
    }

    /// <summary>
    /// Evaluation mode: invStd = 1 / sqrt(runningVar + ε), y's scale and shift, and (when <paramref name="mean"/> is given)
    /// the running mean and invStd in double for the backward.
    /// </summary>
    public static void Evaluation<T>(int features, T* runningMean, T* runningVar, double epsilon, T* weight, T* bias, T* centers,
        T* scales, T* shifts, double* mean, double* invStd)
        where T : unmanaged
    {
        int f = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> eps = Vector256.Create(epsilon), one = Vector256.Create(1d);
            for (; f <= features - 4; f += 4)
            {
                Vector256<double> mu = Load(runningMean + f);
                Vector256<double> inv = one / Vector256.Sqrt(Load(runningVar + f) + eps);
                if (mean != null)
                {
                    Vector256.Store(mu, mean + f);
                    Vector256.Store(inv, invStd + f);
                }
                Affine(weight, bias, f, mu, inv, centers, scales, shifts);
            }
        }
        for (; f < features; f++)
        {
            double mu = Scalar.ToDouble(runningMean[f]);
            double inv = Finish.InvStd(runningVar[f], epsilon);
            if (mean != null)
            {
                mean[f] = mu;
                invStd[f] = inv;
            }
            Finish.Affine(Gamma(weight, f), Beta(bias, f), mu, inv, out centers[f], out scales[f], out shifts[f]);
        }
    }

    /// <summary>y's scale and shift from the saved statistics (ReLU's gate in the backward).</summary>
    public static void Affine<T>(int features, double* mean, double* invStd, T* weight, T* bias, T* centers, T* scales, T* shifts)
        where T : unmanaged
    {
        int f = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; f <= features - 4; f += 4)
            {
                Affine(weight, bias, f, Vector256.Load(mean + f), Vector256.Load(invStd + f), centers, scales, shifts);
            }
        }
        for (; f < features; f++)
        {
            Finish.Affine(Gamma(weight, f), Beta(bias, f), mean[f], invStd[f], out centers[f], out scales[f], out shifts[f]);
        }
    }

    /// <summary>
    /// The training backward's parameter gradients and dx terms (<see cref="Finish.TrainingGradient{T}"/>) from Σ dy' and
    /// Σ dy' · (x − mean).
    /// </summary>
    public static void Backward<T>(int features, double* sumDy, double* sumDyXc, double* mean, double* invStd, double n, T* weight,
        T* weightGrad, T* biasGrad, bool accumulate, T* termMean, T* termOffset, T* termNegK, T* termFactor)
        where T : unmanaged
    {
        int f = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> vn = Vector256.Create(n);
            for (; f <= features - 4; f += 4)
            {
                Vector256<double> sdy = Vector256.Load(sumDy + f), sxc = Vector256.Load(sumDyXc + f);
                Vector256<double> mu = Vector256.Load(mean + f), inv = Vector256.Load(invStd + f);
                if (weightGrad != null)
                {
                    Gradient(sxc * inv, weightGrad + f, accumulate);
                }
                if (biasGrad != null)
                {
                    Gradient(sdy, biasGrad + f, accumulate);
                }
                Vector256<double> k = sxc * inv * inv / vn;
                Vector256<double> meanT = Store(mu, termMean + f);
                Store(-k, termNegK + f);
                Store(sdy / vn + (meanT - mu) * k, termOffset + f);
                Store(GammaV(weight, f) * inv, termFactor + f);
            }
        }
        for (; f < features; f++)
        {
            if (weightGrad != null)
            {
                Finish.Gradient(ref weightGrad[f], sumDyXc[f] * invStd[f], accumulate);
            }
            if (biasGrad != null)
            {
                Finish.Gradient(ref biasGrad[f], sumDy[f], accumulate);
            }
            DxTerms<T> terms = default;
            Finish.TrainingGradient(Gamma(weight, f), mean[f], invStd[f], sumDy[f], sumDyXc[f], n, ref terms);
            termMean[f] = terms.Mean;
            termOffset[f] = terms.Offset;
            termNegK[f] = terms.NegK;
            termFactor[f] = terms.Factor;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Affine<T>(T* weight, T* bias, int f, Vector256<double> mean, Vector256<double> invStd, T* centers, T* scales,
        T* shifts)
        where T : unmanaged
    {
        Vector256<double> center = Store(mean, centers + f);
        Vector256<double> scale = Store(GammaV(weight, f) * invStd, scales + f);
        Store(BetaV(bias, f) - (mean - center) * scale, shifts + f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gradient<T>(Vector256<double> value, T* destination, bool accumulate)
        where T : unmanaged
    {
        if (!accumulate)
        {
            Store(value, destination);
            return;
        }
        // PyTorch's .grad += in T: round the new gradient, then add in T.
        if (typeof(T) == typeof(float))
        {
            Vector128<float> rounded = Vector256.Narrow(value, value).GetLower();
            (Vector128.Load((float*)destination) + rounded).Store((float*)destination);
            return;
        }
        (Vector256.Load((double*)destination) + value).Store((double*)destination);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> GammaV<T>(T* weight, int f)
        where T : unmanaged
        => weight == null ? Vector256.Create(1d) : Load(weight + f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> BetaV<T>(T* bias, int f)
        where T : unmanaged
        => bias == null ? Vector256<double>.Zero : Load(bias + f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Gamma<T>(T* weight, int f)
        where T : unmanaged
        => weight == null ? 1d : Scalar.ToDouble(weight[f]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Beta<T>(T* bias, int f)
        where T : unmanaged
        => bias == null ? 0d : Scalar.ToDouble(bias[f]);

    /// <summary>Four T values, exactly, as doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Load<T>(T* source)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Vector256.WidenLower(Vector128.Load((float*)source).ToVector256Unsafe())
            : Vector256.Load((double*)source);

    /// <summary>Rounds four doubles to T (to nearest, as the scalar cast), stores them, and returns the rounded values as doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Store<T>(Vector256<double> value, T* destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector128<float> rounded = Vector256.Narrow(value, value).GetLower();
            rounded.Store((float*)destination);
            return Vector256.WidenLower(rounded.ToVector256Unsafe());
        }
        value.Store((double*)destination);
        return value;
    }
}
