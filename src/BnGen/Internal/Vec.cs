using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace BnGen.Internal;

/// <summary>
/// One hardware vector of <typeparamref name="T"/> (float or double) for the element-wise passes, so that each pass is
/// written once and compiled for <see cref="Vector512{T}"/>, <see cref="Vector256{T}"/> or <see cref="Vector128{T}"/>.
/// Every operation is element-wise and rounds as its scalar form does, so results never depend on the width.
/// </summary>
internal interface IVec<TSelf, T>
    where TSelf : struct, IVec<TSelf, T>
    where T : unmanaged
{
    static abstract bool IsHardwareAccelerated { get; }

    static abstract int Count { get; }

    static abstract TSelf Load(ref T source);

    static abstract void Store(TSelf value, ref T destination);

    static abstract TSelf Broadcast(T value);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    /// <summary><c>a · b + c</c> rounded once.</summary>
    static abstract TSelf Fma(TSelf a, TSelf b, TSelf c);

    /// <summary>PyTorch's ReLU: <c>z &lt;= 0 ? +0 : z</c> (NaN stays NaN).</summary>
    static abstract TSelf Relu(TSelf z);

    /// <summary><paramref name="value"/> where <c>!(z &lt;= 0)</c>, +0 elsewhere: ReLU's gradient gate.</summary>
    static abstract TSelf PassWherePositive(TSelf value, TSelf z);
}

internal struct Vec512<T> : IVec<Vec512<T>, T>
    where T : unmanaged
{
    public Vector512<T> V;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static int Count => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> Load(ref T source) => new() { V = Vector512.LoadUnsafe(ref source) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vec512<T> value, ref T destination) => value.V.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> Broadcast(T value) => new() { V = Vector512.Create(value) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> operator -(Vec512<T> left, Vec512<T> right) => new() { V = left.V - right.V };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> operator *(Vec512<T> left, Vec512<T> right) => new() { V = left.V * right.V };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> Fma(Vec512<T> a, Vec512<T> b, Vec512<T> c) => new() { V = Exact.Fma(a.V, b.V, c.V) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> Relu(Vec512<T> z) => new() { V = Exact.Relu(z.V) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec512<T> PassWherePositive(Vec512<T> value, Vec512<T> z)
        => new() { V = Vector512.AndNot(value.V, Vector512.LessThanOrEqual(z.V, Vector512<T>.Zero)) };
}

internal struct Vec256<T> : IVec<Vec256<T>, T>
    where T : unmanaged
{
    public Vector256<T> V;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static int Count => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> Load(ref T source) => new() { V = Vector256.LoadUnsafe(ref source) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vec256<T> value, ref T destination) => value.V.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> Broadcast(T value) => new() { V = Vector256.Create(value) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> operator -(Vec256<T> left, Vec256<T> right) => new() { V = left.V - right.V };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> operator *(Vec256<T> left, Vec256<T> right) => new() { V = left.V * right.V };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> Fma(Vec256<T> a, Vec256<T> b, Vec256<T> c) => new() { V = Exact.Fma(a.V, b.V, c.V) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> Relu(Vec256<T> z) => new() { V = Exact.Relu(z.V) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec256<T> PassWherePositive(Vec256<T> value, Vec256<T> z)
        => new() { V = Vector256.AndNot(value.V, Vector256.LessThanOrEqual(z.V, Vector256<T>.Zero)) };
}

internal struct Vec128<T> : IVec<Vec128<T>, T>
    where T : unmanaged
{
    public Vector128<T> V;

    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    public static int Count => Vector128<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> Load(ref T source) => new() { V = Vector128.LoadUnsafe(ref source) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vec128<T> value, ref T destination) => value.V.StoreUnsafe(ref destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> Broadcast(T value) => new() { V = Vector128.Create(value) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> operator -(Vec128<T> left, Vec128<T> right) => new() { V = left.V - right.V };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> operator *(Vec128<T> left, Vec128<T> right) => new() { V = left.V * right.V };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> Fma(Vec128<T> a, Vec128<T> b, Vec128<T> c) => new() { V = Exact.Fma(a.V, b.V, c.V) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> Relu(Vec128<T> z) => new() { V = Exact.Relu(z.V) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec128<T> PassWherePositive(Vec128<T> value, Vec128<T> z)
        => new() { V = Vector128.AndNot(value.V, Vector128.LessThanOrEqual(z.V, Vector128<T>.Zero)) };
}

/// <summary>One value: the row passes' form where the machine has no SIMD (every value goes through the scalar tail).</summary>
internal struct Scalar1<T> : IVec<Scalar1<T>, T>
    where T : unmanaged
{
    public T V;

    public static bool IsHardwareAccelerated => true;

    public static int Count => 1;

    public static Scalar1<T> Load(ref T source) => new() { V = source };

    public static void Store(Scalar1<T> value, ref T destination) => destination = value.V;

    public static Scalar1<T> Broadcast(T value) => new() { V = value };

    public static Scalar1<T> operator -(Scalar1<T> left, Scalar1<T> right) => new() { V = Scalar.Subtract(left.V, right.V) };

    public static Scalar1<T> operator *(Scalar1<T> left, Scalar1<T> right) => new() { V = Scalar.Multiply(left.V, right.V) };

    public static Scalar1<T> Fma(Scalar1<T> a, Scalar1<T> b, Scalar1<T> c) => new() { V = Exact.Fma(a.V, b.V, c.V) };

    public static Scalar1<T> Relu(Scalar1<T> z) => new() { V = Exact.Relu(z.V) };

    public static Scalar1<T> PassWherePositive(Scalar1<T> value, Scalar1<T> z)
        => Scalar.ToDouble(z.V) <= 0d ? default : value;
}
