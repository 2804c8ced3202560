using System;
using System.Linq;
using BnGen.Tests.Kernels;
using Xunit;

namespace BnGen.Tests.Activation;

/// <summary>
/// Layers with <c>Activation = BatchNormActivation.ReLU</c> against a double-precision reference of PyTorch's
/// <c>relu(batch_norm(x))</c> and its autograd backward, on every layout (NC, NCHW, NHWC, NCL), both element types, with
/// and without affine parameters and running statistics, in training and evaluation mode, on random shapes.
/// <para>
/// Each value is checked within 1e-5 (float) or 1e-12 (double) times the sum of the magnitudes of the terms that make it
/// (<see cref="ReferenceBatchNorm"/>'s error scales; ReLU only shrinks differences). The backward is PyTorch's: ReLU's
/// backward gates dy by the forward's output, <c>threshold_backward(dy, y, 0)</c>, so the reference gates dy by the
/// layer's own y. A backward that recomputed the gate differently from the forward would differ from the reference by
/// the whole gated term (dy · γ · invStd) wherever the two disagree.
/// </para>
/// <para>
/// The same sequence runs through the generated instance, the static kernels (γ and β to both backward kernels), and
/// both again in place (output = input; gradInput = gradOutput): all four must agree bit for bit.
/// </para>
/// </summary>
public class FusedReferenceTests
{
    public static TheoryData<int> Cases() => new(Enumerable.Range(0, FusedLayers.All.Length));

    [Fact]
    public void LayersCoverEveryLayoutTypeAndOption()
    {
        var configs = FusedLayers.All.Select(c => c.Config).ToArray();
        Assert.Equal(32, configs.Select(c => (c.Layout, c.IsDouble, c.Affine, c.Track)).Distinct().Count());
        foreach (FusedCase fused in FusedLayers.All)
        {
            foreach (object layer in new[] { fused.CreateRelu(), fused.CreatePlain() })
            {
                var attribute = (BatchNormLayerAttribute)Attribute.GetCustomAttribute(layer.GetType(), typeof(BatchNormLayerAttribute))!;
                FusedConfig c = fused.Config;
                Assert.Equal((c.Features, c.Layout, c.IsDouble ? typeof(double) : typeof(float), c.Epsilon, c.Momentum, c.Affine, c.Track),
                    (attribute.Features, attribute.Layout, attribute.ElementType, attribute.Epsilon, attribute.Momentum, attribute.Affine,
                        attribute.TrackRunningStats));
                Assert.Equal(layer.GetType().Name.StartsWith("Relu", StringComparison.Ordinal) ? BatchNormActivation.ReLU : BatchNormActivation.None,
                    attribute.Activation);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheDoubleReference_InstanceStaticAndInPlace(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            Check<double>(fused, index, 1e-12);
        }
        else
        {
            Check<float>(fused, index, 1e-5);
        }
    }

    private static void Check<T>(FusedCase fused, int seed, double relative)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        var kernels = (IFusedKernels<T>)fused.StaticKernels;
        IFusedUnderTest<T>[] layers =
        [
            new InstanceUnderTest<T>(fused.CreateRelu(), config),
            new StaticUnderTest<T>(kernels, config),
            new InstanceUnderTest<T>(fused.CreateRelu(), config),
            new StaticUnderTest<T>(kernels, config),
        ];
        string[] names = ["instance", "static", "instance in place", "static in place"];
        IFusedUnderTest<T> layer = layers[0];
        var random = new Random(2000 + seed);
        int f = config.Features;
        if (config.Track)
        {
            T[] mean = FusedData.Uniform<T>(random, f, -1, 1), variance = FusedData.Uniform<T>(random, f, 0.5, 2);
            foreach (IFusedUnderTest<T> l in layers)
            {
                mean.CopyTo(l.RunningMean!, 0);
                variance.CopyTo(l.RunningVar!, 0);
            }
        }
        long zeros = 0, positives = 0;
        for (int step = 0; step < 7; step++)
        {
            bool training = step is < 4 or 6;
            if (config.Affine)
            {
                T[] gamma = FusedData.Uniform<T>(random, f, -2, 2), beta = FusedData.Uniform<T>(random, f, -1, 1);
                foreach (IFusedUnderTest<T> l in layers)
                {
                    gamma.CopyTo(l.Weight!, 0);
                    beta.CopyTo(l.Bias!, 0);
                }
            }
            bool batchStatistics = training || !config.Track;
            Dims d = Layouts.RandomDims(random, config.Layout, needsMoreThanOne: batchStatistics);
            string at = $"{config} step {step} ({(training ? "training" : "eval")}) dims {d}";
            T[] x = FusedData.Input<T>(random, config, d);
            T[] dy = FusedData.Uniform<T>(random, x.Length, -1, 1);
            double[] xd = Num.ToDoubles<T>(x), dyd = Num.ToDoubles<T>(dy);
            double[]? weight = config.Affine ? Num.ToDoubles<T>(layer.Weight) : null;
            double[]? bias = config.Affine ? Num.ToDoubles<T>(layer.Bias) : null;
            double[]? runningMean = config.Track ? Num.ToDoubles<T>(layer.RunningMean) : null;
            double[]? runningVar = config.Track ? Num.ToDoubles<T>(layer.RunningVar) : null;
            FusedReference.Forward expected = FusedReference.Forwards(config, d, xd, weight, bias, runningMean, runningVar, batchStatistics);

            // Forward: four ways, the same bits.
            var ys = new T[4][];
            for (int k = 0; k < 4; k++)
            {
                layers[k].Training = training;
                if (k < 2)
                {
                    ys[k] = Num.Filled<T>(x.Length, double.NaN);
                    layers[k].Forward(x, ys[k], d);
                }
                else
                {
                    ys[k] = (T[])x.Clone();
                    layers[k].Forward(ys[k], ys[k], d);
                }
            }
            double[] y = Num.ToDoubles<T>(ys[0]);
            Close.Each($"{at} output", expected.Y, y, expected.ZScales.Select(s => s * relative + 1e-300).ToArray());
            for (int i = 0; i < y.Length; i++)
            {
                // ReLU writes +0, never -0 (z <= 0 ? 0 : z).
                Assert.False(y[i] == 0 && double.IsNegative(y[i]), $"{at}: output[{i}] is -0");
                zeros += y[i] == 0 ? 1 : 0;
                positives += y[i] > 0 ? 1 : 0;
            }
            for (int k = 1; k < 4; k++)
            {
                AssertBits($"{at} {names[k]} output", ys[0], ys[k]);
            }

            if (config.Track)
            {
                if (training)
                {
                    var (rm, rv) = ReferenceBatchNorm.UpdateRunning(runningMean!, runningVar!, expected.Mean, expected.Var,
                        (double)d.Batch * d.Plane, config.Momentum,
                        ReferenceBatchNorm.MeanMagnitude(Layouts.ToNchw(config.Layout, f, d, xd), f, d.Batch, d.Plane));
                    Close.Each($"{at} running mean", rm.Values, Num.ToDoubles<T>(layer.RunningMean), rm.Scales.Select(s => s * relative + 1e-300).ToArray());
                    Close.Each($"{at} running var", rv.Values, Num.ToDoubles<T>(layer.RunningVar), rv.Scales.Select(s => s * relative + 1e-300).ToArray());
                }
                else
                {
                    Assert.Equal(runningMean, Num.ToDoubles<T>(layer.RunningMean));
                    Assert.Equal(runningVar, Num.ToDoubles<T>(layer.RunningVar));
                }
                for (int k = 1; k < 4; k++)
                {
                    AssertBits($"{at} {names[k]} running mean", layer.RunningMean!, layers[k].RunningMean!);
                    AssertBits($"{at} {names[k]} running var", layer.RunningVar!, layers[k].RunningVar!);
                    Assert.Equal(layer.NumBatchesTracked, layers[k].NumBatchesTracked);
                }
            }

            // Backward: dy gated by this forward's output, then BatchNorm's backward, in double.
            double[] gated = new double[dyd.Length];
            for (int i = 0; i < gated.Length; i++)
            {
                gated[i] = FusedReference.Gate(y[i], dyd[i]);
            }
            FusedReference.Backward grads = FusedReference.Backwards(config, d, xd, gated, weight, expected.Mean, expected.Var, batchStatistics);
            var dxs = new T[4][];
            for (int k = 0; k < 4; k++)
            {
                if (k < 2)
                {
                    dxs[k] = Num.Filled<T>(x.Length, double.NaN);
                    layers[k].Backward(x, dy, dxs[k], d);
                }
                else
                {
                    dxs[k] = (T[])dy.Clone();
                    layers[k].Backward(x, dxs[k], dxs[k], d);
                }
            }
            Close.Each($"{at} grad input", grads.Dx.Values, Num.ToDoubles<T>(dxs[0]), grads.Dx.Scales.Select(s => s * relative + 1e-300).ToArray());
            if (config.Affine)
            {
                Close.Each($"{at} weight grad", grads.DWeight.Values, Num.ToDoubles<T>(layer.WeightGrad),
                    grads.DWeight.Scales.Select(s => s * relative + 1e-300).ToArray());
                Close.Each($"{at} bias grad", grads.DBias.Values, Num.ToDoubles<T>(layer.BiasGrad),
                    grads.DBias.Scales.Select(s => s * relative + 1e-300).ToArray());
            }
            for (int k = 1; k < 4; k++)
            {
                AssertBits($"{at} {names[k]} grad input", dxs[0], dxs[k]);
                if (config.Affine)
                {
                    AssertBits($"{at} {names[k]} weight grad", layer.WeightGrad!, layers[k].WeightGrad!);
                    AssertBits($"{at} {names[k]} bias grad", layer.BiasGrad!, layers[k].BiasGrad!);
                }
            }
        }
        // The gate mattered: a good share of the outputs were cut to zero and a good share passed.
        long total = zeros + positives;
        Assert.True(zeros > total / 10 && positives > total / 10, $"{config}: {zeros} zeros, {positives} positives");
    }

    internal static void AssertBits<T>(string what, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual)
        where T : unmanaged
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Num.ToDouble(expected[i]), a = Num.ToDouble(actual[i]);
            if (BitConverter.DoubleToInt64Bits(e) != BitConverter.DoubleToInt64Bits(a))
            {
                Assert.Fail($"{what}[{i}]: expected {e:R}, got {a:R} (not the same bits)");
            }
        }
    }
}
