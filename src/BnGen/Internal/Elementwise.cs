using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>The per-channel coefficients of the training-mode backward: dx = fma(x − Mean, NegK, dy' − Offset) · Factor.</summary>
/// <remarks>
/// With mean the saved mean (double) and m = (T)mean: NegK = −Σdy'·(x − mean) · invStd² / n, Offset = Σdy'/n − (m − mean) ·
/// NegK, Factor = γ · invStd — PyTorch's dx = (dy − mean(dy) − (x − mean) · k) · invStd · γ, with x centred in the pass so
/// that nothing cancels on data far from zero. Scale and Shift are the forward's, for ReLU's gate.
/// </remarks>
internal struct DxTerms<T>
    where T : unmanaged
{
    public T Mean;
    public T Offset;
    public T NegK;
    public T Factor;
    public T Scale;
    public T Shift;
}

/// <summary>
/// The element-wise passes: y = act(fma(x − center, scale, shift)) and the two backward forms, over contiguous values. Each is
/// written once over <see cref="IVec{TSelf, T}"/> and runs on the widest hardware vector, then a scalar tail that rounds
/// exactly like the vector lanes. Input and output may be the same memory.
/// </summary>
internal static class Elementwise
{
    /// <summary>
    /// How every pass below is compiled: fully optimized at its first call (no tier-0 code, no Dynamic PGO
    /// instrumentation), and never inlined. Inlined into a large caller (a channel's whole backward, say), a pass would
    /// share that caller's inlining budget, and once it runs out the vector helpers stay calls inside the loop: the NCHW
    /// double training backward ran 7× slower that way (2.2 ms instead of 0.32 ms) after a refactor that only added an
    /// inlined helper. A pass is called once per channel, run or block of rows, so the call itself costs nothing.
    /// </summary>
    private const MethodImplOptions Pass = MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining;

    /// <summary>y = act(fma(x − center, scale, shift)) over <paramref name="length"/> values.</summary>
    [MethodImpl(Pass)]
    public static void Affine<T, TAct>(ref T x, ref T y, nint length, T center, T scale, T shift)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        nint i = 0;
        if (Vec512<T>.IsHardwareAccelerated)
        {
            i = Affine<T, TAct, Vec512<T>>(ref x, ref y, length, center, scale, shift);
        }
        else if (Vec256<T>.IsHardwareAccelerated)
        {
            i = Affine<T, TAct, Vec256<T>>(ref x, ref y, length, center, scale, shift);
        }
        else if (Vec128<T>.IsHardwareAccelerated)
        {
            i = Affine<T, TAct, Vec128<T>>(ref x, ref y, length, center, scale, shift);
        }
        for (; i < length; i++)
        {
            T z = Exact.Fma(Scalar.Subtract(Unsafe.Add(ref x, i), center), scale, shift);
            Unsafe.Add(ref y, i) = TAct.Relu ? Exact.Relu(z) : z;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nint Affine<T, TAct, TVec>(ref T x, ref T y, nint length, T center, T scale, T shift)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        TVec c = TVec.Broadcast(center), s = TVec.Broadcast(scale), h = TVec.Broadcast(shift);
        nint count = TVec.Count, i = 0;
        for (; i <= length - 2 * count; i += 2 * count)
        {
            TVec z0 = AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref x, i)), c, s, h);
            TVec z1 = AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref x, i + count)), c, s, h);
            TVec.Store(z0, ref Unsafe.Add(ref y, i));
            TVec.Store(z1, ref Unsafe.Add(ref y, i + count));
        }
        if (i <= length - count)
        {
            TVec.Store(AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref x, i)), c, s, h), ref Unsafe.Add(ref y, i));
            i += count;
        }
        return i;
    }

    /// <summary>
    /// y[r, j] = act(fma(x[r, j] − centers[j], scales[j], shifts[j])) over <paramref name="rows"/> rows of
    /// <paramref name="length"/> features.
    /// </summary>
    [MethodImpl(Pass)]
    public static void AffineRows<T, TAct>(ref T x, ref T y, nint rows, nint length, ref T centers, ref T scales, ref T shifts)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Vec512<T>.IsHardwareAccelerated)
        {
            AffineRows<T, TAct, Vec512<T>>(ref x, ref y, rows, length, ref centers, ref scales, ref shifts);
        }
        else if (Vec256<T>.IsHardwareAccelerated)
        {
            AffineRows<T, TAct, Vec256<T>>(ref x, ref y, rows, length, ref centers, ref scales, ref shifts);
        }
        else if (Vec128<T>.IsHardwareAccelerated)
        {
            AffineRows<T, TAct, Vec128<T>>(ref x, ref y, rows, length, ref centers, ref scales, ref shifts);
        }
        else
        {
            AffineRows<T, TAct, Scalar1<T>>(ref x, ref y, rows, length, ref centers, ref scales, ref shifts);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AffineRows<T, TAct, TVec>(ref T x, ref T y, nint rows, nint length, ref T centers, ref T scales,
        ref T shifts)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        nint count = TVec.Count, whole = TVec.Count == 1 ? 0 : length - length % count;
        nint first = CoefficientsInRegisters(rows, length, count) ? Strips(whole, 4 * count) : 0;
        for (nint j = 0; j < first; j += 4 * count)
        {
            // Four vectors of columns, their coefficients held in registers down every row (same operations per value).
            TVec c0 = TVec.Load(ref Unsafe.Add(ref centers, j)), c1 = TVec.Load(ref Unsafe.Add(ref centers, j + count));
            TVec c2 = TVec.Load(ref Unsafe.Add(ref centers, j + 2 * count)), c3 = TVec.Load(ref Unsafe.Add(ref centers, j + 3 * count));
            TVec s0 = TVec.Load(ref Unsafe.Add(ref scales, j)), s1 = TVec.Load(ref Unsafe.Add(ref scales, j + count));
            TVec s2 = TVec.Load(ref Unsafe.Add(ref scales, j + 2 * count)), s3 = TVec.Load(ref Unsafe.Add(ref scales, j + 3 * count));
            TVec h0 = TVec.Load(ref Unsafe.Add(ref shifts, j)), h1 = TVec.Load(ref Unsafe.Add(ref shifts, j + count));
            TVec h2 = TVec.Load(ref Unsafe.Add(ref shifts, j + 2 * count)), h3 = TVec.Load(ref Unsafe.Add(ref shifts, j + 3 * count));
            for (nint r = 0; r < rows; r++)
            {
                ref T xr = ref Unsafe.Add(ref x, r * length + j);
                ref T yr = ref Unsafe.Add(ref y, r * length + j);
                TVec.Store(AffineValue<T, TAct, TVec>(TVec.Load(ref xr), c0, s0, h0), ref yr);
                TVec.Store(AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref xr, count)), c1, s1, h1), ref Unsafe.Add(ref yr, count));
                TVec.Store(AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref xr, 2 * count)), c2, s2, h2),
                    ref Unsafe.Add(ref yr, 2 * count));
                TVec.Store(AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref xr, 3 * count)), c3, s3, h3),
                    ref Unsafe.Add(ref yr, 3 * count));
            }
        }
        for (nint r = 0; r < rows; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * length);
            ref T yr = ref Unsafe.Add(ref y, r * length);
            for (nint i = first; i < whole; i += count)
            {
                TVec.Store(AffineValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref xr, i)), TVec.Load(ref Unsafe.Add(ref centers, i)),
                    TVec.Load(ref Unsafe.Add(ref scales, i)), TVec.Load(ref Unsafe.Add(ref shifts, i))), ref Unsafe.Add(ref yr, i));
            }
            for (nint i = whole; i < length; i++)
            {
                T z = Exact.Fma(Scalar.Subtract(Unsafe.Add(ref xr, i), Unsafe.Add(ref centers, i)), Unsafe.Add(ref scales, i),
                    Unsafe.Add(ref shifts, i));
                Unsafe.Add(ref yr, i) = TAct.Relu ? Exact.Relu(z) : z;
            }
        }
    }

    /// <summary>The training-mode dx of <see cref="DxTerms{T}"/> over <paramref name="length"/> values of one channel.</summary>
    [MethodImpl(Pass)]
    public static void TrainingDx<T, TAct>(ref T x, ref T dy, ref T dx, nint length, in DxTerms<T> k)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        nint i = 0;
        if (Vec512<T>.IsHardwareAccelerated)
        {
            i = TrainingDx<T, TAct, Vec512<T>>(ref x, ref dy, ref dx, length, k);
        }
        else if (Vec256<T>.IsHardwareAccelerated)
        {
            i = TrainingDx<T, TAct, Vec256<T>>(ref x, ref dy, ref dx, length, k);
        }
        else if (Vec128<T>.IsHardwareAccelerated)
        {
            i = TrainingDx<T, TAct, Vec128<T>>(ref x, ref dy, ref dx, length, k);
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref dx, i) = TrainingDx<T, TAct>(Unsafe.Add(ref x, i), Unsafe.Add(ref dy, i),
                k.Mean, k.Offset, k.NegK, k.Factor, k.Scale, k.Shift);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nint TrainingDx<T, TAct, TVec>(ref T x, ref T dy, ref T dx, nint length, in DxTerms<T> k)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        TVec mean = TVec.Broadcast(k.Mean), offset = TVec.Broadcast(k.Offset), negK = TVec.Broadcast(k.NegK);
        TVec factor = TVec.Broadcast(k.Factor), scale = TVec.Broadcast(k.Scale), shift = TVec.Broadcast(k.Shift);
        nint count = TVec.Count, i = 0;
        for (; i <= length - count; i += count)
        {
            TVec.Store(TrainingDxValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref x, i)), TVec.Load(ref Unsafe.Add(ref dy, i)), mean,
                offset, negK, factor, scale, shift), ref Unsafe.Add(ref dx, i));
        }
        return i;
    }

    /// <summary>The training-mode dx over <paramref name="rows"/> rows of <paramref name="length"/> features, per-feature terms.</summary>
    [MethodImpl(Pass)]
    public static void TrainingDxRows<T, TAct>(ref T x, ref T dy, ref T dx, nint rows, nint length, in DxRows<T> k)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Vec512<T>.IsHardwareAccelerated)
        {
            TrainingDxRows<T, TAct, Vec512<T>>(ref x, ref dy, ref dx, rows, length, k);
        }
        else if (Vec256<T>.IsHardwareAccelerated)
        {
            TrainingDxRows<T, TAct, Vec256<T>>(ref x, ref dy, ref dx, rows, length, k);
        }
        else if (Vec128<T>.IsHardwareAccelerated)
        {
            TrainingDxRows<T, TAct, Vec128<T>>(ref x, ref dy, ref dx, rows, length, k);
        }
        else
        {
            TrainingDxRows<T, TAct, Scalar1<T>>(ref x, ref dy, ref dx, rows, length, k);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TrainingDxRows<T, TAct, TVec>(ref T x, ref T dy, ref T dx, nint rows, nint length, in DxRows<T> k)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        // The terms' addresses in locals: read from k inside the loops, they would be loaded again for every vector.
        ref T mean = ref k.Mean, offset = ref k.Offset, negK = ref k.NegK, factor = ref k.Factor;
        ref T scale = ref k.Scale, shift = ref k.Shift;
        nint count = TVec.Count, whole = TVec.Count == 1 ? 0 : length - length % count;
        nint first = CoefficientsInRegisters(rows, length, count) ? Strips(whole, 2 * count) : 0;
        for (nint j = 0; j < first; j += 2 * count)
        {
            // Two vectors of columns, their terms held in registers down every row (same operations per value).
            nint j1 = j + count;
            TVec m0 = TVec.Load(ref Unsafe.Add(ref mean, j)), m1 = TVec.Load(ref Unsafe.Add(ref mean, j1));
            TVec o0 = TVec.Load(ref Unsafe.Add(ref offset, j)), o1 = TVec.Load(ref Unsafe.Add(ref offset, j1));
            TVec n0 = TVec.Load(ref Unsafe.Add(ref negK, j)), n1 = TVec.Load(ref Unsafe.Add(ref negK, j1));
            TVec f0 = TVec.Load(ref Unsafe.Add(ref factor, j)), f1 = TVec.Load(ref Unsafe.Add(ref factor, j1));
            TVec s0 = TAct.Relu ? TVec.Load(ref Unsafe.Add(ref scale, j)) : default;
            TVec s1 = TAct.Relu ? TVec.Load(ref Unsafe.Add(ref scale, j1)) : default;
            TVec h0 = TAct.Relu ? TVec.Load(ref Unsafe.Add(ref shift, j)) : default;
            TVec h1 = TAct.Relu ? TVec.Load(ref Unsafe.Add(ref shift, j1)) : default;
            for (nint r = 0; r < rows; r++)
            {
                nint at = r * length + j, at1 = at + count;
                TVec.Store(TrainingDxValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref x, at)), TVec.Load(ref Unsafe.Add(ref dy, at)),
                    m0, o0, n0, f0, s0, h0), ref Unsafe.Add(ref dx, at));
                TVec.Store(TrainingDxValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref x, at1)), TVec.Load(ref Unsafe.Add(ref dy, at1)),
                    m1, o1, n1, f1, s1, h1), ref Unsafe.Add(ref dx, at1));
            }
        }
        for (nint r = 0; r < rows; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * length);
            ref T dyr = ref Unsafe.Add(ref dy, r * length);
            ref T dxr = ref Unsafe.Add(ref dx, r * length);
            for (nint i = first; i < whole; i += count)
            {
                TVec value = TrainingDxValue<T, TAct, TVec>(TVec.Load(ref Unsafe.Add(ref xr, i)), TVec.Load(ref Unsafe.Add(ref dyr, i)),
                    TVec.Load(ref Unsafe.Add(ref mean, i)), TVec.Load(ref Unsafe.Add(ref offset, i)),
                    TVec.Load(ref Unsafe.Add(ref negK, i)), TVec.Load(ref Unsafe.Add(ref factor, i)),
                    TAct.Relu ? TVec.Load(ref Unsafe.Add(ref scale, i)) : default,
                    TAct.Relu ? TVec.Load(ref Unsafe.Add(ref shift, i)) : default);
                TVec.Store(value, ref Unsafe.Add(ref dxr, i));
            }
            for (nint i = whole; i < length; i++)
            {
                Unsafe.Add(ref dxr, i) = TrainingDx<T, TAct>(Unsafe.Add(ref xr, i), Unsafe.Add(ref dyr, i),
                    Unsafe.Add(ref mean, i), Unsafe.Add(ref offset, i), Unsafe.Add(ref negK, i),
                    Unsafe.Add(ref factor, i), TAct.Relu ? Unsafe.Add(ref scale, i) : default,
                    TAct.Relu ? Unsafe.Add(ref shift, i) : default);
            }
        }
    }

    /// <summary>One vector of y: act(fma(x − center, scale, shift)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec AffineValue<T, TAct, TVec>(TVec x, TVec center, TVec scale, TVec shift)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        TVec z = TVec.Fma(x - center, scale, shift);
        return TAct.Relu ? TVec.Relu(z) : z;
    }

    /// <summary>One vector of the training-mode dx: fma(x − mean, negK, dy' − offset) · factor, dy' gated by ReLU's output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec TrainingDxValue<T, TAct, TVec>(TVec x, TVec dy, TVec mean, TVec offset, TVec negK, TVec factor, TVec scale,
        TVec shift)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        TVec xc = x - mean;
        if (TAct.Relu)
        {
            dy = TVec.PassWherePositive(dy, TVec.Fma(xc, scale, shift));
        }
        return TVec.Fma(xc, negK, dy - offset) * factor;
    }

    /// <summary>dx = dy' · factor over <paramref name="length"/> values (the evaluation-mode backward without sums).</summary>
    [MethodImpl(Pass)]
    public static void EvalDx<T, TAct>(ref T x, ref T dy, ref T dx, nint length, T factor, T center, T scale, T shift)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        nint i = 0;
        if (Vec512<T>.IsHardwareAccelerated)
        {
            i = EvalDx<T, TAct, Vec512<T>>(ref x, ref dy, ref dx, length, factor, center, scale, shift);
        }
        else if (Vec256<T>.IsHardwareAccelerated)
        {
            i = EvalDx<T, TAct, Vec256<T>>(ref x, ref dy, ref dx, length, factor, center, scale, shift);
        }
        else if (Vec128<T>.IsHardwareAccelerated)
        {
            i = EvalDx<T, TAct, Vec128<T>>(ref x, ref dy, ref dx, length, factor, center, scale, shift);
        }
        for (; i < length; i++)
        {
            T g = Unsafe.Add(ref dy, i);
            if (TAct.Relu && RunSums.Gated(Unsafe.Add(ref x, i), center, scale, shift))
            {
                g = default;
            }
            Unsafe.Add(ref dx, i) = Scalar.Multiply(g, factor);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static nint EvalDx<T, TAct, TVec>(ref T x, ref T dy, ref T dx, nint length, T factor, T center, T scale, T shift)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        TVec f = TVec.Broadcast(factor), c = TVec.Broadcast(center), s = TVec.Broadcast(scale), h = TVec.Broadcast(shift);
        nint count = TVec.Count, i = 0;
        for (; i <= length - count; i += count)
        {
            TVec g = TVec.Load(ref Unsafe.Add(ref dy, i));
            if (TAct.Relu)
            {
                g = TVec.PassWherePositive(g, TVec.Fma(TVec.Load(ref Unsafe.Add(ref x, i)) - c, s, h));
            }
            TVec.Store(g * f, ref Unsafe.Add(ref dx, i));
        }
        return i;
    }

    /// <summary>dx[r, j] = dy'[r, j] · factors[j] over <paramref name="rows"/> rows of <paramref name="length"/> features.</summary>
    [MethodImpl(Pass)]
    public static void EvalDxRows<T, TAct>(ref T x, ref T dy, ref T dx, nint rows, nint length, ref T factors, ref T centers,
        ref T scales, ref T shifts)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Vec512<T>.IsHardwareAccelerated)
        {
            EvalDxRows<T, TAct, Vec512<T>>(ref x, ref dy, ref dx, rows, length, ref factors, ref centers, ref scales, ref shifts);
        }
        else if (Vec256<T>.IsHardwareAccelerated)
        {
            EvalDxRows<T, TAct, Vec256<T>>(ref x, ref dy, ref dx, rows, length, ref factors, ref centers, ref scales, ref shifts);
        }
        else if (Vec128<T>.IsHardwareAccelerated)
        {
            EvalDxRows<T, TAct, Vec128<T>>(ref x, ref dy, ref dx, rows, length, ref factors, ref centers, ref scales, ref shifts);
        }
        else
        {
            EvalDxRows<T, TAct, Scalar1<T>>(ref x, ref dy, ref dx, rows, length, ref factors, ref centers, ref scales, ref shifts);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EvalDxRows<T, TAct, TVec>(ref T x, ref T dy, ref T dx, nint rows, nint length, ref T factors,
        ref T centers, ref T scales, ref T shifts)
        where T : unmanaged
        where TAct : struct, IActivation
        where TVec : struct, IVec<TVec, T>
    {
        nint count = TVec.Count, whole = TVec.Count == 1 ? 0 : length - length % count;
        for (nint r = 0; r < rows; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * length);
            ref T dyr = ref Unsafe.Add(ref dy, r * length);
            ref T dxr = ref Unsafe.Add(ref dx, r * length);
            for (nint i = 0; i < whole; i += count)
            {
                TVec g = TVec.Load(ref Unsafe.Add(ref dyr, i));
                if (TAct.Relu)
                {
                    TVec xc = TVec.Load(ref Unsafe.Add(ref xr, i)) - TVec.Load(ref Unsafe.Add(ref centers, i));
                    TVec z = TVec.Fma(xc, TVec.Load(ref Unsafe.Add(ref scales, i)), TVec.Load(ref Unsafe.Add(ref shifts, i)));
                    g = TVec.PassWherePositive(g, z);
                }
                TVec.Store(g * TVec.Load(ref Unsafe.Add(ref factors, i)), ref Unsafe.Add(ref dxr, i));
            }
            for (nint i = whole; i < length; i++)
            {
                T g = Unsafe.Add(ref dyr, i);
                if (TAct.Relu && RunSums.Gated(Unsafe.Add(ref xr, i), Unsafe.Add(ref centers, i), Unsafe.Add(ref scales, i),
                    Unsafe.Add(ref shifts, i)))
                {
                    g = default;
                }
                Unsafe.Add(ref dxr, i) = Scalar.Multiply(g, Unsafe.Add(ref factors, i));
            }
        }
    }

    /// <summary>
    /// Whether the row passes should walk strips of columns with their per-feature coefficients in registers: only on
    /// tensors small enough to stay in L1 (there the coefficient loads, several per vector of values, are the bound),
    /// with more than one row to reuse them. Larger tensors stream row by row, as memory prefers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool CoefficientsInRegisters(nint rows, nint length, nint count)
        => count > 1 && rows > 1 && rows * length <= StripValues;

    /// <summary>Values (of either type) up to which <see cref="CoefficientsInRegisters"/> holds: 32 KiB of floats.</summary>
    private const int StripValues = 8192;

    /// <summary>The columns that whole strips of <paramref name="strip"/> values cover, out of <paramref name="whole"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Strips(nint whole, nint strip) => whole - whole % strip;

    /// <summary>The scalar training-mode dx, rounding exactly like a vector lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TrainingDx<T, TAct>(T x, T dy, T mean, T offset, T negK, T factor, T scale, T shift)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        T xc = Scalar.Subtract(x, mean);
        if (TAct.Relu && RunSums.GatedCentered(xc, scale, shift))
        {
            dy = default;
        }
        return Scalar.Multiply(Exact.Fma(xc, negK, Scalar.Subtract(dy, offset)), factor);
    }
}

/// <summary>Per-feature <see cref="DxTerms{T}"/> for a row: references to the first feature's value of each term.</summary>
internal ref struct DxRows<T>
    where T : unmanaged
{
    public ref T Mean;
    public ref T Offset;
    public ref T NegK;
    public ref T Factor;
    public ref T Scale;
    public ref T Shift;
}
