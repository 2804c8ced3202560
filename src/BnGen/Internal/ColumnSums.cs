using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// Per-feature sums down the columns of a block of rows (NC, NHWC: <c>rows</c> rows of <c>features</c> values). Every
/// feature is summed over the rows in row order, from +0, so the result does not depend on how many features a vector
/// holds: 16 features at a time in the lanes of <see cref="ILanes{TSelf}"/>, the last <c>features mod 16</c> one by one
/// with the same operations. Each function adds one block's sums to the running totals its caller keeps.
/// </summary>
internal static class ColumnSums
{
    /// <summary>Adds Σ (x − pivot) to <paramref name="sums"/> and Σ (x − pivot)² to <paramref name="squares"/>, per feature.</summary>
    public static void Statistics<T>(ref T x, nint rows, nint features, ref double pivots, ref double sums, ref double squares)
        where T : unmanaged
    {
        if (Lanes512.IsHardwareAccelerated)
        {
            Statistics<T, Lanes512>(ref x, rows, features, ref pivots, ref sums, ref squares);
        }
        else if (Lanes256.IsHardwareAccelerated)
        {
            Statistics<T, Lanes256>(ref x, rows, features, ref pivots, ref sums, ref squares);
        }
        else
        {
            Statistics<T, Lanes128>(ref x, rows, features, ref pivots, ref sums, ref squares);
        }
    }

    /// <summary>Adds Σ dy' and Σ dy' · (x − mean) per feature, dy' being dy gated by ReLU when <typeparamref name="TAct"/> says so.</summary>
    public static void Gradients<T, TAct>(ref T x, ref T dy, nint rows, nint features, ref double means, ref T scales,
        ref T shifts, ref double sumDy, ref double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Lanes512.IsHardwareAccelerated)
        {
            Gradients<T, TAct, Lanes512>(ref x, ref dy, ref Unsafe.NullRef<T>(), rows, features, ref means, ref scales, ref shifts,
                ref Unsafe.NullRef<T>(), ref sumDy, ref sumDyXc);
        }
        else if (Lanes256.IsHardwareAccelerated)
        {
            Gradients<T, TAct, Lanes256>(ref x, ref dy, ref Unsafe.NullRef<T>(), rows, features, ref means, ref scales, ref shifts,
                ref Unsafe.NullRef<T>(), ref sumDy, ref sumDyXc);
        }
        else
        {
            Gradients<T, TAct, Lanes128>(ref x, ref dy, ref Unsafe.NullRef<T>(), rows, features, ref means, ref scales, ref shifts,
                ref Unsafe.NullRef<T>(), ref sumDy, ref sumDyXc);
        }
    }

    /// <summary>
    /// The evaluation-mode backward of a block of rows in one pass: dx = dy' · factors per feature, and the sums of
    /// <see cref="Gradients{T, TAct}"/>. <paramref name="dx"/> may be the same memory as <paramref name="dy"/>.
    /// </summary>
    public static void EvalGradients<T, TAct>(ref T x, ref T dy, ref T dx, nint rows, nint features, ref double means,
        ref T scales, ref T shifts, ref T factors, ref double sumDy, ref double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        if (Lanes512.IsHardwareAccelerated)
        {
            Gradients<T, TAct, Lanes512>(ref x, ref dy, ref dx, rows, features, ref means, ref scales, ref shifts, ref factors,
                ref sumDy, ref sumDyXc);
        }
        else if (Lanes256.IsHardwareAccelerated)
        {
            Gradients<T, TAct, Lanes256>(ref x, ref dy, ref dx, rows, features, ref means, ref scales, ref shifts, ref factors,
                ref sumDy, ref sumDyXc);
        }
        else
        {
            Gradients<T, TAct, Lanes128>(ref x, ref dy, ref dx, rows, features, ref means, ref scales, ref shifts, ref factors,
                ref sumDy, ref sumDyXc);
        }
    }

    internal static void Statistics<T, TLanes>(ref T x, nint rows, nint features, ref double pivots, ref double sums,
        ref double squares)
        where T : unmanaged
        where TLanes : struct, ILanes<TLanes>
    {
        nint whole = features & ~(nint)15;
        for (nint j = 0; j < whole; j += 16)
        {
            TLanes p = TLanes.Load(ref Unsafe.Add(ref pivots, j));
            TLanes s1 = TLanes.Zero, s2 = TLanes.Zero;
            ref T column = ref Unsafe.Add(ref x, j);
            for (nint r = 0; r < rows; r++)
            {
                TLanes d = TLanes.Load(ref Unsafe.Add(ref column, r * features)) - p;
                s1 += d;
                s2 = TLanes.FusedMultiplyAdd(d, d, s2);
            }
            AddTo(s1, ref Unsafe.Add(ref sums, j));
            AddTo(s2, ref Unsafe.Add(ref squares, j));
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

    /// <summary>Both gradient passes; with <paramref name="dx"/> not null, also writes dx = dy' · factors.</summary>
    internal static void Gradients<T, TAct, TLanes>(ref T x, ref T dy, ref T dx, nint rows, nint features, ref double means,
        ref T scales, ref T shifts, ref T factors, ref double sumDy, ref double sumDyXc)
        where T : unmanaged
        where TAct : struct, IActivation
        where TLanes : struct, ILanes<TLanes>
    {
        bool store = !Unsafe.IsNullRef(ref dx);
        nint whole = features & ~(nint)15;
        for (nint j = 0; j < whole; j += 16)
        {
            TLanes m = TLanes.Load(ref Unsafe.Add(ref means, j));
            TLanes s1 = TLanes.Zero, s2 = TLanes.Zero;
            var k = Coefficients<T>.Columns(ref Unsafe.Add(ref scales, j), ref Unsafe.Add(ref shifts, j),
                ref store ? ref Unsafe.Add(ref factors, j) : ref Unsafe.NullRef<T>());
            for (nint r = 0; r < rows; r++)
            {
                nint at = r * features + j;
                ref T xi = ref Unsafe.Add(ref x, at);
                ref T dyi = ref Unsafe.Add(ref dy, at);
                TLanes g = store
                    ? TLanes.LoadScaleStore(ref dyi, ref xi, k, TAct.Relu, ref Unsafe.Add(ref dx, at))
                    : TAct.Relu ? TLanes.LoadGated(ref dyi, ref xi, k) : TLanes.Load(ref dyi);
                TLanes xc = TLanes.Load(ref xi) - m;
                s1 += g;
                s2 = TLanes.FusedMultiplyAdd(g, xc, s2);
            }
            AddTo(s1, ref Unsafe.Add(ref sumDy, j));
            AddTo(s2, ref Unsafe.Add(ref sumDyXc, j));
        }
        for (nint j = whole; j < features; j++)
        {
            double mean = Unsafe.Add(ref means, j);
            T scale = TAct.Relu ? Unsafe.Add(ref scales, j) : default;
            T shift = TAct.Relu ? Unsafe.Add(ref shifts, j) : default;
            T factor = store ? Unsafe.Add(ref factors, j) : default;
            double s1 = 0d, s2 = 0d;
            for (nint r = 0; r < rows; r++)
            {
                nint at = r * features + j;
                T xv = Unsafe.Add(ref x, at);
                T g = Unsafe.Add(ref dy, at);
                if (TAct.Relu && RunSums.Gated(xv, scale, shift))
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TLanes>(TLanes lanes, ref double totals)
        where TLanes : struct, ILanes<TLanes>
        => TLanes.Store(TLanes.Load(ref totals) + lanes, ref totals);
}
