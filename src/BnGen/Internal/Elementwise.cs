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
    /// <summary>y = act(fma(x − center, scale, shift)) over <paramref name="length"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            TVec z0 = TVec.Fma(TVec.Load(ref Unsafe.Add(ref x, i)) - c, s, h);
            TVec z1 = TVec.Fma(TVec.Load(ref Unsafe.Add(ref x, i + count)) - c, s, h);
            TVec.Store(TAct.Relu ? TVec.Relu(z0) : z0, ref Unsafe.Add(ref y, i));
            TVec.Store(TAct.Relu ? TVec.Relu(z1) : z1, ref Unsafe.Add(ref y, i + count));
        }
        if (i <= length - count)
        {
            TVec z = TVec.Fma(TVec.Load(ref Unsafe.Add(ref x, i)) - c, s, h);
            TVec.Store(TAct.Relu ? TVec.Relu(z) : z, ref Unsafe.Add(ref y, i));
            i += count;
        }
        return i;
    }

    /// <summary>
    /// y[r, j] = act(fma(x[r, j] − centers[j], scales[j], shifts[j])) over <paramref name="rows"/> rows of
    /// <paramref name="length"/> features.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        for (nint r = 0; r < rows; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * length);
            ref T yr = ref Unsafe.Add(ref y, r * length);
            for (nint i = 0; i < whole; i += count)
            {
                TVec xc = TVec.Load(ref Unsafe.Add(ref xr, i)) - TVec.Load(ref Unsafe.Add(ref centers, i));
                TVec z = TVec.Fma(xc, TVec.Load(ref Unsafe.Add(ref scales, i)), TVec.Load(ref Unsafe.Add(ref shifts, i)));
                TVec.Store(TAct.Relu ? TVec.Relu(z) : z, ref Unsafe.Add(ref yr, i));
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            TVec xc = TVec.Load(ref Unsafe.Add(ref x, i)) - mean;
            TVec g = TVec.Load(ref Unsafe.Add(ref dy, i));
            if (TAct.Relu)
            {
                g = TVec.PassWherePositive(g, TVec.Fma(xc, scale, shift));
            }
            TVec.Store(TVec.Fma(xc, negK, g - offset) * factor, ref Unsafe.Add(ref dx, i));
        }
        return i;
    }

    /// <summary>The training-mode dx over <paramref name="rows"/> rows of <paramref name="length"/> features, per-feature terms.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        nint count = TVec.Count, whole = TVec.Count == 1 ? 0 : length - length % count;
        for (nint r = 0; r < rows; r++)
        {
            ref T xr = ref Unsafe.Add(ref x, r * length);
            ref T dyr = ref Unsafe.Add(ref dy, r * length);
            ref T dxr = ref Unsafe.Add(ref dx, r * length);
            for (nint i = 0; i < whole; i += count)
            {
                TVec xc = TVec.Load(ref Unsafe.Add(ref xr, i)) - TVec.Load(ref Unsafe.Add(ref k.Mean, i));
                TVec g = TVec.Load(ref Unsafe.Add(ref dyr, i));
                if (TAct.Relu)
                {
                    g = TVec.PassWherePositive(g, TVec.Fma(xc, TVec.Load(ref Unsafe.Add(ref k.Scale, i)), TVec.Load(ref Unsafe.Add(ref k.Shift, i))));
                }
                TVec u = TVec.Fma(xc, TVec.Load(ref Unsafe.Add(ref k.NegK, i)), g - TVec.Load(ref Unsafe.Add(ref k.Offset, i)));
                TVec.Store(u * TVec.Load(ref Unsafe.Add(ref k.Factor, i)), ref Unsafe.Add(ref dxr, i));
            }
            for (nint i = whole; i < length; i++)
            {
                Unsafe.Add(ref dxr, i) = TrainingDx<T, TAct>(Unsafe.Add(ref xr, i), Unsafe.Add(ref dyr, i),
                    Unsafe.Add(ref k.Mean, i), Unsafe.Add(ref k.Offset, i), Unsafe.Add(ref k.NegK, i),
                    Unsafe.Add(ref k.Factor, i), TAct.Relu ? Unsafe.Add(ref k.Scale, i) : default,
                    TAct.Relu ? Unsafe.Add(ref k.Shift, i) : default);
            }
        }
    }

    /// <summary>dx = dy' · factor over <paramref name="length"/> values (the evaluation-mode backward without sums).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
