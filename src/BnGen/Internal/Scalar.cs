using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>Scalar arithmetic on T = float or double, and the conversions to and from double.</summary>
internal static class Scalar
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ToDouble<T>(T value)
        where T : unmanaged
        => typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref value) : Unsafe.As<T, double>(ref value);

    /// <summary>Rounds <paramref name="value"/> to <typeparamref name="T"/> (to nearest, ties to even).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T FromDouble<T>(double value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = (float)value;
            return Unsafe.As<float, T>(ref f);
        }
        return Unsafe.As<double, T>(ref value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply<T>(T left, T right)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = Unsafe.As<T, float>(ref left) * Unsafe.As<T, float>(ref right);
            return Unsafe.As<float, T>(ref f);
        }
        double d = Unsafe.As<T, double>(ref left) * Unsafe.As<T, double>(ref right);
        return Unsafe.As<double, T>(ref d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Subtract<T>(T left, T right)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = Unsafe.As<T, float>(ref left) - Unsafe.As<T, float>(ref right);
            return Unsafe.As<float, T>(ref f);
        }
        double d = Unsafe.As<T, double>(ref left) - Unsafe.As<T, double>(ref right);
        return Unsafe.As<double, T>(ref d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add<T>(T left, T right)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = Unsafe.As<T, float>(ref left) + Unsafe.As<T, float>(ref right);
            return Unsafe.As<float, T>(ref f);
        }
        double d = Unsafe.As<T, double>(ref left) + Unsafe.As<T, double>(ref right);
        return Unsafe.As<double, T>(ref d);
    }
}
