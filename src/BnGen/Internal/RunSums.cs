using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
/// <c>x + r · stride</c>), in BnGen's fixed order: sixteen logical lanes of double accumulators; whole 16-value chunks of
/// each run go to lanes 0–15 in order, and a run's last <c>length mod 16</c> values to the last lanes (the chunk that ends
/// with the run's last value, with the lanes already counted masked to +0); at the end the sixteen lanes are combined by
/// one halving tree (lane i += lane i + 8, then i + 4, i + 2, i + 1). <see cref="IDoubles{TSelf}"/> holds the lanes in
/// 16 / Count hardware vectors and performs the same operation on every lane, so the order, and so every bit of the
/// result, depends on the shape only: never on the vector width, the thread count or the buffers' addresses.
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
        if (Doubles512.IsAccelerated)
        {
            Statistics<T, Doubles512, Vector512<double>>(ref x, runs, length, stride, before, pivot, out sum, out squares);
        }
        else if (Doubles256.IsAccelerated)
        {
            Statistics<T, Doubles256, Vector256<double>>(ref x, runs, length, stride, before, pivot, out sum, out squares);
        }
        else
        {
            Statistics<T, Doubles128, Vector128<double>>(ref x, runs, length, stride, before, pivot, out sum, out squares);
        }
    }

    /// <summary>
    /// Σ dy' and Σ dy' · (x − mean) over the runs, dy' being dy gated by ReLU (when <typeparamref name="TAct"/> says so)
    /// with the forward pass's <paramref name="scale"/> and <paramref name="shift"/>; with <paramref name="dx"/> not null,
    /// also writes dx = dy' · <paramref name="factor"/> in the same pass (the evaluation-mode backward; dx may be dy).
    /// </summary>
    public static void Gradients<T, TAct>(ref T x, ref T dy, ref T dx, int runs, nint length, nint stride, nint before,
        double mean, T scale, T shift, T factor, out double sumDy, out double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Doubles512.IsAccelerated)
        {
            Gradients<T, TAct, Doubles512, Vector512<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor,
                out sumDy, out sumDyXc);
        }
        else if (Doubles256.IsAccelerated)
        {
            Gradients<T, TAct, Doubles256, Vector256<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor,
                out sumDy, out sumDyXc);
        }
        else
        {
            Gradients<T, TAct, Doubles128, Vector128<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor,
                out sumDy, out sumDyXc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Statistics<T, TW, TVec>(ref T x, int runs, nint length, nint stride, nint before, double pivot,
        out double sum, out double squares)
        where T : unmanaged
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        Span<double> lanes = stackalloc double[32];
        lanes.Clear();
        int first = ShortRunsAtStart(runs, length, stride, before);
        if (first > 0)
        {
            // Runs shorter than 16 at the very start of the tensor: their last chunk would begin before it, so each is
            // copied behind 16 zeros and summed from there, in the same lanes and the same order.
            Span<T> copy = stackalloc T[32];
            for (int r = 0; r < first; r++)
            {
                copy.Clear();
                for (nint i = 0; i < length; i++)
                {
                    copy[(int)(16 + i)] = Unsafe.Add(ref x, r * stride + i);
                }
                StatisticsLanes<T, TW, TVec>(ref copy[16], 1, length, stride, pivot, ref lanes[0], ref lanes[16]);
            }
        }
        StatisticsLanes<T, TW, TVec>(ref Unsafe.Add(ref x, first * stride), runs - first, length, stride, pivot, ref lanes[0],
            ref lanes[16]);
        sum = LaneTree<TW, TVec>(ref lanes[0]);
        squares = LaneTree<TW, TVec>(ref lanes[16]);
    }

    /// <summary>
    /// Adds the runs to the sixteen lanes of each sum at <paramref name="sums"/> and <paramref name="squares"/>. Every run's
    /// last chunk lies in memory the caller may read (16 values end at the run's end). No calls: the accumulators stay
    /// in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void StatisticsLanes<T, TW, TVec>(ref T x, int runs, nint length, nint stride, double pivot, ref double sums,
        ref double squares)
        where T : unmanaged
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        int n = TW.Count;
        TVec p = TW.Create(pivot);
        Lanes<TW, TVec>(ref sums, out TVec a0, out TVec a1, out TVec a2, out TVec a3, out TVec a4, out TVec a5, out TVec a6, out TVec a7);
        Lanes<TW, TVec>(ref squares, out TVec b0, out TVec b1, out TVec b2, out TVec b3, out TVec b4, out TVec b5, out TVec b6, out TVec b7);
        nint whole = length & ~(nint)15;
        int rest = (int)(length - whole);
        ref double mask = ref LaneMasks.Last(rest == 0 ? 16 : rest);
        for (int r = 0; r < runs; r++)
        {
            ref T run = ref Unsafe.Add(ref x, r * stride);
            for (nint i = 0; i < whole; i += 16)
            {
                ref T c = ref Unsafe.Add(ref run, i);
                TVec d0 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 0 * n)), p);
                a0 = TW.Add(a0, d0);
                b0 = TW.Fma(d0, d0, b0);
                TVec d1 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 1 * n)), p);
                a1 = TW.Add(a1, d1);
                b1 = TW.Fma(d1, d1, b1);
                if (n < 8)
                {
                    TVec d2 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 2 * n)), p);
                    a2 = TW.Add(a2, d2);
                    b2 = TW.Fma(d2, d2, b2);
                    TVec d3 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 3 * n)), p);
                    a3 = TW.Add(a3, d3);
                    b3 = TW.Fma(d3, d3, b3);
                }
                if (n < 4)
                {
                    TVec d4 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 4 * n)), p);
                    a4 = TW.Add(a4, d4);
                    b4 = TW.Fma(d4, d4, b4);
                    TVec d5 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 5 * n)), p);
                    a5 = TW.Add(a5, d5);
                    b5 = TW.Fma(d5, d5, b5);
                    TVec d6 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 6 * n)), p);
                    a6 = TW.Add(a6, d6);
                    b6 = TW.Fma(d6, d6, b6);
                    TVec d7 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 7 * n)), p);
                    a7 = TW.Add(a7, d7);
                    b7 = TW.Fma(d7, d7, b7);
                }
            }
            if (rest != 0)
            {
                ref T c = ref Unsafe.Add(ref run, length - 16);
                TVec d0 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 0 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 0 * n)));
                a0 = TW.Add(a0, d0);
                b0 = TW.Fma(d0, d0, b0);
                TVec d1 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 1 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 1 * n)));
                a1 = TW.Add(a1, d1);
                b1 = TW.Fma(d1, d1, b1);
                if (n < 8)
                {
                    TVec d2 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 2 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 2 * n)));
                    a2 = TW.Add(a2, d2);
                    b2 = TW.Fma(d2, d2, b2);
                    TVec d3 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 3 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 3 * n)));
                    a3 = TW.Add(a3, d3);
                    b3 = TW.Fma(d3, d3, b3);
                }
                if (n < 4)
                {
                    TVec d4 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 4 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 4 * n)));
                    a4 = TW.Add(a4, d4);
                    b4 = TW.Fma(d4, d4, b4);
                    TVec d5 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 5 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 5 * n)));
                    a5 = TW.Add(a5, d5);
                    b5 = TW.Fma(d5, d5, b5);
                    TVec d6 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 6 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 6 * n)));
                    a6 = TW.Add(a6, d6);
                    b6 = TW.Fma(d6, d6, b6);
                    TVec d7 = TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 7 * n)), p), TW.Load(ref Unsafe.Add(ref mask, 7 * n)));
                    a7 = TW.Add(a7, d7);
                    b7 = TW.Fma(d7, d7, b7);
                }
            }
        }
        Store<TW, TVec>(ref sums, a0, a1, a2, a3, a4, a5, a6, a7);
        Store<TW, TVec>(ref squares, b0, b1, b2, b3, b4, b5, b6, b7);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Gradients<T, TAct, TW, TVec>(ref T x, ref T dy, ref T dx, int runs, nint length, nint stride,
        nint before, double mean, T scale, T shift, T factor, out double sumDy, out double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        Span<double> lanes = stackalloc double[32];
        lanes.Clear();
        int first = ShortRunsAtStart(runs, length, stride, before);
        if (first > 0)
        {
            // Runs shorter than 16 at the very start of the tensor: copied behind 16 zeros (see Statistics); dx is
            // written to the copy's place too and copied back.
            Span<T> copyX = stackalloc T[32];
            Span<T> copyDy = stackalloc T[32];
            Span<T> copyDx = stackalloc T[32];
            bool store = !Unsafe.IsNullRef(ref dx);
            for (int r = 0; r < first; r++)
            {
                copyX.Clear();
                copyDy.Clear();
                for (nint i = 0; i < length; i++)
                {
                    copyX[(int)(16 + i)] = Unsafe.Add(ref x, r * stride + i);
                    copyDy[(int)(16 + i)] = Unsafe.Add(ref dy, r * stride + i);
                }
                GradientLanes<T, TAct, TW, TVec>(ref copyX[16], ref copyDy[16], ref store ? ref copyDx[16] : ref Unsafe.NullRef<T>(),
                    1, length, stride, mean, scale, shift, factor, ref lanes[0], ref lanes[16]);
                for (nint i = 0; store && i < length; i++)
                {
                    Unsafe.Add(ref dx, r * stride + i) = copyDx[(int)(16 + i)];
                }
            }
        }
        nint skip = first * stride;
        GradientLanes<T, TAct, TW, TVec>(ref Unsafe.Add(ref x, skip), ref Unsafe.Add(ref dy, skip),
            ref Unsafe.IsNullRef(ref dx) ? ref dx : ref Unsafe.Add(ref dx, skip), runs - first, length, stride, mean, scale, shift,
            factor, ref lanes[0], ref lanes[16]);
        sumDy = LaneTree<TW, TVec>(ref lanes[0]);
        sumDyXc = LaneTree<TW, TVec>(ref lanes[16]);
    }

    /// <summary>Adds the runs' Σ dy' and Σ dy' · (x − mean) to the lanes at <paramref name="sums"/> and <paramref name="products"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientLanes<T, TAct, TW, TVec>(ref T x, ref T dy, ref T dx, int runs, nint length, nint stride,
        double mean, T scale, T shift, T factor, ref double sums, ref double products)
        where T : unmanaged
        where TAct : struct, IActivation
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        int n = TW.Count;
        bool store = !Unsafe.IsNullRef(ref dx);
        TVec m = TW.Create(mean), s = TW.Create(Scalar.ToDouble(scale)), h = TW.Create(Scalar.ToDouble(shift));
        // The factor in every lane, for the vector stores of dx.
        Span<T> factorLanes = stackalloc T[16];
        factorLanes.Fill(factor);
        ref T factors = ref factorLanes[0];
        T center = Scalar.FromDouble<T>(mean);
        Lanes<TW, TVec>(ref sums, out TVec a0, out TVec a1, out TVec a2, out TVec a3, out TVec a4, out TVec a5, out TVec a6, out TVec a7);
        Lanes<TW, TVec>(ref products, out TVec b0, out TVec b1, out TVec b2, out TVec b3, out TVec b4, out TVec b5, out TVec b6, out TVec b7);
        nint whole = length & ~(nint)15;
        int rest = (int)(length - whole);
        ref double mask = ref LaneMasks.Last(rest == 0 ? 16 : rest);
        for (int r = 0; r < runs; r++)
        {
            nint offset = r * stride;
            ref T runX = ref Unsafe.Add(ref x, offset);
            ref T runDy = ref Unsafe.Add(ref dy, offset);
            ref T runDx = ref store ? ref Unsafe.Add(ref dx, offset) : ref Unsafe.NullRef<T>();
            for (nint i = 0; i < whole; i += 16)
            {
                ref T cx = ref Unsafe.Add(ref runX, i);
                ref T cdy = ref Unsafe.Add(ref runDy, i);
                ref T cdx = ref store ? ref Unsafe.Add(ref runDx, i) : ref Unsafe.NullRef<T>();
                TVec g0 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 0 * n), ref Unsafe.Add(ref cx, 0 * n), m, s, h)
                    : TW.Load(ref Unsafe.Add(ref cdy, 0 * n));
                if (store)
                {
                    StoreGradient<T, TAct, TW, TVec>(g0, ref Unsafe.Add(ref cdy, 0 * n),
                        ref Unsafe.Add(ref factors, 0 * n), ref Unsafe.Add(ref cdx, 0 * n));
                }
                a0 = TW.Add(a0, g0);
                b0 = TW.Fma(g0, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 0 * n)), m), b0);
                TVec g1 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 1 * n), ref Unsafe.Add(ref cx, 1 * n), m, s, h)
                    : TW.Load(ref Unsafe.Add(ref cdy, 1 * n));
                if (store)
                {
                    StoreGradient<T, TAct, TW, TVec>(g1, ref Unsafe.Add(ref cdy, 1 * n),
                        ref Unsafe.Add(ref factors, 1 * n), ref Unsafe.Add(ref cdx, 1 * n));
                }
                a1 = TW.Add(a1, g1);
                b1 = TW.Fma(g1, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 1 * n)), m), b1);
                if (n < 8)
                {
                    TVec g2 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 2 * n), ref Unsafe.Add(ref cx, 2 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 2 * n));
                    if (store)
                    {
                        StoreGradient<T, TAct, TW, TVec>(g2, ref Unsafe.Add(ref cdy, 2 * n),
                            ref Unsafe.Add(ref factors, 2 * n), ref Unsafe.Add(ref cdx, 2 * n));
                    }
                    a2 = TW.Add(a2, g2);
                    b2 = TW.Fma(g2, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 2 * n)), m), b2);
                    TVec g3 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 3 * n), ref Unsafe.Add(ref cx, 3 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 3 * n));
                    if (store)
                    {
                        StoreGradient<T, TAct, TW, TVec>(g3, ref Unsafe.Add(ref cdy, 3 * n),
                            ref Unsafe.Add(ref factors, 3 * n), ref Unsafe.Add(ref cdx, 3 * n));
                    }
                    a3 = TW.Add(a3, g3);
                    b3 = TW.Fma(g3, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 3 * n)), m), b3);
                }
                if (n < 4)
                {
                    TVec g4 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 4 * n), ref Unsafe.Add(ref cx, 4 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 4 * n));
                    if (store)
                    {
                        StoreGradient<T, TAct, TW, TVec>(g4, ref Unsafe.Add(ref cdy, 4 * n),
                            ref Unsafe.Add(ref factors, 4 * n), ref Unsafe.Add(ref cdx, 4 * n));
                    }
                    a4 = TW.Add(a4, g4);
                    b4 = TW.Fma(g4, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 4 * n)), m), b4);
                    TVec g5 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 5 * n), ref Unsafe.Add(ref cx, 5 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 5 * n));
                    if (store)
                    {
                        StoreGradient<T, TAct, TW, TVec>(g5, ref Unsafe.Add(ref cdy, 5 * n),
                            ref Unsafe.Add(ref factors, 5 * n), ref Unsafe.Add(ref cdx, 5 * n));
                    }
                    a5 = TW.Add(a5, g5);
                    b5 = TW.Fma(g5, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 5 * n)), m), b5);
                    TVec g6 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 6 * n), ref Unsafe.Add(ref cx, 6 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 6 * n));
                    if (store)
                    {
                        StoreGradient<T, TAct, TW, TVec>(g6, ref Unsafe.Add(ref cdy, 6 * n),
                            ref Unsafe.Add(ref factors, 6 * n), ref Unsafe.Add(ref cdx, 6 * n));
                    }
                    a6 = TW.Add(a6, g6);
                    b6 = TW.Fma(g6, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 6 * n)), m), b6);
                    TVec g7 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 7 * n), ref Unsafe.Add(ref cx, 7 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 7 * n));
                    if (store)
                    {
                        StoreGradient<T, TAct, TW, TVec>(g7, ref Unsafe.Add(ref cdy, 7 * n),
                            ref Unsafe.Add(ref factors, 7 * n), ref Unsafe.Add(ref cdx, 7 * n));
                    }
                    a7 = TW.Add(a7, g7);
                    b7 = TW.Fma(g7, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 7 * n)), m), b7);
                }
            }
            if (rest != 0)
            {
                // The sums first: in place, the tail's dy must be read before its dx is written.
                ref T cx = ref Unsafe.Add(ref runX, length - 16);
                ref T cdy = ref Unsafe.Add(ref runDy, length - 16);
                TVec k0 = TW.Load(ref Unsafe.Add(ref mask, 0 * n));
                TVec g0 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 0 * n), ref Unsafe.Add(ref cx, 0 * n), m, s, h)
                    : TW.Load(ref Unsafe.Add(ref cdy, 0 * n)), k0);
                a0 = TW.Add(a0, g0);
                b0 = TW.Fma(g0, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 0 * n)), m), k0), b0);
                TVec k1 = TW.Load(ref Unsafe.Add(ref mask, 1 * n));
                TVec g1 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 1 * n), ref Unsafe.Add(ref cx, 1 * n), m, s, h)
                    : TW.Load(ref Unsafe.Add(ref cdy, 1 * n)), k1);
                a1 = TW.Add(a1, g1);
                b1 = TW.Fma(g1, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 1 * n)), m), k1), b1);
                if (n < 8)
                {
                    TVec k2 = TW.Load(ref Unsafe.Add(ref mask, 2 * n));
                    TVec g2 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 2 * n), ref Unsafe.Add(ref cx, 2 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 2 * n)), k2);
                    a2 = TW.Add(a2, g2);
                    b2 = TW.Fma(g2, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 2 * n)), m), k2), b2);
                    TVec k3 = TW.Load(ref Unsafe.Add(ref mask, 3 * n));
                    TVec g3 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 3 * n), ref Unsafe.Add(ref cx, 3 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 3 * n)), k3);
                    a3 = TW.Add(a3, g3);
                    b3 = TW.Fma(g3, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 3 * n)), m), k3), b3);
                }
                if (n < 4)
                {
                    TVec k4 = TW.Load(ref Unsafe.Add(ref mask, 4 * n));
                    TVec g4 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 4 * n), ref Unsafe.Add(ref cx, 4 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 4 * n)), k4);
                    a4 = TW.Add(a4, g4);
                    b4 = TW.Fma(g4, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 4 * n)), m), k4), b4);
                    TVec k5 = TW.Load(ref Unsafe.Add(ref mask, 5 * n));
                    TVec g5 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 5 * n), ref Unsafe.Add(ref cx, 5 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 5 * n)), k5);
                    a5 = TW.Add(a5, g5);
                    b5 = TW.Fma(g5, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 5 * n)), m), k5), b5);
                    TVec k6 = TW.Load(ref Unsafe.Add(ref mask, 6 * n));
                    TVec g6 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 6 * n), ref Unsafe.Add(ref cx, 6 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 6 * n)), k6);
                    a6 = TW.Add(a6, g6);
                    b6 = TW.Fma(g6, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 6 * n)), m), k6), b6);
                    TVec k7 = TW.Load(ref Unsafe.Add(ref mask, 7 * n));
                    TVec g7 = TW.And(TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 7 * n), ref Unsafe.Add(ref cx, 7 * n), m, s, h)
                        : TW.Load(ref Unsafe.Add(ref cdy, 7 * n)), k7);
                    a7 = TW.Add(a7, g7);
                    b7 = TW.Fma(g7, TW.And(TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 7 * n)), m), k7), b7);
                }
                if (store)
                {
                    for (nint i = whole; i < length; i++)
                    {
                        T g = Unsafe.Add(ref runDy, i);
                        if (TAct.Relu && Gated(Unsafe.Add(ref runX, i), center, scale, shift))
                        {
                            g = default;
                        }
                        Unsafe.Add(ref runDx, i) = Scalar.Multiply(g, factor);
                    }
                }
            }
        }
        Store<TW, TVec>(ref sums, a0, a1, a2, a3, a4, a5, a6, a7);
        Store<TW, TVec>(ref products, b0, b1, b2, b3, b4, b5, b6, b7);
    }

    /// <summary>
    /// dx = dy' · factor for one vector's <see cref="IDoubles{TVec}.Count"/> values: with ReLU the gated dy' narrowed back
    /// (exact), otherwise straight from dy in T (the same bits, without the conversion).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreGradient<T, TAct, TW, TVec>(TVec gated, ref T dy, ref T factors, ref T dx)
        where T : unmanaged
        where TAct : struct, IActivation
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        if (TAct.Relu)
        {
            TW.StoreScaled(gated, ref factors, ref dx);
        }
        else
        {
            TW.StoreProduct(ref dy, ref factors, ref dx);
        }
    }

    /// <summary>The sixteen lanes, held in 16 / Count vectors, summed by the halving tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Tree<TW, TVec>(TVec v0, TVec v1, TVec v2, TVec v3, TVec v4, TVec v5, TVec v6, TVec v7)
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        if (TW.Count == 8)
        {
            return TW.Sum(TW.Add(v0, v1));
        }
        if (TW.Count == 4)
        {
            return TW.Sum(TW.Add(TW.Add(v0, v2), TW.Add(v1, v3)));
        }
        return TW.Sum(TW.Add(TW.Add(TW.Add(v0, v4), TW.Add(v2, v6)), TW.Add(TW.Add(v1, v5), TW.Add(v3, v7))));
    }

    /// <summary>
    /// Whether ReLU blocks the gradient at <paramref name="x"/>: its forward output fma(x − center, scale, shift) is &lt;= 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Gated<T>(T x, T center, T scale, T shift)
        where T : unmanaged
        => GatedCentered(Scalar.Subtract(x, center), scale, shift);

    /// <summary><see cref="Gated{T}"/> of a value already centred: fma(xc, scale, shift) &lt;= 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool GatedCentered<T>(T xc, T scale, T shift)
        where T : unmanaged
    {
        T z = Exact.Fma(xc, scale, shift);
        return typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref z) <= 0f : Unsafe.As<T, double>(ref z) <= 0d;
    }

    /// <summary>How many runs, from the first, are shorter than 16 and end less than 16 values into the tensor.</summary>
    private static int ShortRunsAtStart(int runs, nint length, nint stride, nint before)
    {
        if ((length & 15) == 0)
        {
            return 0;
        }
        int count = 0;
        while (count < runs && before + count * stride + length < 16)
        {
            count++;
        }
        return count;
    }

    /// <summary>Loads sixteen lanes from memory into 16 / Count vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes<TW, TVec>(ref double lanes, out TVec v0, out TVec v1, out TVec v2, out TVec v3, out TVec v4,
        out TVec v5, out TVec v6, out TVec v7)
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        int n = TW.Count;
        v0 = TW.Load(ref lanes);
        v1 = TW.Load(ref Unsafe.Add(ref lanes, n));
        v2 = n < 8 ? TW.Load(ref Unsafe.Add(ref lanes, 2 * n)) : default;
        v3 = n < 8 ? TW.Load(ref Unsafe.Add(ref lanes, 3 * n)) : default;
        v4 = n < 4 ? TW.Load(ref Unsafe.Add(ref lanes, 4 * n)) : default;
        v5 = n < 4 ? TW.Load(ref Unsafe.Add(ref lanes, 5 * n)) : default;
        v6 = n < 4 ? TW.Load(ref Unsafe.Add(ref lanes, 6 * n)) : default;
        v7 = n < 4 ? TW.Load(ref Unsafe.Add(ref lanes, 7 * n)) : default;
    }

    /// <summary>Stores sixteen lanes held in 16 / Count vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TW, TVec>(ref double lanes, TVec v0, TVec v1, TVec v2, TVec v3, TVec v4, TVec v5, TVec v6, TVec v7)
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        int n = TW.Count;
        TW.Store(v0, ref lanes);
        TW.Store(v1, ref Unsafe.Add(ref lanes, n));
        if (n < 8)
        {
            TW.Store(v2, ref Unsafe.Add(ref lanes, 2 * n));
            TW.Store(v3, ref Unsafe.Add(ref lanes, 3 * n));
        }
        if (n < 4)
        {
            TW.Store(v4, ref Unsafe.Add(ref lanes, 4 * n));
            TW.Store(v5, ref Unsafe.Add(ref lanes, 5 * n));
            TW.Store(v6, ref Unsafe.Add(ref lanes, 6 * n));
            TW.Store(v7, ref Unsafe.Add(ref lanes, 7 * n));
        }
    }

    /// <summary>The halving tree over sixteen lanes in memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LaneTree<TW, TVec>(ref double lanes)
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        Lanes<TW, TVec>(ref lanes, out TVec v0, out TVec v1, out TVec v2, out TVec v3, out TVec v4, out TVec v5, out TVec v6, out TVec v7);
        return Tree<TW, TVec>(v0, v1, v2, v3, v4, v5, v6, v7);
    }
}

/// <summary>Bit patterns that keep the last lanes of a chunk: 16 zero lanes, then 16 all-ones lanes.</summary>
internal static class LaneMasks
{
    private static readonly long[] Window =
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];

    /// <summary>The 16 lanes' masks that keep the last <paramref name="valid"/> (1 … 16) lanes, as doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref double Last(int valid) => ref Unsafe.As<long, double>(ref Window[valid]);
}
