using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BnGen.Internal;

/// <summary>
/// Sixteen logical lanes of double accumulators, BnGen's fixed summation order for sums over contiguous runs. Element
/// <c>i</c> of a 16-element chunk always goes to lane <c>i</c>, and the lanes are combined by one fixed halving tree
/// (<see cref="Sum"/>). <see cref="Lanes512"/>, <see cref="Lanes256"/> and <see cref="Lanes128"/> hold the same sixteen
/// lanes in two, four or eight hardware vectors and perform the same operation on every lane, so a sum comes out
/// identical, bit for bit, whichever width the machine runs.
/// </summary>
/// <typeparam name="TSelf">The implementing width.</typeparam>
internal interface ILanes<TSelf>
    where TSelf : struct, ILanes<TSelf>
{
    /// <summary>Whether this width runs on hardware vectors here (the JIT folds it).</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>Every lane +0.</summary>
    static abstract TSelf Zero { get; }

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TSelf Broadcast(double value);

    /// <summary>The 16 values at <paramref name="source"/> (float or double), widened to double exactly.</summary>
    static abstract TSelf Load<T>(ref T source)
        where T : unmanaged;

    /// <summary>
    /// The 16 values <paramref name="dy"/>, each replaced by 0 where ReLU's output <c>fma(x, scale, shift)</c>, computed in
    /// <typeparamref name="T"/> exactly as the forward pass computes it, is <c>&lt;= 0</c> (PyTorch's threshold_backward);
    /// then widened to double.
    /// </summary>
    static abstract TSelf LoadGated<T>(ref T dy, ref T x, in Coefficients<T> k)
        where T : unmanaged;

    /// <summary>
    /// The 16 values dy, gated like <see cref="LoadGated{T}"/> when <paramref name="gate"/> is true, widened; and stores
    /// <c>dx = dy' · factor</c> in <typeparamref name="T"/> for them: the evaluation-mode backward's output.
    /// </summary>
    static abstract TSelf LoadScaleStore<T>(ref T dy, ref T x, in Coefficients<T> k, bool gate, ref T dx)
        where T : unmanaged;

    /// <summary>Stores the 16 lanes as doubles at <paramref name="destination"/>.</summary>
    static abstract void Store(TSelf lanes, ref double destination);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator &(TSelf left, TSelf right);

    /// <summary><c>a · b + c</c> rounded once, on every lane.</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>All bits set in lanes <c>16 − valid</c> … 15, zero elsewhere: the last <paramref name="valid"/> lanes.</summary>
    static abstract TSelf TailMask(int valid);

    /// <summary>
    /// The lanes' total by BnGen's halving tree: lane i += lane i + 8, then i += i + 4, i += i + 2, and lane 0 + lane 1.
    /// </summary>
    static abstract double Sum(TSelf lanes);
}

/// <summary>
/// The T-domain coefficients a lane load may need: ReLU's forward scale and shift, and the factor of the evaluation-mode
/// dx. Either one value for all 16 lanes (a channel's run) or, with <see cref="PerLane"/>, 16 consecutive values at each
/// reference (a block of 16 features of an NC row).
/// </summary>
internal ref struct Coefficients<T>
    where T : unmanaged
{
    public bool PerLane;
    public T Scale;
    public T Shift;
    public T Factor;
    public ref T Scales;
    public ref T Shifts;
    public ref T Factors;

    public static Coefficients<T> Broadcast(T scale, T shift, T factor = default)
        => new() { Scale = scale, Shift = shift, Factor = factor };

    public static Coefficients<T> Columns(ref T scales, ref T shifts, ref T factors)
        => new() { PerLane = true, Scales = ref scales, Shifts = ref shifts, Factors = ref factors };
}

/// <summary>Bit patterns for <see cref="ILanes{TSelf}.TailMask"/>: 16 zero lanes followed by 16 all-ones lanes.</summary>
internal static class LaneMasks
{
    private static readonly long[] Window =
    [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];

    /// <summary>The 16 mask lanes for the last <paramref name="valid"/> (1 … 16) lanes, as doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref double Start(int valid)
        => ref Unsafe.As<long, double>(ref Window[valid]);
}

/// <summary>The sixteen lanes in two <see cref="Vector512{T}"/>: lanes 0–7 and 8–15.</summary>
internal struct Lanes512 : ILanes<Lanes512>
{
    public Vector512<double> Lo;
    public Vector512<double> Hi;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static Lanes512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Broadcast(double value)
    {
        Vector512<double> v = Vector512.Create(value);
        return new Lanes512 { Lo = v, Hi = v };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Load<T>(ref T source)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Widen(Vector512.LoadUnsafe(ref source))
            : new Lanes512 { Lo = Vector512.LoadUnsafe(ref source).AsDouble(), Hi = Vector512.LoadUnsafe(ref source, 8).AsDouble() };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 LoadGated<T>(ref T dy, ref T x, in Coefficients<T> k)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Widen(Gate(ref dy, ref x, 0, k))
            : new Lanes512 { Lo = Gate(ref dy, ref x, 0, k).AsDouble(), Hi = Gate(ref dy, ref x, 8, k).AsDouble() };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 LoadScaleStore<T>(ref T dy, ref T x, in Coefficients<T> k, bool gate, ref T dx)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector512<T> g = gate ? Gate(ref dy, ref x, 0, k) : Vector512.LoadUnsafe(ref dy);
            (g * Factor(k, 0)).StoreUnsafe(ref dx);
            return Widen(g);
        }
        Vector512<T> lo = gate ? Gate(ref dy, ref x, 0, k) : Vector512.LoadUnsafe(ref dy);
        Vector512<T> hi = gate ? Gate(ref dy, ref x, 8, k) : Vector512.LoadUnsafe(ref dy, 8);
        (lo * Factor(k, 0)).StoreUnsafe(ref dx);
        (hi * Factor(k, 8)).StoreUnsafe(ref dx, 8);
        return new Lanes512 { Lo = lo.AsDouble(), Hi = hi.AsDouble() };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes512 lanes, ref double destination)
    {
        lanes.Lo.StoreUnsafe(ref destination);
        lanes.Hi.StoreUnsafe(ref destination, 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes512 Widen<T>(Vector512<T> values)
        where T : unmanaged
        => new() { Lo = Vector512.WidenLower(values.AsSingle()), Hi = Vector512.WidenUpper(values.AsSingle()) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Gate<T>(ref T dy, ref T x, nuint offset, in Coefficients<T> k)
        where T : unmanaged
    {
        Vector512<T> scale = k.PerLane ? Vector512.LoadUnsafe(ref k.Scales, offset) : Vector512.Create(k.Scale);
        Vector512<T> shift = k.PerLane ? Vector512.LoadUnsafe(ref k.Shifts, offset) : Vector512.Create(k.Shift);
        Vector512<T> z = Exact.Fma(Vector512.LoadUnsafe(ref x, offset), scale, shift);
        return Vector512.AndNot(Vector512.LoadUnsafe(ref dy, offset), Vector512.LessThanOrEqual(z, Vector512<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Factor<T>(in Coefficients<T> k, nuint offset)
        where T : unmanaged
        => k.PerLane ? Vector512.LoadUnsafe(ref k.Factors, offset) : Vector512.Create(k.Factor);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator +(Lanes512 left, Lanes512 right)
        => new() { Lo = left.Lo + right.Lo, Hi = left.Hi + right.Hi };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator -(Lanes512 left, Lanes512 right)
        => new() { Lo = left.Lo - right.Lo, Hi = left.Hi - right.Hi };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator &(Lanes512 left, Lanes512 right)
        => new() { Lo = left.Lo & right.Lo, Hi = left.Hi & right.Hi };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 FusedMultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 c)
        => new() { Lo = Exact.Fma(a.Lo, b.Lo, c.Lo), Hi = Exact.Fma(a.Hi, b.Hi, c.Hi) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 TailMask(int valid)
        => Load(ref LaneMasks.Start(valid));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Lanes512 lanes)
    {
        Vector512<double> l8 = lanes.Lo + lanes.Hi;
        Vector256<double> l4 = l8.GetLower() + l8.GetUpper();
        Vector128<double> l2 = l4.GetLower() + l4.GetUpper();
        return l2.GetElement(0) + l2.GetElement(1);
    }
}

/// <summary>The sixteen lanes in four <see cref="Vector256{T}"/>: lanes 0–3, 4–7, 8–11 and 12–15.</summary>
internal struct Lanes256 : ILanes<Lanes256>
{
    public Vector256<double> A;
    public Vector256<double> B;
    public Vector256<double> C;
    public Vector256<double> D;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static Lanes256 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Broadcast(double value)
    {
        Vector256<double> v = Vector256.Create(value);
        return new Lanes256 { A = v, B = v, C = v, D = v };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Load<T>(ref T source)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Widen(Vector256.LoadUnsafe(ref source), Vector256.LoadUnsafe(ref source, 8))
            : new Lanes256
            {
                A = Vector256.LoadUnsafe(ref source).AsDouble(), B = Vector256.LoadUnsafe(ref source, 4).AsDouble(),
                C = Vector256.LoadUnsafe(ref source, 8).AsDouble(), D = Vector256.LoadUnsafe(ref source, 12).AsDouble(),
            };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 LoadGated<T>(ref T dy, ref T x, in Coefficients<T> k)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Widen(Gate(ref dy, ref x, 0, k), Gate(ref dy, ref x, 8, k))
            : new Lanes256
            {
                A = Gate(ref dy, ref x, 0, k).AsDouble(), B = Gate(ref dy, ref x, 4, k).AsDouble(),
                C = Gate(ref dy, ref x, 8, k).AsDouble(), D = Gate(ref dy, ref x, 12, k).AsDouble(),
            };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 LoadScaleStore<T>(ref T dy, ref T x, in Coefficients<T> k, bool gate, ref T dx)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector256<T> g0 = gate ? Gate(ref dy, ref x, 0, k) : Vector256.LoadUnsafe(ref dy);
            Vector256<T> g1 = gate ? Gate(ref dy, ref x, 8, k) : Vector256.LoadUnsafe(ref dy, 8);
            (g0 * Factor(k, 0)).StoreUnsafe(ref dx);
            (g1 * Factor(k, 8)).StoreUnsafe(ref dx, 8);
            return Widen(g0, g1);
        }
        Vector256<T> a = gate ? Gate(ref dy, ref x, 0, k) : Vector256.LoadUnsafe(ref dy);
        Vector256<T> b = gate ? Gate(ref dy, ref x, 4, k) : Vector256.LoadUnsafe(ref dy, 4);
        Vector256<T> c = gate ? Gate(ref dy, ref x, 8, k) : Vector256.LoadUnsafe(ref dy, 8);
        Vector256<T> d = gate ? Gate(ref dy, ref x, 12, k) : Vector256.LoadUnsafe(ref dy, 12);
        (a * Factor(k, 0)).StoreUnsafe(ref dx);
        (b * Factor(k, 4)).StoreUnsafe(ref dx, 4);
        (c * Factor(k, 8)).StoreUnsafe(ref dx, 8);
        (d * Factor(k, 12)).StoreUnsafe(ref dx, 12);
        return new Lanes256 { A = a.AsDouble(), B = b.AsDouble(), C = c.AsDouble(), D = d.AsDouble() };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes256 lanes, ref double destination)
    {
        lanes.A.StoreUnsafe(ref destination);
        lanes.B.StoreUnsafe(ref destination, 4);
        lanes.C.StoreUnsafe(ref destination, 8);
        lanes.D.StoreUnsafe(ref destination, 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes256 Widen<T>(Vector256<T> first, Vector256<T> second)
        where T : unmanaged
        => new()
        {
            A = Vector256.WidenLower(first.AsSingle()), B = Vector256.WidenUpper(first.AsSingle()),
            C = Vector256.WidenLower(second.AsSingle()), D = Vector256.WidenUpper(second.AsSingle()),
        };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Gate<T>(ref T dy, ref T x, nuint offset, in Coefficients<T> k)
        where T : unmanaged
    {
        Vector256<T> scale = k.PerLane ? Vector256.LoadUnsafe(ref k.Scales, offset) : Vector256.Create(k.Scale);
        Vector256<T> shift = k.PerLane ? Vector256.LoadUnsafe(ref k.Shifts, offset) : Vector256.Create(k.Shift);
        Vector256<T> z = Exact.Fma(Vector256.LoadUnsafe(ref x, offset), scale, shift);
        return Vector256.AndNot(Vector256.LoadUnsafe(ref dy, offset), Vector256.LessThanOrEqual(z, Vector256<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Factor<T>(in Coefficients<T> k, nuint offset)
        where T : unmanaged
        => k.PerLane ? Vector256.LoadUnsafe(ref k.Factors, offset) : Vector256.Create(k.Factor);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator +(Lanes256 left, Lanes256 right)
        => new() { A = left.A + right.A, B = left.B + right.B, C = left.C + right.C, D = left.D + right.D };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator -(Lanes256 left, Lanes256 right)
        => new() { A = left.A - right.A, B = left.B - right.B, C = left.C - right.C, D = left.D - right.D };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator &(Lanes256 left, Lanes256 right)
        => new() { A = left.A & right.A, B = left.B & right.B, C = left.C & right.C, D = left.D & right.D };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 FusedMultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 c) => new()
    {
        A = Exact.Fma(a.A, b.A, c.A), B = Exact.Fma(a.B, b.B, c.B),
        C = Exact.Fma(a.C, b.C, c.C), D = Exact.Fma(a.D, b.D, c.D),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 TailMask(int valid)
        => Load(ref LaneMasks.Start(valid));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Lanes256 lanes)
    {
        Vector256<double> l4 = (lanes.A + lanes.C) + (lanes.B + lanes.D);
        Vector128<double> l2 = l4.GetLower() + l4.GetUpper();
        return l2.GetElement(0) + l2.GetElement(1);
    }
}

/// <summary>
/// The sixteen lanes in eight <see cref="Vector128{T}"/> (lanes 2k and 2k + 1 in the k-th): SSE and Arm64 NEON, and the
/// software fallback where the machine has no usable SIMD at all.
/// </summary>
internal struct Lanes128 : ILanes<Lanes128>
{
    public Vector128<double> V0;
    public Vector128<double> V1;
    public Vector128<double> V2;
    public Vector128<double> V3;
    public Vector128<double> V4;
    public Vector128<double> V5;
    public Vector128<double> V6;
    public Vector128<double> V7;

    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    public static Lanes128 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Broadcast(double value)
    {
        Vector128<double> v = Vector128.Create(value);
        return new Lanes128 { V0 = v, V1 = v, V2 = v, V3 = v, V4 = v, V5 = v, V6 = v, V7 = v };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Load<T>(ref T source)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Widen(Vector128.LoadUnsafe(ref source), Vector128.LoadUnsafe(ref source, 4),
                Vector128.LoadUnsafe(ref source, 8), Vector128.LoadUnsafe(ref source, 12))
            : new Lanes128
            {
                V0 = Vector128.LoadUnsafe(ref source).AsDouble(), V1 = Vector128.LoadUnsafe(ref source, 2).AsDouble(),
                V2 = Vector128.LoadUnsafe(ref source, 4).AsDouble(), V3 = Vector128.LoadUnsafe(ref source, 6).AsDouble(),
                V4 = Vector128.LoadUnsafe(ref source, 8).AsDouble(), V5 = Vector128.LoadUnsafe(ref source, 10).AsDouble(),
                V6 = Vector128.LoadUnsafe(ref source, 12).AsDouble(), V7 = Vector128.LoadUnsafe(ref source, 14).AsDouble(),
            };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 LoadGated<T>(ref T dy, ref T x, in Coefficients<T> k)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Widen(Gate(ref dy, ref x, 0, k), Gate(ref dy, ref x, 4, k), Gate(ref dy, ref x, 8, k), Gate(ref dy, ref x, 12, k))
            : new Lanes128
            {
                V0 = Gate(ref dy, ref x, 0, k).AsDouble(), V1 = Gate(ref dy, ref x, 2, k).AsDouble(),
                V2 = Gate(ref dy, ref x, 4, k).AsDouble(), V3 = Gate(ref dy, ref x, 6, k).AsDouble(),
                V4 = Gate(ref dy, ref x, 8, k).AsDouble(), V5 = Gate(ref dy, ref x, 10, k).AsDouble(),
                V6 = Gate(ref dy, ref x, 12, k).AsDouble(), V7 = Gate(ref dy, ref x, 14, k).AsDouble(),
            };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 LoadScaleStore<T>(ref T dy, ref T x, in Coefficients<T> k, bool gate, ref T dx)
        where T : unmanaged
    {
        // The lanes first: in place (dx = dy), every dy must be read before any dx is written.
        Lanes128 lanes = gate ? LoadGated(ref dy, ref x, k) : Load(ref dy);
        Span<T> gated = stackalloc T[16];
        int count = Vector128<T>.Count;
        for (int i = 0; i < 16; i += count)
        {
            Vector128<T> g = gate ? Gate(ref dy, ref x, (nuint)i, k) : Vector128.LoadUnsafe(ref dy, (nuint)i);
            g.StoreUnsafe(ref gated[0], (nuint)i);
        }
        for (int i = 0; i < 16; i += count)
        {
            Vector128<T> factor = k.PerLane ? Vector128.LoadUnsafe(ref k.Factors, (nuint)i) : Vector128.Create(k.Factor);
            (Vector128.LoadUnsafe(ref gated[0], (nuint)i) * factor).StoreUnsafe(ref dx, (nuint)i);
        }
        return lanes;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lanes128 lanes, ref double destination)
    {
        lanes.V0.StoreUnsafe(ref destination);
        lanes.V1.StoreUnsafe(ref destination, 2);
        lanes.V2.StoreUnsafe(ref destination, 4);
        lanes.V3.StoreUnsafe(ref destination, 6);
        lanes.V4.StoreUnsafe(ref destination, 8);
        lanes.V5.StoreUnsafe(ref destination, 10);
        lanes.V6.StoreUnsafe(ref destination, 12);
        lanes.V7.StoreUnsafe(ref destination, 14);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lanes128 Widen<T>(Vector128<T> f0, Vector128<T> f1, Vector128<T> f2, Vector128<T> f3)
        where T : unmanaged
        => new()
        {
            V0 = Vector128.WidenLower(f0.AsSingle()), V1 = Vector128.WidenUpper(f0.AsSingle()),
            V2 = Vector128.WidenLower(f1.AsSingle()), V3 = Vector128.WidenUpper(f1.AsSingle()),
            V4 = Vector128.WidenLower(f2.AsSingle()), V5 = Vector128.WidenUpper(f2.AsSingle()),
            V6 = Vector128.WidenLower(f3.AsSingle()), V7 = Vector128.WidenUpper(f3.AsSingle()),
        };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Gate<T>(ref T dy, ref T x, nuint offset, in Coefficients<T> k)
        where T : unmanaged
    {
        Vector128<T> scale = k.PerLane ? Vector128.LoadUnsafe(ref k.Scales, offset) : Vector128.Create(k.Scale);
        Vector128<T> shift = k.PerLane ? Vector128.LoadUnsafe(ref k.Shifts, offset) : Vector128.Create(k.Shift);
        Vector128<T> z = Exact.Fma(Vector128.LoadUnsafe(ref x, offset), scale, shift);
        return Vector128.AndNot(Vector128.LoadUnsafe(ref dy, offset), Vector128.LessThanOrEqual(z, Vector128<T>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 operator +(Lanes128 l, Lanes128 r) => new()
    {
        V0 = l.V0 + r.V0, V1 = l.V1 + r.V1, V2 = l.V2 + r.V2, V3 = l.V3 + r.V3,
        V4 = l.V4 + r.V4, V5 = l.V5 + r.V5, V6 = l.V6 + r.V6, V7 = l.V7 + r.V7,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 operator -(Lanes128 l, Lanes128 r) => new()
    {
        V0 = l.V0 - r.V0, V1 = l.V1 - r.V1, V2 = l.V2 - r.V2, V3 = l.V3 - r.V3,
        V4 = l.V4 - r.V4, V5 = l.V5 - r.V5, V6 = l.V6 - r.V6, V7 = l.V7 - r.V7,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 operator &(Lanes128 l, Lanes128 r) => new()
    {
        V0 = l.V0 & r.V0, V1 = l.V1 & r.V1, V2 = l.V2 & r.V2, V3 = l.V3 & r.V3,
        V4 = l.V4 & r.V4, V5 = l.V5 & r.V5, V6 = l.V6 & r.V6, V7 = l.V7 & r.V7,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 FusedMultiplyAdd(Lanes128 a, Lanes128 b, Lanes128 c) => new()
    {
        V0 = Exact.Fma(a.V0, b.V0, c.V0), V1 = Exact.Fma(a.V1, b.V1, c.V1),
        V2 = Exact.Fma(a.V2, b.V2, c.V2), V3 = Exact.Fma(a.V3, b.V3, c.V3),
        V4 = Exact.Fma(a.V4, b.V4, c.V4), V5 = Exact.Fma(a.V5, b.V5, c.V5),
        V6 = Exact.Fma(a.V6, b.V6, c.V6), V7 = Exact.Fma(a.V7, b.V7, c.V7),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 TailMask(int valid)
        => Load(ref LaneMasks.Start(valid));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Lanes128 lanes)
    {
        Vector128<double> u0 = lanes.V0 + lanes.V4, u1 = lanes.V1 + lanes.V5, u2 = lanes.V2 + lanes.V6, u3 = lanes.V3 + lanes.V7;
        Vector128<double> l2 = (u0 + u2) + (u1 + u3);
        return l2.GetElement(0) + l2.GetElement(1);
    }
}
