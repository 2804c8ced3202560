using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BnGen.Internal;

/// <summary>
/// Per-feature sums down the columns of a block of rows (NC, NHWC: <c>rows</c> rows of <c>features</c> values). Every
/// feature is summed over the rows in row order, from +0, so the result does not depend on how many features a vector
/// holds: 16 features at a time, as the 16 lanes of <see cref="RunSums"/>' accumulators, the last <c>features mod 16</c>
/// one by one with the same operations. Each function adds one block's sums to the running totals its caller keeps.
/// </summary>
internal static class ColumnSums
{
    /// <summary>Adds Σ (x − pivot) to <paramref name="sums"/> and Σ (x − pivot)² to <paramref name="squares"/>, per feature.</summary>
    public static void Statistics<T>(ref T x, nint rows, nint features, ref double pivots, ref double sums, ref double squares)
        where T : unmanaged
    {
        if (Doubles512.IsAccelerated)
        {
            Statistics<T, Doubles512, Vector512<double>>(ref x, rows, features, ref pivots, ref sums, ref squares);
        }
        else if (Doubles256.IsAccelerated)
        {
            Statistics<T, Doubles256, Vector256<double>>(ref x, rows, features, ref pivots, ref sums, ref squares);
        }
        else
        {
            Statistics<T, Doubles128, Vector128<double>>(ref x, rows, features, ref pivots, ref sums, ref squares);
        }
    }

    /// <summary>
    /// Adds Σ dy' and Σ dy' · (x − mean) per feature, dy' being dy gated by ReLU when <typeparamref name="TAct"/> says so
    /// (per-feature <paramref name="scales"/>, <paramref name="shifts"/>); with <paramref name="dx"/> not null, also writes
    /// dx = dy' · factors (the evaluation-mode backward, in one pass; dx may be dy).
    /// </summary>
    public static void Gradients<T, TAct>(ref T x, ref T dy, ref T dx, nint rows, nint features, ref double means,
        ref T scales, ref T shifts, ref T factors, ref double sumDy, ref double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Doubles512.IsAccelerated)
        {
            Gradients<T, TAct, Doubles512, Vector512<double>>(ref x, ref dy, ref dx, rows, features, ref means, ref scales, ref shifts, ref factors,
                ref sumDy, ref sumDyXc);
        }
        else if (Doubles256.IsAccelerated)
        {
            Gradients<T, TAct, Doubles256, Vector256<double>>(ref x, ref dy, ref dx, rows, features, ref means, ref scales, ref shifts, ref factors,
                ref sumDy, ref sumDyXc);
        }
        else
        {
            Gradients<T, TAct, Doubles128, Vector128<double>>(ref x, ref dy, ref dx, rows, features, ref means, ref scales, ref shifts, ref factors,
                ref sumDy, ref sumDyXc);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Statistics<T, TW, TVec>(ref T x, nint rows, nint features, ref double pivots, ref double sums,
        ref double squares)
        where T : unmanaged
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        nint whole = features & ~(nint)15;
        int n = TW.Count;
        for (nint j = 0; j < whole; j += 16)
        {
            Vectors<double, TW, TVec>(true, ref Unsafe.Add(ref pivots, j), out TVec p0, out TVec p1, out TVec p2, out TVec p3,
                out TVec p4, out TVec p5, out TVec p6, out TVec p7);
            TVec a0 = TW.Zero, a1 = TW.Zero, a2 = TW.Zero, a3 = TW.Zero, a4 = TW.Zero, a5 = TW.Zero, a6 = TW.Zero, a7 = TW.Zero;
            TVec b0 = TW.Zero, b1 = TW.Zero, b2 = TW.Zero, b3 = TW.Zero, b4 = TW.Zero, b5 = TW.Zero, b6 = TW.Zero, b7 = TW.Zero;
            ref T column = ref Unsafe.Add(ref x, j);
            for (nint r = 0; r < rows; r++)
            {
                ref T c = ref Unsafe.Add(ref column, r * features);
                TVec d0 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 0 * n)), p0);
                a0 = TW.Add(a0, d0);
                b0 = TW.Fma(d0, d0, b0);
                TVec d1 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 1 * n)), p1);
                a1 = TW.Add(a1, d1);
                b1 = TW.Fma(d1, d1, b1);
                if (n < 8)
                {
                    TVec d2 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 2 * n)), p2);
                    a2 = TW.Add(a2, d2);
                    b2 = TW.Fma(d2, d2, b2);
                    TVec d3 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 3 * n)), p3);
                    a3 = TW.Add(a3, d3);
                    b3 = TW.Fma(d3, d3, b3);
                }
                if (n < 4)
                {
                    TVec d4 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 4 * n)), p4);
                    a4 = TW.Add(a4, d4);
                    b4 = TW.Fma(d4, d4, b4);
                    TVec d5 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 5 * n)), p5);
                    a5 = TW.Add(a5, d5);
                    b5 = TW.Fma(d5, d5, b5);
                    TVec d6 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 6 * n)), p6);
                    a6 = TW.Add(a6, d6);
                    b6 = TW.Fma(d6, d6, b6);
                    TVec d7 = TW.Subtract(TW.Load(ref Unsafe.Add(ref c, 7 * n)), p7);
                    a7 = TW.Add(a7, d7);
                    b7 = TW.Fma(d7, d7, b7);
                }
            }
            AddTo<TW, TVec>(ref Unsafe.Add(ref sums, j), a0, a1, a2, a3, a4, a5, a6, a7);
            AddTo<TW, TVec>(ref Unsafe.Add(ref squares, j), b0, b1, b2, b3, b4, b5, b6, b7);
        }
        for (nint j = whole; j < features; j++)
        {
            double p = Unsafe.Add(ref pivots, j);
            double s1 = 0d, s2 = 0d;
            ref T column = ref Unsafe.Add(ref x, j);
            for (nint r = 0; r < rows; r++)
            {
                double d = Scalar.ToDouble(Unsafe.Add(ref column, r * features)) - p;
                s1 += d;
                s2 = Exact.Fma(d, d, s2);
            }
            Unsafe.Add(ref sums, j) += s1;
            Unsafe.Add(ref squares, j) += s2;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Gradients<T, TAct, TW, TVec>(ref T x, ref T dy, ref T dx, nint rows, nint features, ref double means,
        ref T scales, ref T shifts, ref T factors, ref double sumDy, ref double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        bool store = !Unsafe.IsNullRef(ref dx);
        nint whole = features & ~(nint)15;
        int n = TW.Count;
        for (nint j = 0; j < whole; j += 16)
        {
            Vectors<double, TW, TVec>(true, ref Unsafe.Add(ref means, j), out TVec m0, out TVec m1, out TVec m2, out TVec m3,
                out TVec m4, out TVec m5, out TVec m6, out TVec m7);
            Vectors<T, TW, TVec>(TAct.Relu, ref Unsafe.Add(ref scales, j), out TVec s0, out TVec s1, out TVec s2, out TVec s3,
                out TVec s4, out TVec s5, out TVec s6, out TVec s7);
            Vectors<T, TW, TVec>(TAct.Relu, ref Unsafe.Add(ref shifts, j), out TVec h0, out TVec h1, out TVec h2, out TVec h3,
                out TVec h4, out TVec h5, out TVec h6, out TVec h7);
            TVec a0 = TW.Zero, a1 = TW.Zero, a2 = TW.Zero, a3 = TW.Zero, a4 = TW.Zero, a5 = TW.Zero, a6 = TW.Zero, a7 = TW.Zero;
            TVec b0 = TW.Zero, b1 = TW.Zero, b2 = TW.Zero, b3 = TW.Zero, b4 = TW.Zero, b5 = TW.Zero, b6 = TW.Zero, b7 = TW.Zero;
            for (nint r = 0; r < rows; r++)
            {
                nint at = r * features + j;
                ref T cx = ref Unsafe.Add(ref x, at);
                ref T cdy = ref Unsafe.Add(ref dy, at);
                ref T cdx = ref store ? ref Unsafe.Add(ref dx, at) : ref Unsafe.NullRef<T>();
                TVec g0 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 0 * n), ref Unsafe.Add(ref cx, 0 * n), m0, s0, h0)
                    : TW.Load(ref Unsafe.Add(ref cdy, 0 * n));
                if (store)
                {
                    RunSums.StoreGradient<T, TAct, TW, TVec>(g0, ref Unsafe.Add(ref cdy, 0 * n),
                        ref Unsafe.Add(ref factors, j + 0 * n), ref Unsafe.Add(ref cdx, 0 * n));
                }
                a0 = TW.Add(a0, g0);
                b0 = TW.Fma(g0, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 0 * n)), m0), b0);
                TVec g1 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 1 * n), ref Unsafe.Add(ref cx, 1 * n), m1, s1, h1)
                    : TW.Load(ref Unsafe.Add(ref cdy, 1 * n));
                if (store)
                {
                    RunSums.StoreGradient<T, TAct, TW, TVec>(g1, ref Unsafe.Add(ref cdy, 1 * n),
                        ref Unsafe.Add(ref factors, j + 1 * n), ref Unsafe.Add(ref cdx, 1 * n));
                }
                a1 = TW.Add(a1, g1);
                b1 = TW.Fma(g1, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 1 * n)), m1), b1);
                if (n < 8)
                {
                    TVec g2 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 2 * n), ref Unsafe.Add(ref cx, 2 * n), m2, s2, h2)
                        : TW.Load(ref Unsafe.Add(ref cdy, 2 * n));
                    if (store)
                    {
                        RunSums.StoreGradient<T, TAct, TW, TVec>(g2, ref Unsafe.Add(ref cdy, 2 * n),
                            ref Unsafe.Add(ref factors, j + 2 * n), ref Unsafe.Add(ref cdx, 2 * n));
                    }
                    a2 = TW.Add(a2, g2);
                    b2 = TW.Fma(g2, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 2 * n)), m2), b2);
                    TVec g3 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 3 * n), ref Unsafe.Add(ref cx, 3 * n), m3, s3, h3)
                        : TW.Load(ref Unsafe.Add(ref cdy, 3 * n));
                    if (store)
                    {
                        RunSums.StoreGradient<T, TAct, TW, TVec>(g3, ref Unsafe.Add(ref cdy, 3 * n),
                            ref Unsafe.Add(ref factors, j + 3 * n), ref Unsafe.Add(ref cdx, 3 * n));
                    }
                    a3 = TW.Add(a3, g3);
                    b3 = TW.Fma(g3, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 3 * n)), m3), b3);
                }
                if (n < 4)
                {
                    TVec g4 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 4 * n), ref Unsafe.Add(ref cx, 4 * n), m4, s4, h4)
                        : TW.Load(ref Unsafe.Add(ref cdy, 4 * n));
                    if (store)
                    {
                        RunSums.StoreGradient<T, TAct, TW, TVec>(g4, ref Unsafe.Add(ref cdy, 4 * n),
                            ref Unsafe.Add(ref factors, j + 4 * n), ref Unsafe.Add(ref cdx, 4 * n));
                    }
                    a4 = TW.Add(a4, g4);
                    b4 = TW.Fma(g4, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 4 * n)), m4), b4);
                    TVec g5 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 5 * n), ref Unsafe.Add(ref cx, 5 * n), m5, s5, h5)
                        : TW.Load(ref Unsafe.Add(ref cdy, 5 * n));
                    if (store)
                    {
                        RunSums.StoreGradient<T, TAct, TW, TVec>(g5, ref Unsafe.Add(ref cdy, 5 * n),
                            ref Unsafe.Add(ref factors, j + 5 * n), ref Unsafe.Add(ref cdx, 5 * n));
                    }
                    a5 = TW.Add(a5, g5);
                    b5 = TW.Fma(g5, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 5 * n)), m5), b5);
                    TVec g6 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 6 * n), ref Unsafe.Add(ref cx, 6 * n), m6, s6, h6)
                        : TW.Load(ref Unsafe.Add(ref cdy, 6 * n));
                    if (store)
                    {
                        RunSums.StoreGradient<T, TAct, TW, TVec>(g6, ref Unsafe.Add(ref cdy, 6 * n),
                            ref Unsafe.Add(ref factors, j + 6 * n), ref Unsafe.Add(ref cdx, 6 * n));
                    }
                    a6 = TW.Add(a6, g6);
                    b6 = TW.Fma(g6, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 6 * n)), m6), b6);
                    TVec g7 = TAct.Relu ? TW.LoadGated(ref Unsafe.Add(ref cdy, 7 * n), ref Unsafe.Add(ref cx, 7 * n), m7, s7, h7)
                        : TW.Load(ref Unsafe.Add(ref cdy, 7 * n));
                    if (store)
                    {
                        RunSums.StoreGradient<T, TAct, TW, TVec>(g7, ref Unsafe.Add(ref cdy, 7 * n),
                            ref Unsafe.Add(ref factors, j + 7 * n), ref Unsafe.Add(ref cdx, 7 * n));
                    }
                    a7 = TW.Add(a7, g7);
                    b7 = TW.Fma(g7, TW.Subtract(TW.Load(ref Unsafe.Add(ref cx, 7 * n)), m7), b7);
                }
            }
            AddTo<TW, TVec>(ref Unsafe.Add(ref sumDy, j), a0, a1, a2, a3, a4, a5, a6, a7);
            AddTo<TW, TVec>(ref Unsafe.Add(ref sumDyXc, j), b0, b1, b2, b3, b4, b5, b6, b7);
        }
        for (nint j = whole; j < features; j++)
        {
            double mean = Unsafe.Add(ref means, j);
            T center = Scalar.FromDouble<T>(mean);
            T scale = TAct.Relu ? Unsafe.Add(ref scales, j) : default;
            T shift = TAct.Relu ? Unsafe.Add(ref shifts, j) : default;
            T factor = store ? Unsafe.Add(ref factors, j) : default;
            double s1 = 0d, s2 = 0d;
            for (nint r = 0; r < rows; r++)
            {
                nint at = r * features + j;
                T xv = Unsafe.Add(ref x, at);
                T g = Unsafe.Add(ref dy, at);
                if (TAct.Relu && RunSums.Gated(xv, center, scale, shift))
                {
                    g = default;
                }
                if (store)
                {
                    Unsafe.Add(ref dx, at) = Scalar.Multiply(g, factor);
                }
                double gd = Scalar.ToDouble(g);
                s1 += gd;
                s2 = Exact.Fma(gd, Scalar.ToDouble(xv) - mean, s2);
            }
            Unsafe.Add(ref sumDy, j) += s1;
            Unsafe.Add(ref sumDyXc, j) += s2;
        }
    }

    /// <summary>16 per-feature values (T or double) as 16 / Count double vectors, when <paramref name="wanted"/> (else unread).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Vectors<TE, TW, TVec>(bool wanted, ref TE values, out TVec v0, out TVec v1, out TVec v2, out TVec v3,
        out TVec v4, out TVec v5, out TVec v6, out TVec v7)
        where TE : unmanaged
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        int n = TW.Count;
        v0 = wanted ? TW.Load(ref values) : default;
        v1 = wanted ? TW.Load(ref Unsafe.Add(ref values, n)) : default;
        v2 = wanted && n < 8 ? TW.Load(ref Unsafe.Add(ref values, 2 * n)) : default;
        v3 = wanted && n < 8 ? TW.Load(ref Unsafe.Add(ref values, 3 * n)) : default;
        v4 = wanted && n < 4 ? TW.Load(ref Unsafe.Add(ref values, 4 * n)) : default;
        v5 = wanted && n < 4 ? TW.Load(ref Unsafe.Add(ref values, 5 * n)) : default;
        v6 = wanted && n < 4 ? TW.Load(ref Unsafe.Add(ref values, 6 * n)) : default;
        v7 = wanted && n < 4 ? TW.Load(ref Unsafe.Add(ref values, 7 * n)) : default;
    }

    /// <summary>Adds the 16 lanes, held in 16 / Count vectors, to the totals of 16 consecutive features.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TW, TVec>(ref double totals, TVec v0, TVec v1, TVec v2, TVec v3, TVec v4, TVec v5, TVec v6, TVec v7)
        where TW : struct, IDoubles<TVec>
        where TVec : struct
    {
        int n = TW.Count;
        TW.Store(TW.Add(TW.Load(ref totals), v0), ref totals);
        TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, n)), v1), ref Unsafe.Add(ref totals, n));
        if (n < 8)
        {
            TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, 2 * n)), v2), ref Unsafe.Add(ref totals, 2 * n));
            TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, 3 * n)), v3), ref Unsafe.Add(ref totals, 3 * n));
        }
        if (n < 4)
        {
            TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, 4 * n)), v4), ref Unsafe.Add(ref totals, 4 * n));
            TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, 5 * n)), v5), ref Unsafe.Add(ref totals, 5 * n));
            TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, 6 * n)), v6), ref Unsafe.Add(ref totals, 6 * n));
            TW.Store(TW.Add(TW.Load(ref Unsafe.Add(ref totals, 7 * n)), v7), ref Unsafe.Add(ref totals, 7 * n));
        }
    }
}
