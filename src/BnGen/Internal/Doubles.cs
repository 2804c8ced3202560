using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BnGen.Internal;

/// <summary>
/// One hardware vector of double accumulators, holding <see cref="Count"/> consecutive lanes of BnGen's sixteen logical
/// lanes (see <see cref="RunSums"/>): two <see cref="Vector512{T}"/>, four <see cref="Vector256{T}"/> or eight
/// <see cref="Vector128{T}"/> hold the sixteen. Every operation is lane-wise and rounds as its scalar form does, so the
/// sums come out the same, bit for bit, whichever width runs them. The JIT keeps such vectors in
/// register: the width is a marker type and the vectors are plain <c>Vector*&lt;double&gt;</c> locals.
/// </summary>
internal interface IDoubles<TVec>
    where TVec : struct
{
    /// <summary>Whether this width runs on hardware vectors here (the JIT folds it).</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>Doubles per vector: 8, 4 or 2.</summary>
    static abstract int Count { get; }

    static abstract TVec Zero { get; }

    static abstract TVec Create(double value);

    /// <summary><see cref="Count"/> values of <typeparamref name="T"/> (float or double) at <paramref name="source"/>, exactly as doubles.</summary>
    static abstract TVec Load<T>(ref T source)
        where T : unmanaged;

    /// <summary>
    /// <see cref="Count"/> values of <paramref name="dy"/>, each replaced by +0 where ReLU's forward output
    /// <c>fma(x − center, scale, shift)</c>, computed in <typeparamref name="T"/> as the forward computes it (center rounded
    /// to T), is <c>&lt;= 0</c>; as doubles.
    /// </summary>
    static abstract TVec LoadGated<T>(ref T dy, ref T x, TVec center, TVec scale, TVec shift)
        where T : unmanaged;

    /// <summary>
    /// Stores <c>dy' · factor</c> in <typeparamref name="T"/> for the <see cref="Count"/> values (dy' exact in double), the
    /// <see cref="Count"/> factors read from <paramref name="factors"/>.
    /// </summary>
    static abstract void StoreScaled<T>(TVec dy, ref T factors, ref T destination)
        where T : unmanaged;

    /// <summary>
    /// Stores <c>source · factor</c> in <typeparamref name="T"/> for the <see cref="Count"/> values at
    /// <paramref name="source"/>: the same bits as <see cref="StoreScaled"/> of those values, without narrowing.
    /// </summary>
    static abstract void StoreProduct<T>(ref T source, ref T factors, ref T destination)
        where T : unmanaged;

    static abstract void Store(TVec value, ref double destination);

    static abstract TVec Add(TVec left, TVec right);

    static abstract TVec Subtract(TVec left, TVec right);

    static abstract TVec And(TVec left, TVec right);

    /// <summary><c>a · b + c</c> rounded once, lane by lane.</summary>
    static abstract TVec Fma(TVec a, TVec b, TVec c);

    /// <summary>The vector's lanes summed by halving: lane i += lane i + Count/2, and so on down to one.</summary>
    static abstract double Sum(TVec value);
}

internal struct Doubles512 : IDoubles<Vector512<double>>
{

    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    public static int Count => 8;

    public static Vector512<double> Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Create(double value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Load<T>(ref T source)
        where T : unmanaged
        => typeof(T) == typeof(float)
                ? Vector512.WidenLower(Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref source)).ToVector512Unsafe())
                : Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> LoadGated<T>(ref T dy, ref T x, Vector512<double> center, Vector512<double> scale,
        Vector512<double> shift)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector256<float> c = Vector512.Narrow(center, center).GetLower();
            Vector256<float> s = Vector512.Narrow(scale, scale).GetLower(), h = Vector512.Narrow(shift, shift).GetLower();
            Vector256<float> z = Exact.Fma(Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref x)) - c, s, h);
            Vector256<float> g = Vector256.AndNot(Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref dy)), Vector256.LessThanOrEqual(z, Vector256<float>.Zero));
            return Vector512.WidenLower(g.ToVector512Unsafe());
        }
        Vector512<double> zd = Exact.Fma(Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref x)) - center, scale, shift);
        return Vector512.AndNot(Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref dy)), Vector512.LessThanOrEqual(zd, Vector512<double>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScaled<T>(Vector512<double> dy, ref T factors, ref T destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            // Exact: dy' holds floats.
            Vector256<float> g = Avx512F.IsSupported ? Avx512F.ConvertToVector256Single(dy)
                : Vector512.Narrow(dy, dy).GetLower();
            (g * Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref factors)))
                .StoreUnsafe(ref Unsafe.As<T, float>(ref destination));
            return;
        }
        (dy * Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref factors))).StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreProduct<T>(ref T source, ref T factors, ref T destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            (Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref source)) * Vector256.LoadUnsafe(ref Unsafe.As<T, float>(ref factors)))
                .StoreUnsafe(ref Unsafe.As<T, float>(ref destination));
            return;
        }
        (Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref source)) * Vector512.LoadUnsafe(ref Unsafe.As<T, double>(ref factors)))
            .StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> value, ref double destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Add(Vector512<double> left, Vector512<double> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Subtract(Vector512<double> left, Vector512<double> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> And(Vector512<double> left, Vector512<double> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Exact.Fma(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector512<double> value)
    {
        Vector256<double> l4 = value.GetLower() + value.GetUpper();
        Vector128<double> l2 = l4.GetLower() + l4.GetUpper();
        return l2.GetElement(0) + l2.GetElement(1);
    }
}

internal struct Doubles256 : IDoubles<Vector256<double>>
{

    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;

    public static int Count => 4;

    public static Vector256<double> Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Create(double value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Load<T>(ref T source)
        where T : unmanaged
        => typeof(T) == typeof(float)
                ? Vector256.WidenLower(Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref source)).ToVector256Unsafe())
                : Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> LoadGated<T>(ref T dy, ref T x, Vector256<double> center, Vector256<double> scale,
        Vector256<double> shift)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector128<float> c = Vector256.Narrow(center, center).GetLower();
            Vector128<float> s = Vector256.Narrow(scale, scale).GetLower(), h = Vector256.Narrow(shift, shift).GetLower();
            Vector128<float> z = Exact.Fma(Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref x)) - c, s, h);
            Vector128<float> g = Vector128.AndNot(Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref dy)), Vector128.LessThanOrEqual(z, Vector128<float>.Zero));
            return Vector256.WidenLower(g.ToVector256Unsafe());
        }
        Vector256<double> zd = Exact.Fma(Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref x)) - center, scale, shift);
        return Vector256.AndNot(Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref dy)), Vector256.LessThanOrEqual(zd, Vector256<double>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScaled<T>(Vector256<double> dy, ref T factors, ref T destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            // Exact: dy' holds floats.
            Vector128<float> g = Avx.IsSupported ? Avx.ConvertToVector128Single(dy)
                : Vector256.Narrow(dy, dy).GetLower();
            (g * Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref factors)))
                .StoreUnsafe(ref Unsafe.As<T, float>(ref destination));
            return;
        }
        (dy * Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref factors))).StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreProduct<T>(ref T source, ref T factors, ref T destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            (Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref source)) * Vector128.LoadUnsafe(ref Unsafe.As<T, float>(ref factors)))
                .StoreUnsafe(ref Unsafe.As<T, float>(ref destination));
            return;
        }
        (Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref source)) * Vector256.LoadUnsafe(ref Unsafe.As<T, double>(ref factors)))
            .StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<double> value, ref double destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Add(Vector256<double> left, Vector256<double> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Subtract(Vector256<double> left, Vector256<double> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> And(Vector256<double> left, Vector256<double> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Exact.Fma(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector256<double> value)
    {
        Vector128<double> l2 = value.GetLower() + value.GetUpper();
        return l2.GetElement(0) + l2.GetElement(1);
    }
}

/// <summary>SSE, Arm64 NEON, and the software fallback where the machine has no usable SIMD.</summary>
internal struct Doubles128 : IDoubles<Vector128<double>>
{

    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;

    public static int Count => 2;

    public static Vector128<double> Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Create(double value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Load<T>(ref T source)
        where T : unmanaged
        => typeof(T) == typeof(float)
                ? Vector128.WidenLower(Vector64.LoadUnsafe(ref Unsafe.As<T, float>(ref source)).ToVector128Unsafe())
                : Vector128.LoadUnsafe(ref Unsafe.As<T, double>(ref source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> LoadGated<T>(ref T dy, ref T x, Vector128<double> center, Vector128<double> scale,
        Vector128<double> shift)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            // Two floats: the scalar gate, which rounds exactly like every vector form.
            float c0 = (float)center.GetElement(0), c1 = (float)center.GetElement(1);
            float s0 = (float)scale.GetElement(0), s1 = (float)scale.GetElement(1);
            float h0 = (float)shift.GetElement(0), h1 = (float)shift.GetElement(1);
            ref float xf = ref Unsafe.As<T, float>(ref x);
            ref float dyf = ref Unsafe.As<T, float>(ref dy);
            float g0 = Exact.Fma(xf - c0, s0, h0) <= 0f ? 0f : dyf;
            float g1 = Exact.Fma(Unsafe.Add(ref xf, 1) - c1, s1, h1) <= 0f ? 0f : Unsafe.Add(ref dyf, 1);
            return Vector128.Create((double)g0, g1);
        }
        Vector128<double> zd = Exact.Fma(Vector128.LoadUnsafe(ref Unsafe.As<T, double>(ref x)) - center, scale, shift);
        return Vector128.AndNot(Vector128.LoadUnsafe(ref Unsafe.As<T, double>(ref dy)), Vector128.LessThanOrEqual(zd, Vector128<double>.Zero));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreScaled<T>(Vector128<double> dy, ref T factors, ref T destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            ref float f = ref Unsafe.As<T, float>(ref factors);
            ref float d = ref Unsafe.As<T, float>(ref destination);
            d = (float)dy.GetElement(0) * f;
            Unsafe.Add(ref d, 1) = (float)dy.GetElement(1) * Unsafe.Add(ref f, 1);
            return;
        }
        (dy * Vector128.LoadUnsafe(ref Unsafe.As<T, double>(ref factors))).StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreProduct<T>(ref T source, ref T factors, ref T destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            ref float f = ref Unsafe.As<T, float>(ref factors);
            ref float d = ref Unsafe.As<T, float>(ref destination);
            ref float x = ref Unsafe.As<T, float>(ref source);
            float x0 = x, x1 = Unsafe.Add(ref x, 1);
            d = x0 * f;
            Unsafe.Add(ref d, 1) = x1 * Unsafe.Add(ref f, 1);
            return;
        }
        (Vector128.LoadUnsafe(ref Unsafe.As<T, double>(ref source)) * Vector128.LoadUnsafe(ref Unsafe.As<T, double>(ref factors)))
            .StoreUnsafe(ref Unsafe.As<T, double>(ref destination));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<double> value, ref double destination) => value.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Add(Vector128<double> left, Vector128<double> right) => left + right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Subtract(Vector128<double> left, Vector128<double> right) => left - right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> And(Vector128<double> left, Vector128<double> right) => left & right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Exact.Fma(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector128<double> value) => value.GetElement(0) + value.GetElement(1);
}
