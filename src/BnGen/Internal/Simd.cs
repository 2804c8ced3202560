using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
#if !NET9_0_OR_GREATER
using System;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

namespace BnGen.Internal;

/// <summary>
/// Vector primitives used by generated layers and by <see cref="BatchNormKernels"/>. They exist so that the same emitted
/// code compiles on .NET 8 and later: unaligned loads and stores of <see cref="Vector{T}"/>, and a multiply-add that is a
/// fused multiply-add (one rounding) wherever the hardware has one and a multiply then an add elsewhere — never a slow
/// software emulation. Scalar and vector forms round identically, so a value's result does not depend on whether it fell
/// in a vector or in a tail.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Simd
{
    /// <summary>Loads <c>Vector&lt;float&gt;.Count</c> values starting at <c>Unsafe.Add(ref start, offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ref float start, nint offset)
        => Unsafe.ReadUnaligned<Vector<float>>(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref start, offset)));

    /// <summary>Loads <c>Vector&lt;double&gt;.Count</c> values starting at <c>Unsafe.Add(ref start, offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Load(ref double start, nint offset)
        => Unsafe.ReadUnaligned<Vector<double>>(ref Unsafe.As<double, byte>(ref Unsafe.Add(ref start, offset)));

    /// <summary>Stores <paramref name="value"/> at <c>Unsafe.Add(ref start, offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<float> value, ref float start, nint offset)
        => Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref start, offset)), value);

    /// <summary>Stores <paramref name="value"/> at <c>Unsafe.Add(ref start, offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<double> value, ref double start, nint offset)
        => Unsafe.WriteUnaligned(ref Unsafe.As<double, byte>(ref Unsafe.Add(ref start, offset)), value);

    /// <summary>Whether <see cref="MultiplyAdd(float, float, float)"/> and its vector forms round once (hardware FMA).</summary>
    public static bool IsFused
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
#if NET9_0_OR_GREATER
        get => System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
#else
        get => Fma.IsSupported || AdvSimd.IsSupported;
#endif
    }

    /// <summary><c>a * b + c</c>, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> MultiplyAdd(Vector<float> a, Vector<float> b, Vector<float> c)
    {
#if NET9_0_OR_GREATER
        return Vector.MultiplyAddEstimate(a, b, c);
#else
        if (Vector<float>.Count == 8 && Fma.IsSupported)
        {
            return Fma.MultiplyAdd(a.AsVector256(), b.AsVector256(), c.AsVector256()).AsVector();
        }
        if (Vector<float>.Count == 16 && Avx512F.IsSupported)
        {
            return Avx512F.FusedMultiplyAdd(a.AsVector512(), b.AsVector512(), c.AsVector512()).AsVector();
        }
        if (Vector<float>.Count == 4 && Fma.IsSupported)
        {
            return Fma.MultiplyAdd(a.AsVector128(), b.AsVector128(), c.AsVector128()).AsVector();
        }
        if (Vector<float>.Count == 4 && AdvSimd.IsSupported)
        {
            return AdvSimd.FusedMultiplyAdd(c.AsVector128(), a.AsVector128(), b.AsVector128()).AsVector();
        }
        return a * b + c;
#endif
    }

    /// <summary><c>a * b + c</c>, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> MultiplyAdd(Vector<double> a, Vector<double> b, Vector<double> c)
    {
#if NET9_0_OR_GREATER
        return Vector.MultiplyAddEstimate(a, b, c);
#else
        if (Vector<double>.Count == 4 && Fma.IsSupported)
        {
            return Fma.MultiplyAdd(a.AsVector256(), b.AsVector256(), c.AsVector256()).AsVector();
        }
        if (Vector<double>.Count == 8 && Avx512F.IsSupported)
        {
            return Avx512F.FusedMultiplyAdd(a.AsVector512(), b.AsVector512(), c.AsVector512()).AsVector();
        }
        if (Vector<double>.Count == 2 && Fma.IsSupported)
        {
            return Fma.MultiplyAdd(a.AsVector128(), b.AsVector128(), c.AsVector128()).AsVector();
        }
        if (Vector<double>.Count == 2 && AdvSimd.Arm64.IsSupported)
        {
            return AdvSimd.Arm64.FusedMultiplyAdd(c.AsVector128(), a.AsVector128(), b.AsVector128()).AsVector();
        }
        return a * b + c;
#endif
    }

    /// <summary><c>a * b + c</c>, fused exactly when the vector forms are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MultiplyAdd(float a, float b, float c)
    {
#if NET9_0_OR_GREATER
        return float.MultiplyAddEstimate(a, b, c);
#else
        return Fma.IsSupported || AdvSimd.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c;
#endif
    }

    /// <summary><c>a * b + c</c>, fused exactly when the vector forms are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MultiplyAdd(double a, double b, double c)
    {
#if NET9_0_OR_GREATER
        return double.MultiplyAddEstimate(a, b, c);
#else
        return Fma.IsSupported || AdvSimd.IsSupported ? Math.FusedMultiplyAdd(a, b, c) : a * b + c;
#endif
    }
}
