using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BnGen.Internal;

namespace BnGen;

// The passes over memory the public kernels are made of, generic over the element type T (float or double). Every
// `typeof(T) == typeof(float)` test is a constant for each instantiation, so the JIT keeps one branch and drops the
// other: the float and double code paths are as if written separately. Reductions accumulate in double; element-wise
// passes work in T with fused multiply-add (Simd.MultiplyAdd).
public static partial class BatchNormKernels
{
    /// <summary>
    /// Elements of T that <see cref="LoadWide{T}"/> turns into two double vectors: one float vector, or two double vectors
    /// (the same count, <c>Vector&lt;float&gt;.Count</c>, for both element types).
    /// </summary>
    private static int WideCount
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => 2 * Vector<double>.Count;
    }

    /// <summary>Loads <see cref="WideCount"/> values at <c>start + offset</c> as two double vectors, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadWide<T>(ref T start, nint offset, out Vector<double> low, out Vector<double> high)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector.Widen(Simd.Load(ref Unsafe.As<T, float>(ref start), offset), out low, out high);
        }
        else
        {
            ref double d = ref Unsafe.As<T, double>(ref start);
            low = Simd.Load(ref d, offset);
            high = Simd.Load(ref d, offset + Vector<double>.Count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> Load<T>(ref T start, nint offset)
        where T : unmanaged
        => Unsafe.ReadUnaligned<Vector<T>>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref start, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector<T> value, ref T start, nint offset)
        where T : unmanaged
        => Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref start, offset)), value);

    /// <summary><c>a · b + c</c> per lane, fused where the hardware has FMA (see <see cref="Simd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<T> MultiplyAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector<float> r = Simd.MultiplyAdd(
                Unsafe.As<Vector<T>, Vector<float>>(ref a), Unsafe.As<Vector<T>, Vector<float>>(ref b), Unsafe.As<Vector<T>, Vector<float>>(ref c));
            return Unsafe.As<Vector<float>, Vector<T>>(ref r);
        }
        Vector<double> d = Simd.MultiplyAdd(
            Unsafe.As<Vector<T>, Vector<double>>(ref a), Unsafe.As<Vector<T>, Vector<double>>(ref b), Unsafe.As<Vector<T>, Vector<double>>(ref c));
        return Unsafe.As<Vector<double>, Vector<T>>(ref d);
    }

    /// <summary><c>a · b + c</c>, rounded exactly as the vector form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MultiplyAdd<T>(T a, T b, T c)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float r = Simd.MultiplyAdd(Unsafe.As<T, float>(ref a), Unsafe.As<T, float>(ref b), Unsafe.As<T, float>(ref c));
            return Unsafe.As<float, T>(ref r);
        }
        double d = Simd.MultiplyAdd(Unsafe.As<T, double>(ref a), Unsafe.As<T, double>(ref b), Unsafe.As<T, double>(ref c));
        return Unsafe.As<double, T>(ref d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double ToDouble<T>(T value)
        where T : unmanaged
        => typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref value) : Unsafe.As<T, double>(ref value);

    /// <summary>Rounds a double to T (to nearest for float; the identity for double).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T FromDouble<T>(double value)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = (float)value;
            return Unsafe.As<float, T>(ref f);
        }
        return Unsafe.As<double, T>(ref value);
    }

    // ---- Channel passes (NCHW): channel c is `batch` contiguous runs of `plane` values, `stride` = features · plane apart.

    /// <summary>Σ x over one channel in double: two wide steps per iteration into four independent accumulators.</summary>
    private static double ChannelSum<T>(ref T channel, int batch, int plane, nint stride)
        where T : unmanaged
    {
        Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero, acc2 = Vector<double>.Zero, acc3 = Vector<double>.Zero;
        double tail = 0d;
        for (int n = 0; n < batch; n++)
        {
            ref T run = ref Unsafe.Add(ref channel, n * stride);
            int s = 0;
            for (; s <= plane - 2 * WideCount; s += 2 * WideCount)
            {
                LoadWide(ref run, s, out Vector<double> v0, out Vector<double> v1);
                LoadWide(ref run, s + WideCount, out Vector<double> v2, out Vector<double> v3);
                acc0 += v0;
                acc1 += v1;
                acc2 += v2;
                acc3 += v3;
            }
            for (; s <= plane - WideCount; s += WideCount)
            {
                LoadWide(ref run, s, out Vector<double> v0, out Vector<double> v1);
                acc0 += v0;
                acc1 += v1;
            }
            // A reduction never reloads a lane: the tail is scalar.
            for (; s < plane; s++)
            {
                tail += ToDouble(Unsafe.Add(ref run, s));
            }
        }
        return Vector.Sum((acc0 + acc1) + (acc2 + acc3)) + tail;
    }

    /// <summary>Σ (x − mean)² over one channel in double: the second pass of the two-pass variance.</summary>
    private static double ChannelSquaredDeviations<T>(ref T channel, int batch, int plane, nint stride, double mean)
        where T : unmanaged
    {
        Vector<double> acc0 = Vector<double>.Zero, acc1 = Vector<double>.Zero, acc2 = Vector<double>.Zero, acc3 = Vector<double>.Zero;
        Vector<double> m = new(mean);
        double tail = 0d;
        for (int n = 0; n < batch; n++)
        {
            ref T run = ref Unsafe.Add(ref channel, n * stride);
            int s = 0;
            for (; s <= plane - 2 * WideCount; s += 2 * WideCount)
            {
                LoadWide(ref run, s, out Vector<double> v0, out Vector<double> v1);
                LoadWide(ref run, s + WideCount, out Vector<double> v2, out Vector<double> v3);
                Vector<double> d0 = v0 - m, d1 = v1 - m, d2 = v2 - m, d3 = v3 - m;
                acc0 = Simd.MultiplyAdd(d0, d0, acc0);
                acc1 = Simd.MultiplyAdd(d1, d1, acc1);
                acc2 = Simd.MultiplyAdd(d2, d2, acc2);
                acc3 = Simd.MultiplyAdd(d3, d3, acc3);
            }
            for (; s <= plane - WideCount; s += WideCount)
            {
                LoadWide(ref run, s, out Vector<double> v0, out Vector<double> v1);
                Vector<double> d0 = v0 - m, d1 = v1 - m;
                acc0 = Simd.MultiplyAdd(d0, d0, acc0);
                acc1 = Simd.MultiplyAdd(d1, d1, acc1);
            }
            for (; s < plane; s++)
            {
                double d = ToDouble(Unsafe.Add(ref run, s)) - mean;
                tail = Simd.MultiplyAdd(d, d, tail);
            }
        }
        return Vector.Sum((acc0 + acc1) + (acc2 + acc3)) + tail;
    }

    /// <summary>Σ dy and Σ dy · (x − mean) over one channel in double, in one pass over x and dy.</summary>
    private static void ChannelGradientSums<T>(ref T x, ref T dy, int batch, int plane, nint stride, double mean, out double sumDy, out double dot)
        where T : unmanaged
    {
        Vector<double> sum0 = Vector<double>.Zero, sum1 = Vector<double>.Zero, dot0 = Vector<double>.Zero, dot1 = Vector<double>.Zero;
        Vector<double> m = new(mean);
        double sumTail = 0d, dotTail = 0d;
        for (int n = 0; n < batch; n++)
        {
            ref T xs = ref Unsafe.Add(ref x, n * stride);
            ref T gs = ref Unsafe.Add(ref dy, n * stride);
            int s = 0;
            for (; s <= plane - WideCount; s += WideCount)
            {
                LoadWide(ref xs, s, out Vector<double> x0, out Vector<double> x1);
                LoadWide(ref gs, s, out Vector<double> g0, out Vector<double> g1);
                sum0 += g0;
                sum1 += g1;
                dot0 = Simd.MultiplyAdd(g0, x0 - m, dot0);
                dot1 = Simd.MultiplyAdd(g1, x1 - m, dot1);
            }
            for (; s < plane; s++)
            {
                double g = ToDouble(Unsafe.Add(ref gs, s));
                sumTail += g;
                dotTail = Simd.MultiplyAdd(g, ToDouble(Unsafe.Add(ref xs, s)) - mean, dotTail);
            }
        }
        sumDy = Vector.Sum(sum0 + sum1) + sumTail;
        dot = Vector.Sum(dot0 + dot1) + dotTail;
    }

    /// <summary>y = x · scale + shift over one channel, two vectors per step.</summary>
    private static void ChannelAffine<T>(ref T x, ref T y, int batch, int plane, nint stride, T scale, T shift)
        where T : unmanaged
    {
        Vector<T> scaleV = new(scale), shiftV = new(shift);
        int count = Vector<T>.Count;
        for (int n = 0; n < batch; n++)
        {
            ref T src = ref Unsafe.Add(ref x, n * stride);
            ref T dst = ref Unsafe.Add(ref y, n * stride);
            int s = 0;
            for (; s <= plane - 2 * count; s += 2 * count)
            {
                // Both loads before both stores: output may be the same memory as input.
                Vector<T> v0 = Load(ref src, s);
                Vector<T> v1 = Load(ref src, s + count);
                Store(MultiplyAdd(v0, scaleV, shiftV), ref dst, s);
                Store(MultiplyAdd(v1, scaleV, shiftV), ref dst, s + count);
            }
            for (; s <= plane - count; s += count)
            {
                Store(MultiplyAdd(Load(ref src, s), scaleV, shiftV), ref dst, s);
            }
            for (; s < plane; s++)
            {
                Unsafe.Add(ref dst, s) = MultiplyAdd(Unsafe.Add(ref src, s), scale, shift);
            }
        }
    }

    /// <summary>dx = dy · a + x · b + k over one channel: the training-mode input gradient with per-channel coefficients.</summary>
    private static void ChannelBackward<T>(ref T x, ref T dy, ref T dx, int batch, int plane, nint stride, T a, T b, T k)
        where T : unmanaged
    {
        Vector<T> aV = new(a), bV = new(b), kV = new(k);
        int count = Vector<T>.Count;
        for (int n = 0; n < batch; n++)
        {
            ref T xs = ref Unsafe.Add(ref x, n * stride);
            ref T gs = ref Unsafe.Add(ref dy, n * stride);
            ref T ds = ref Unsafe.Add(ref dx, n * stride);
            int s = 0;
            for (; s <= plane - count; s += count)
            {
                Store(MultiplyAdd(Load(ref gs, s), aV, MultiplyAdd(Load(ref xs, s), bV, kV)), ref ds, s);
            }
            for (; s < plane; s++)
            {
                Unsafe.Add(ref ds, s) = MultiplyAdd(Unsafe.Add(ref gs, s), a, MultiplyAdd(Unsafe.Add(ref xs, s), b, k));
            }
        }
    }

    // ---- Row passes (NC, or any 1 × 1 plane): row n holds the `features` values of sample n; per-feature accumulators.
    // Each feature's sums run over n in order, so the results do not depend on the vector width.

    /// <summary>sums[c] = Σ over rows of x[n, c], in double.</summary>
    private static void RowsSum<T>(ref T x, int batch, int features, Span<double> sums)
        where T : unmanaged
    {
        sums.Clear();
        ref double acc = ref MemoryMarshal.GetReference(sums);
        for (int n = 0; n < batch; n++)
        {
            ref T row = ref Unsafe.Add(ref x, (nint)n * features);
            int j = 0;
            for (; j <= features - WideCount; j += WideCount)
            {
                LoadWide(ref row, j, out Vector<double> low, out Vector<double> high);
                Simd.Store(Simd.Load(ref acc, j) + low, ref acc, j);
                Simd.Store(Simd.Load(ref acc, j + Vector<double>.Count) + high, ref acc, j + Vector<double>.Count);
            }
            for (; j < features; j++)
            {
                Unsafe.Add(ref acc, j) += ToDouble(Unsafe.Add(ref row, j));
            }
        }
    }

    /// <summary>squares[c] = Σ over rows of (x[n, c] − means[c])², in double.</summary>
    private static void RowsSquaredDeviations<T>(ref T x, int batch, int features, ReadOnlySpan<double> means, Span<double> squares)
        where T : unmanaged
    {
        squares.Clear();
        ref double m = ref MemoryMarshal.GetReference(means);
        ref double acc = ref MemoryMarshal.GetReference(squares);
        for (int n = 0; n < batch; n++)
        {
            ref T row = ref Unsafe.Add(ref x, (nint)n * features);
            int j = 0;
            for (; j <= features - WideCount; j += WideCount)
            {
                LoadWide(ref row, j, out Vector<double> low, out Vector<double> high);
                nint h = j + Vector<double>.Count;
                Vector<double> d0 = low - Simd.Load(ref m, j);
                Vector<double> d1 = high - Simd.Load(ref m, h);
                Simd.Store(Simd.MultiplyAdd(d0, d0, Simd.Load(ref acc, j)), ref acc, j);
                Simd.Store(Simd.MultiplyAdd(d1, d1, Simd.Load(ref acc, h)), ref acc, h);
            }
            for (; j < features; j++)
            {
                double d = ToDouble(Unsafe.Add(ref row, j)) - Unsafe.Add(ref m, j);
                Unsafe.Add(ref acc, j) = Simd.MultiplyAdd(d, d, Unsafe.Add(ref acc, j));
            }
        }
    }

    /// <summary>y[n, c0 + j] = x[n, c0 + j] · scales[j] + shifts[j] for the block of features [c0, c0 + length).</summary>
    private static void RowsAffine<T>(ref T x, ref T y, int batch, int features, int c0, int length, ref T scales, ref T shifts)
        where T : unmanaged
    {
        int count = Vector<T>.Count;
        for (int n = 0; n < batch; n++)
        {
            nint offset = (nint)n * features + c0;
            ref T src = ref Unsafe.Add(ref x, offset);
            ref T dst = ref Unsafe.Add(ref y, offset);
            int j = 0;
            for (; j <= length - count; j += count)
            {
                Store(MultiplyAdd(Load(ref src, j), Load(ref scales, j), Load(ref shifts, j)), ref dst, j);
            }
            for (; j < length; j++)
            {
                Unsafe.Add(ref dst, j) = MultiplyAdd(Unsafe.Add(ref src, j), Unsafe.Add(ref scales, j), Unsafe.Add(ref shifts, j));
            }
        }
    }

    /// <summary>
    /// sumsDy[j] = Σ dy[n, c0 + j] and dots[j] = Σ dy · (x − means[j]) over the rows, in double, for the block of
    /// features [c0, c0 + length); both accumulators start cleared here.
    /// </summary>
    private static void RowsGradientSums<T>(ref T x, ref T dy, int batch, int features, int c0, int length, ref double means, ref double sumsDy, ref double dots)
        where T : unmanaged
    {
        MemoryMarshal.CreateSpan(ref sumsDy, length).Clear();
        MemoryMarshal.CreateSpan(ref dots, length).Clear();
        for (int n = 0; n < batch; n++)
        {
            nint offset = (nint)n * features + c0;
            ref T xs = ref Unsafe.Add(ref x, offset);
            ref T gs = ref Unsafe.Add(ref dy, offset);
            int j = 0;
            for (; j <= length - WideCount; j += WideCount)
            {
                nint h = j + Vector<double>.Count;
                LoadWide(ref xs, j, out Vector<double> x0, out Vector<double> x1);
                LoadWide(ref gs, j, out Vector<double> g0, out Vector<double> g1);
                Simd.Store(Simd.Load(ref sumsDy, j) + g0, ref sumsDy, j);
                Simd.Store(Simd.Load(ref sumsDy, h) + g1, ref sumsDy, h);
                Simd.Store(Simd.MultiplyAdd(g0, x0 - Simd.Load(ref means, j), Simd.Load(ref dots, j)), ref dots, j);
                Simd.Store(Simd.MultiplyAdd(g1, x1 - Simd.Load(ref means, h), Simd.Load(ref dots, h)), ref dots, h);
            }
            for (; j < length; j++)
            {
                double g = ToDouble(Unsafe.Add(ref gs, j));
                Unsafe.Add(ref sumsDy, j) += g;
                Unsafe.Add(ref dots, j) = Simd.MultiplyAdd(g, ToDouble(Unsafe.Add(ref xs, j)) - Unsafe.Add(ref means, j), Unsafe.Add(ref dots, j));
            }
        }
    }

    /// <summary>dx = dy · a[j] + x · b[j] + k[j] for the block of features [c0, c0 + length).</summary>
    private static void RowsBackward<T>(ref T x, ref T dy, ref T dx, int batch, int features, int c0, int length, ref T a, ref T b, ref T k)
        where T : unmanaged
    {
        int count = Vector<T>.Count;
        for (int n = 0; n < batch; n++)
        {
            nint offset = (nint)n * features + c0;
            ref T xs = ref Unsafe.Add(ref x, offset);
            ref T gs = ref Unsafe.Add(ref dy, offset);
            ref T ds = ref Unsafe.Add(ref dx, offset);
            int j = 0;
            for (; j <= length - count; j += count)
            {
                Store(MultiplyAdd(Load(ref gs, j), Load(ref a, j), MultiplyAdd(Load(ref xs, j), Load(ref b, j), Load(ref k, j))), ref ds, j);
            }
            for (; j < length; j++)
            {
                Unsafe.Add(ref ds, j) = MultiplyAdd(Unsafe.Add(ref gs, j), Unsafe.Add(ref a, j), MultiplyAdd(Unsafe.Add(ref xs, j), Unsafe.Add(ref b, j), Unsafe.Add(ref k, j)));
            }
        }
    }
}
