using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnGen.Benchmarks;

/// <summary>
/// The least memory traffic each operation needs, on the same element count and buffers: "r2w1" reads x twice and writes
/// y once (a sum pass, then y = x·a + b), "r2r2w1" reads x and dy twice and writes dx once (Σdy and Σdy·x, then
/// dx = dy·a + x·b + c). Plain Vector&lt;T&gt; loops with independent accumulators; no statistics worth the name.
/// Spans, so that the peers benchmark (benchmarks/BnGen.Benchmarks.Peers, which links this file) can run the same passes
/// on its 64-byte aligned buffers.
/// </summary>
public static class Roofs
{
    public static void R2W1<T>(ReadOnlySpan<T> xs, Span<T> ys) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x = ref MemoryMarshal.GetReference(xs);
        ref T y = ref MemoryMarshal.GetReference(ys);
        int length = xs.Length;
        int count = Vector<T>.Count;
        Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, s2 = Vector<T>.Zero, s3 = Vector<T>.Zero;
        int i = 0;
        for (; i <= length - 4 * count; i += 4 * count)
        {
            s0 += Load(ref x, i);
            s1 += Load(ref x, i + count);
            s2 += Load(ref x, i + 2 * count);
            s3 += Load(ref x, i + 3 * count);
        }
        T sum = Vector.Sum((s0 + s1) + (s2 + s3));
        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref x, i);
        }
        var a = new Vector<T>(T.One + sum * T.CreateTruncating(1e-30));
        var b = new Vector<T>(sum * T.CreateTruncating(1e-9));
        i = 0;
        for (; i <= length - 2 * count; i += 2 * count)
        {
            Store(Load(ref x, i) * a + b, ref y, i);
            Store(Load(ref x, i + count) * a + b, ref y, i + count);
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref y, i) = Unsafe.Add(ref x, i) * a[0] + b[0];
        }
    }

    public static void R2R2W1<T>(ReadOnlySpan<T> xs, ReadOnlySpan<T> dys, Span<T> dxs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T x = ref MemoryMarshal.GetReference(xs);
        ref T dy = ref MemoryMarshal.GetReference(dys);
        ref T dx = ref MemoryMarshal.GetReference(dxs);
        int length = xs.Length;
        int count = Vector<T>.Count;
        Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, d0 = Vector<T>.Zero, d1 = Vector<T>.Zero;
        int i = 0;
        for (; i <= length - 2 * count; i += 2 * count)
        {
            Vector<T> g0 = Load(ref dy, i), g1 = Load(ref dy, i + count);
            s0 += g0;
            s1 += g1;
            d0 += g0 * Load(ref x, i);
            d1 += g1 * Load(ref x, i + count);
        }
        T sum = Vector.Sum(s0 + s1), dot = Vector.Sum(d0 + d1);
        for (; i < length; i++)
        {
            sum += Unsafe.Add(ref dy, i);
            dot += Unsafe.Add(ref dy, i) * Unsafe.Add(ref x, i);
        }
        var a = new Vector<T>(T.One + sum * T.CreateTruncating(1e-30));
        var b = new Vector<T>(dot * T.CreateTruncating(1e-9));
        var c = new Vector<T>(sum * T.CreateTruncating(1e-9));
        i = 0;
        for (; i <= length - count; i += count)
        {
            Store(Load(ref dy, i) * a + Load(ref x, i) * b + c, ref dx, i);
        }
        for (; i < length; i++)
        {
            Unsafe.Add(ref dx, i) = Unsafe.Add(ref dy, i) * a[0] + Unsafe.Add(ref x, i) * b[0] + c[0];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load<T>(ref T start, int offset)
        => Unsafe.ReadUnaligned<Vector<T>>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref start, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> value, ref T start, int offset)
        => Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref start, offset)), value);
}
