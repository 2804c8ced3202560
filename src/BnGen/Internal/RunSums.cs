using System;
using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>Whether a pass applies ReLU (a type argument, so that the JIT compiles each case without a branch).</summary>
internal interface IActivation
{
    static abstract bool Relu { get; }
}

/// <summary>No activation.</summary>
internal struct Identity : IActivation
{
    public static bool Relu => false;
}

/// <summary>ReLU after the normalization.</summary>
internal struct ReluActivation : IActivation
{
    public static bool Relu => true;
}

/// <summary>
/// Per-channel sums over a channel's runs (NCHW, NCL: <c>runs</c> runs of <c>length</c> contiguous values, run r at
/// <c>x + r · stride</c>), in BnGen's fixed order: sixteen logical lanes (<see cref="ILanes{TSelf}"/>), whole 16-value
/// chunks of each run to lanes 0–15 in order, a run's last <c>length mod 16</c> values to the last lanes (the overlapping
/// chunk ending at the run's end, with the lanes already counted masked to +0), then the fixed halving tree. The order
/// depends on the shape only: never on the vector width, the thread count or the buffers' addresses.
/// </summary>
internal static class RunSums
{
    /// <summary>
    /// Σ (x − pivot) and Σ (x − pivot)² over the runs. <paramref name="before"/> is the number of tensor values before
    /// <paramref name="x"/>: a run shorter than 16 loads its chunk from there when it can.
    /// </summary>
    public static void Statistics<T>(ref T x, int runs, nint length, nint stride, nint before, double pivot,
        out double sum, out double squares)
        where T : unmanaged
    {
        if (Lanes512.IsHardwareAccelerated)
        {
            Statistics<T, Lanes512>(ref x, runs, length, stride, before, pivot, out sum, out squares);
        }
        else if (Lanes256.IsHardwareAccelerated)
        {
            Statistics<T, Lanes256>(ref x, runs, length, stride, before, pivot, out sum, out squares);
        }
        else
        {
            Statistics<T, Lanes128>(ref x, runs, length, stride, before, pivot, out sum, out squares);
        }
    }

    /// <summary>
    /// Σ dy' and Σ dy' · (x − mean) over the runs, dy' being dy gated by ReLU (when <typeparamref name="TAct"/> says so)
    /// with the forward pass's <paramref name="scale"/> and <paramref name="shift"/>.
    /// </summary>
    public static void Gradients<T, TAct>(ref T x, ref T dy, int runs, nint length, nint stride, nint before, double mean,
        T scale, T shift, out double sumDy, out double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Lanes512.IsHardwareAccelerated)
        {
            Gradients<T, TAct, Lanes512>(ref x, ref dy, runs, length, stride, before, mean, scale, shift, out sumDy, out sumDyXc);
        }
        else if (Lanes256.IsHardwareAccelerated)
        {
            Gradients<T, TAct, Lanes256>(ref x, ref dy, runs, length, stride, before, mean, scale, shift, out sumDy, out sumDyXc);
        }
        else
        {
            Gradients<T, TAct, Lanes128>(ref x, ref dy, runs, length, stride, before, mean, scale, shift, out sumDy, out sumDyXc);
        }
    }

    /// <summary>
    /// The evaluation-mode backward of a channel in one pass: dx = dy' · factor, and the sums of <see cref="Gradients{T, TAct}"/>.
    /// <paramref name="dx"/> may be the same memory as <paramref name="dy"/>.
    /// </summary>
    public static void EvalGradients<T, TAct>(ref T x, ref T dy, ref T dx, int runs, nint length, nint stride, nint before,
        double mean, T scale, T shift, T factor, out double sumDy, out double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Lanes512.IsHardwareAccelerated)
        {
            EvalGradients<T, TAct, Lanes512>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
        }
        else if (Lanes256.IsHardwareAccelerated)
        {
            EvalGradients<T, TAct, Lanes256>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
        }
        else
        {
            EvalGradients<T, TAct, Lanes128>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
        }
    }

    internal static void Statistics<T, TLanes>(ref T x, int runs, nint length, nint stride, nint before, double pivot,
        out double sum, out double squares)
        where T : unmanaged
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes p = TLanes.Broadcast(pivot);
        TLanes s1 = TLanes.Zero, s2 = TLanes.Zero;
        nint whole = length & ~(nint)15;
        int rest = (int)(length - whole);
        Span<T> chunk = stackalloc T[16];
        for (int r = 0; r < runs; r++)
        {
            ref T run = ref Unsafe.Add(ref x, r * stride);
            for (nint i = 0; i < whole; i += 16)
            {
                TLanes d = TLanes.Load(ref Unsafe.Add(ref run, i)) - p;
                s1 += d;
                s2 = TLanes.FusedMultiplyAdd(d, d, s2);
            }
            if (rest != 0)
            {
                TLanes d = (TLanes.Load(ref LastChunk(ref run, length, before + r * stride, chunk)) - p) & TLanes.TailMask(rest);
                s1 += d;
                s2 = TLanes.FusedMultiplyAdd(d, d, s2);
            }
        }
        sum = TLanes.Sum(s1);
        squares = TLanes.Sum(s2);
    }

    internal static void Gradients<T, TAct, TLanes>(ref T x, ref T dy, int runs, nint length, nint stride, nint before,
        double mean, T scale, T shift, out double sumDy, out double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes m = TLanes.Broadcast(mean);
        TLanes s1 = TLanes.Zero, s2 = TLanes.Zero;
        var k = Coefficients<T>.Broadcast(scale, shift);
        nint whole = length & ~(nint)15;
        int rest = (int)(length - whole);
        Span<T> chunkX = stackalloc T[16];
        Span<T> chunkDy = stackalloc T[16];
        for (int r = 0; r < runs; r++)
        {
            nint offset = r * stride;
            ref T runX = ref Unsafe.Add(ref x, offset);
            ref T runDy = ref Unsafe.Add(ref dy, offset);
            for (nint i = 0; i < whole; i += 16)
            {
                ref T xi = ref Unsafe.Add(ref runX, i);
                ref T dyi = ref Unsafe.Add(ref runDy, i);
                TLanes g = TAct.Relu ? TLanes.LoadGated(ref dyi, ref xi, k) : TLanes.Load(ref dyi);
                TLanes xc = TLanes.Load(ref xi) - m;
                s1 += g;
                s2 = TLanes.FusedMultiplyAdd(g, xc, s2);
            }
            if (rest != 0)
            {
                ref T xi = ref LastChunk(ref runX, length, before + offset, chunkX);
                ref T dyi = ref LastChunk(ref runDy, length, before + offset, chunkDy);
                TLanes mask = TLanes.TailMask(rest);
                TLanes g = (TAct.Relu ? TLanes.LoadGated(ref dyi, ref xi, k) : TLanes.Load(ref dyi)) & mask;
                TLanes xc = (TLanes.Load(ref xi) - m) & mask;
                s1 += g;
                s2 = TLanes.FusedMultiplyAdd(g, xc, s2);
            }
        }
        sumDy = TLanes.Sum(s1);
        sumDyXc = TLanes.Sum(s2);
    }

    internal static void EvalGradients<T, TAct, TLanes>(ref T x, ref T dy, ref T dx, int runs, nint length, nint stride,
        nint before, double mean, T scale, T shift, T factor, out double sumDy, out double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
        where TLanes : struct, ILanes<TLanes>
    {
        TLanes m = TLanes.Broadcast(mean);
        TLanes s1 = TLanes.Zero, s2 = TLanes.Zero;
        var k = Coefficients<T>.Broadcast(scale, shift, factor);
        nint whole = length & ~(nint)15;
        int rest = (int)(length - whole);
        Span<T> chunkX = stackalloc T[16];
        Span<T> chunkDy = stackalloc T[16];
        for (int r = 0; r < runs; r++)
        {
            nint offset = r * stride;
            ref T runX = ref Unsafe.Add(ref x, offset);
            ref T runDy = ref Unsafe.Add(ref dy, offset);
            ref T runDx = ref Unsafe.Add(ref dx, offset);
            for (nint i = 0; i < whole; i += 16)
            {
                ref T xi = ref Unsafe.Add(ref runX, i);
                TLanes g = TLanes.LoadScaleStore(ref Unsafe.Add(ref runDy, i), ref xi, k, TAct.Relu, ref Unsafe.Add(ref runDx, i));
                TLanes xc = TLanes.Load(ref xi) - m;
                s1 += g;
                s2 = TLanes.FusedMultiplyAdd(g, xc, s2);
            }
            if (rest != 0)
            {
                // The sums first: in place, the tail's dy must be read before its dx is written.
                ref T xi = ref LastChunk(ref runX, length, before + offset, chunkX);
                ref T dyi = ref LastChunk(ref runDy, length, before + offset, chunkDy);
                TLanes mask = TLanes.TailMask(rest);
                TLanes g = (TAct.Relu ? TLanes.LoadGated(ref dyi, ref xi, k) : TLanes.Load(ref dyi)) & mask;
                TLanes xc = (TLanes.Load(ref xi) - m) & mask;
                s1 += g;
                s2 = TLanes.FusedMultiplyAdd(g, xc, s2);
                for (nint i = whole; i < length; i++)
                {
                    T dyv = Unsafe.Add(ref runDy, i);
                    if (TAct.Relu && Gated(Unsafe.Add(ref runX, i), scale, shift))
                    {
                        dyv = default;
                    }
                    Unsafe.Add(ref runDx, i) = Scalar.Multiply(dyv, factor);
                }
            }
        }
        sumDy = TLanes.Sum(s1);
        sumDyXc = TLanes.Sum(s2);
    }

    /// <summary>Whether ReLU blocks the gradient at <paramref name="x"/>: its forward output fma(x, scale, shift) is &lt;= 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Gated<T>(T x, T scale, T shift)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Exact.Fma(Unsafe.As<T, float>(ref x), Unsafe.As<T, float>(ref scale), Unsafe.As<T, float>(ref shift)) <= 0f
            : Exact.Fma(Unsafe.As<T, double>(ref x), Unsafe.As<T, double>(ref scale), Unsafe.As<T, double>(ref shift)) <= 0d;

    /// <summary>
    /// The 16-value chunk that ends at the run's end: in the tensor when 16 values fit before the end, otherwise the run
    /// copied to the end of <paramref name="chunk"/> (its front lanes are masked by the caller).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T LastChunk<T>(ref T run, nint length, nint runBefore, Span<T> chunk)
        where T : unmanaged
    {
        if (runBefore + length >= 16)
        {
            return ref Unsafe.Add(ref run, length - 16);
        }
        // Only a run shorter than 16 at the very start of the tensor gets here.
        chunk.Clear();
        for (nint i = 0; i < length; i++)
        {
            chunk[(int)(16 - length + i)] = Unsafe.Add(ref run, i);
        }
        return ref chunk[0];
    }
}
