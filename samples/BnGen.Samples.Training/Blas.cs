using System;
using System.Numerics;
using System.Runtime.InteropServices;

namespace BnGen.Samples.Training;

/// <summary>The two vector primitives the hand-written layers need (Vector&lt;float&gt;, scalar tail).</summary>
internal static class Blas
{
    /// <summary>Σ a[i]·b[i].</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        int i = 0;
        float sum = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> va = MemoryMarshal.Cast<float, Vector<float>>(a);
            ReadOnlySpan<Vector<float>> vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            Vector<float> acc = Vector<float>.Zero;
            for (int v = 0; v < va.Length; v++) acc += va[v] * vb[v];
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>ReLU in place, PyTorch's <c>z &lt;= 0 ? 0 : z</c> (−0 becomes +0, NaN stays), without a branch per value.</summary>
    public static void Relu(Span<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            Span<Vector<float>> v = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int k = 0; k < v.Length; k++)
                v[k] = Vector.ConditionalSelect(Vector.LessThanOrEqual(v[k], Vector<float>.Zero), Vector<float>.Zero, v[k]);
            i = v.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++) values[i] = values[i] <= 0f ? 0f : values[i];
    }

    /// <summary>y[i] += alpha·x[i].</summary>
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
            Span<Vector<float>> vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            for (int v = 0; v < vx.Length; v++) vy[v] += alpha * vx[v];
            i = vx.Length * Vector<float>.Count;
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
