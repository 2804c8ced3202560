using System;
using System.Linq;
using BnGen.Internal;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(5, BatchNormLayout.NCHW)]
public partial class EvalOrderNchw5 { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class EvalOrderNchw3Double { }

/// <summary>
/// The generated NCHW eval forward walks the tensor channel by channel when the runs are long (plane ≥ 128) and the
/// tensor small (≤ 1 MiB), else in address order, with a scalar tail or an overlapping last vector. Every path must give
/// exactly y = MultiplyAdd(x, (T)scale, (T)shift) with scale and shift from the running statistics in double, out of
/// place and in place. The shapes below take each path, with and without a ragged end of the plane.
/// </summary>
public class EvalForwardOrderTests
{
    [Theory]
    [InlineData(3, 11, 13)]   // plane 143 (ragged), 8.4 KiB: channel order
    [InlineData(2, 12, 16)]   // plane 192 (whole vectors): channel order
    [InlineData(4, 7, 7)]     // plane 49: address order, overlapping last vector
    [InlineData(1, 2, 3)]     // plane 6, shorter than a vector: address order, scalar
    [InlineData(27, 45, 44)]  // plane 1980, 1.02 MiB: address order despite long runs
    [InlineData(26, 45, 44)]  // plane 1980, 0.98 MiB: channel order
    public void FloatMatchesTheElementwiseFormula(int batch, int height, int width)
    {
        const int f = 5;
        var random = new Random(batch * 1000 + height * 10 + width);
        int count = batch * f * height * width;
        float[] x = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 6 - 2)).ToArray();
        float[] weight = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray();
        float[] bias = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] mean = Enumerable.Range(0, f).Select(_ => (float)random.NextDouble()).ToArray();
        float[] variance = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() + 0.1)).ToArray();

        var expected = new float[count];
        int plane = height * width;
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            double invStd = 1d / Math.Sqrt(variance[c] + 1e-5);
            double scale = weight[c] * invStd;
            expected[i] = Simd.MultiplyAdd(x[i], (float)scale, (float)(bias[c] - mean[c] * scale));
        }

        var y = new float[count];
        EvalOrderNchw5.ForwardInference(x, y, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, y);

        float[] buffer = (float[])x.Clone();
        EvalOrderNchw5.ForwardInference(buffer, buffer, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, buffer);
    }

    [Theory]
    [InlineData(5, 9, 15)]    // plane 135 (ragged), 16 KiB: channel order
    [InlineData(45, 31, 32)]  // plane 992, 1.02 MiB: address order
    [InlineData(2, 3, 5)]     // plane 15: address order
    public void DoubleMatchesTheElementwiseFormula(int batch, int height, int width)
    {
        const int f = 3;
        var random = new Random(batch + height + width);
        int count = batch * f * height * width;
        double[] x = Enumerable.Range(0, count).Select(_ => random.NextDouble() * 6 - 2).ToArray();
        double[] weight = Enumerable.Range(0, f).Select(_ => random.NextDouble() + 0.5).ToArray();
        double[] bias = Enumerable.Range(0, f).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] mean = Enumerable.Range(0, f).Select(_ => random.NextDouble()).ToArray();
        double[] variance = Enumerable.Range(0, f).Select(_ => random.NextDouble() + 0.1).ToArray();

        var expected = new double[count];
        int plane = height * width;
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            double invStd = 1d / Math.Sqrt(variance[c] + 1e-5);
            double scale = weight[c] * invStd;
            expected[i] = Simd.MultiplyAdd(x[i], scale, bias[c] - mean[c] * scale);
        }

        var y = new double[count];
        EvalOrderNchw3Double.ForwardInference(x, y, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, y);

        double[] buffer = (double[])x.Clone();
        EvalOrderNchw3Double.ForwardInference(buffer, buffer, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, buffer);
    }
}
