using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(5, BatchNormLayout.NCHW)]
public partial class EvalOrderNchw5 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class EvalOrderNchw3Double : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

/// <summary>
/// The documented evaluation forward, bit for bit: y = fma(x − runningMean, (T)scale, β) — x centred on the running mean
/// in T, so that nothing cancels on data far from zero — with scale = γ / sqrt(runningVar + ε) computed in double and
/// rounded once to T, where fma is
/// <see cref="MathF.FusedMultiplyAdd"/> / <see cref="Math.FusedMultiplyAdd"/> (one rounding, on every machine). Checked
/// through the public API only (the generated static kernel, the generated instance in evaluation mode, and
/// <see cref="BatchNormKernels"/>), out of place and in place, over a sweep of shapes that does not follow any
/// implementation's choice of sweep order: planes of 1 to 1980 values (ragged and whole vectors, short and long runs),
/// and tensors from a few values to more than 1 MiB.
/// </summary>
public class EvalForwardOrderTests
{
    public static IEnumerable<object[]> Shapes()
    {
        foreach (int plane in new[] { 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 1025 })
        {
            foreach (int batch in new[] { 1, 3 })
            {
                yield return [batch, 1, plane];
            }
        }
        // Two-dimensional planes, and tensors on both sides of 1 MiB (for float and for double).
        foreach (var (batch, height, width) in new[] { (3, 11, 13), (2, 12, 16), (4, 7, 7), (1, 2, 3), (5, 9, 15), (2, 3, 5),
                     (26, 45, 44), (27, 45, 44), (45, 31, 32), (70, 31, 32) })
        {
            yield return [batch, height, width];
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FloatIsTheFusedMultiplyAddOfTheDocumentedCoefficients(int batch, int height, int width)
    {
        const int f = 5;
        var random = new Random(batch * 100003 + height * 1009 + width);
        int plane = height * width, count = batch * f * plane;
        float[] x = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 6 - 2)).ToArray();
        float[] weight = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray();
        float[] bias = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[] mean = Enumerable.Range(0, f).Select(_ => (float)random.NextDouble()).ToArray();
        float[] variance = Enumerable.Range(0, f).Select(_ => (float)(random.NextDouble() + 0.1)).ToArray();

        var expected = new float[count];
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            float scale = (float)(weight[c] * (1d / Math.Sqrt(variance[c] + 1e-5)));
            expected[i] = MathF.FusedMultiplyAdd(x[i] - mean[c], scale, bias[c]);
        }

        var y = new float[count];
        EvalOrderNchw5.ForwardInference(x, y, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, y);
        float[] buffer = (float[])x.Clone();
        EvalOrderNchw5.ForwardInference(buffer, buffer, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, buffer);

        var layer = new EvalOrderNchw5 { Training = false };
        weight.CopyTo(layer.Weight, 0);
        bias.CopyTo(layer.Bias, 0);
        mean.CopyTo(layer.RunningMean, 0);
        variance.CopyTo(layer.RunningVar, 0);
        Array.Clear(y);
        layer.Forward(x, y, batch, height, width);
        Assert.Equal(expected, y);

        Array.Clear(y);
        BatchNormKernels.ForwardInference(x, y, f, BatchNormLayout.NCHW, batch, height, width, weight, bias, 1e-5, mean, variance);
        Assert.Equal(expected, y);
        buffer = (float[])x.Clone();
        BatchNormKernels.ForwardInference(buffer, buffer, f, BatchNormLayout.NCHW, batch, height, width, weight, bias, 1e-5, mean, variance);
        Assert.Equal(expected, buffer);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void DoubleIsTheFusedMultiplyAddOfTheDocumentedCoefficients(int batch, int height, int width)
    {
        const int f = 3;
        var random = new Random(batch * 7919 + height * 131 + width);
        int plane = height * width, count = batch * f * plane;
        double[] x = Enumerable.Range(0, count).Select(_ => random.NextDouble() * 6 - 2).ToArray();
        double[] weight = Enumerable.Range(0, f).Select(_ => random.NextDouble() + 0.5).ToArray();
        double[] bias = Enumerable.Range(0, f).Select(_ => random.NextDouble() - 0.5).ToArray();
        double[] mean = Enumerable.Range(0, f).Select(_ => random.NextDouble()).ToArray();
        double[] variance = Enumerable.Range(0, f).Select(_ => random.NextDouble() + 0.1).ToArray();

        var expected = new double[count];
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            double scale = weight[c] * (1d / Math.Sqrt(variance[c] + 1e-5));
            expected[i] = Math.FusedMultiplyAdd(x[i] - mean[c], scale, bias[c]);
        }

        var y = new double[count];
        EvalOrderNchw3Double.ForwardInference(x, y, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, y);
        double[] buffer = (double[])x.Clone();
        EvalOrderNchw3Double.ForwardInference(buffer, buffer, batch, height, width, weight, bias, mean, variance);
        Assert.Equal(expected, buffer);

        var layer = new EvalOrderNchw3Double { Training = false };
        weight.CopyTo(layer.Weight, 0);
        bias.CopyTo(layer.Bias, 0);
        mean.CopyTo(layer.RunningMean, 0);
        variance.CopyTo(layer.RunningVar, 0);
        Array.Clear(y);
        layer.Forward(x, y, batch, height, width);
        Assert.Equal(expected, y);

        Array.Clear(y);
        BatchNormKernels.ForwardInference(x, y, f, BatchNormLayout.NCHW, batch, height, width, weight, bias, 1e-5, mean, variance);
        Assert.Equal(expected, y);
    }
}
