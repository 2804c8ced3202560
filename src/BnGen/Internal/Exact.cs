using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

namespace BnGen.Internal;

/// <summary>
/// Fused multiply-add that rounds once on every machine: the hardware instruction where there is one, otherwise an
/// exact software computation (<see cref="Math.FusedMultiplyAdd(double, double, double)"/>, correctly rounded, slow).
/// BnGen never falls back to a multiply then an add, so a machine without FMA gives the same bits as one with it.
/// </summary>
internal static class Exact
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c)
    {
#if NET9_0_OR_GREATER
        return Vector512.FusedMultiplyAdd(a, b, c);
#else
        return Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c)
            : Vector512.Create(Fma(a.GetLower(), b.GetLower(), c.GetLower()), Fma(a.GetUpper(), b.GetUpper(), c.GetUpper()));
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c)
    {
#if NET9_0_OR_GREATER
        return Vector512.FusedMultiplyAdd(a, b, c);
#else
        return Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c)
            : Vector512.Create(Fma(a.GetLower(), b.GetLower(), c.GetLower()), Fma(a.GetUpper(), b.GetUpper(), c.GetUpper()));
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c)
    {
#if NET9_0_OR_GREATER
        return Vector256.FusedMultiplyAdd(a, b, c);
#else
        return System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c)
            : Vector256.Create(Fma(a.GetLower(), b.GetLower(), c.GetLower()), Fma(a.GetUpper(), b.GetUpper(), c.GetUpper()));
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c)
    {
#if NET9_0_OR_GREATER
        return Vector256.FusedMultiplyAdd(a, b, c);
#else
        return System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c)
            : Vector256.Create(Fma(a.GetLower(), b.GetLower(), c.GetLower()), Fma(a.GetUpper(), b.GetUpper(), c.GetUpper()));
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c)
    {
#if NET9_0_OR_GREATER
        return Vector128.FusedMultiplyAdd(a, b, c);
#else
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c);
        }
        if (AdvSimd.IsSupported)
        {
            return AdvSimd.FusedMultiplyAdd(c, a, b);
        }
        return Vector128.Create(Fma(a[0], b[0], c[0]), Fma(a[1], b[1], c[1]), Fma(a[2], b[2], c[2]), Fma(a[3], b[3], c[3]));
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> c)
    {
#if NET9_0_OR_GREATER
        return Vector128.FusedMultiplyAdd(a, b, c);
#else
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            return System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c);
        }
        if (AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.FusedMultiplyAdd(c, a, b);
        }
        return Vector128.Create(Fma(a[0], b[0], c[0]), Fma(a[1], b[1], c[1]));
#endif
    }

    /// <summary><c>a · b + c</c> rounded once, for <typeparamref name="T"/> float or double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Fma<T>(T a, T b, T c)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float r = Fma(Unsafe.As<T, float>(ref a), Unsafe.As<T, float>(ref b), Unsafe.As<T, float>(ref c));
            return Unsafe.As<float, T>(ref r);
        }
        double d = Fma(Unsafe.As<T, double>(ref a), Unsafe.As<T, double>(ref b), Unsafe.As<T, double>(ref c));
        return Unsafe.As<double, T>(ref d);
    }

    /// <inheritdoc cref="Fma{T}(T, T, T)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Fma(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Fma(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc cref="Fma{T}(T, T, T)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Fma(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Fma(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc cref="Fma{T}(T, T, T)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Fma<T>(Vector128<T> a, Vector128<T> b, Vector128<T> c)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? Fma(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
            : Fma(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();

    /// <inheritdoc cref="Relu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Relu<T>(T z)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float r = Relu(Unsafe.As<T, float>(ref z));
            return Unsafe.As<float, T>(ref r);
        }
        double d = Relu(Unsafe.As<T, double>(ref z));
        return Unsafe.As<double, T>(ref d);
    }

    /// <summary>PyTorch's ReLU, <c>z &lt;= 0 ? 0 : z</c>: non-positive values (−0 included) become +0, NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float z) => z <= 0f ? 0f : z;

    /// <inheritdoc cref="Relu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Relu(double z) => z <= 0d ? 0d : z;

    /// <inheritdoc cref="Relu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Relu<T>(Vector512<T> z) where T : unmanaged
        => Vector512.AndNot(z, Vector512.LessThanOrEqual(z, Vector512<T>.Zero));

    /// <inheritdoc cref="Relu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Relu<T>(Vector256<T> z) where T : unmanaged
        => Vector256.AndNot(z, Vector256.LessThanOrEqual(z, Vector256<T>.Zero));

    /// <inheritdoc cref="Relu(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Relu<T>(Vector128<T> z) where T : unmanaged
        => Vector128.AndNot(z, Vector128.LessThanOrEqual(z, Vector128<T>.Zero));
}
