using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Tests.Activation;
using BnGen.Tests.Kernels;
using Xunit;

namespace BnGen.Tests.Folding;

/// <summary>
/// <c>FoldInto</c>, instance and static, on every layer with running statistics of <see cref="FusedLayers"/> (plain and
/// ReLU, float and double, affine or not, 1 … 130 features): the preceding layer alone, with the folded weight and bias,
/// must compute what that layer followed by the batch norm in evaluation mode computes (PyTorch's
/// <c>fuse_linear_bn_eval</c> / <c>fuse_conv_bn_eval</c>), for a Linear weight [F, in] and a Conv2d weight
/// [F, in/groups, kh, kw] (groups 1 and 2), with a bias and without one (zeros).
/// <para>
/// Both sides are computed in double from the same T values: the unfolded one as conv/linear, then
/// (u − runningMean) / sqrt(runningVar + ε) · γ + β; the folded one as conv/linear with W' and b'. W' and b' are each
/// rounded to T once, so they may differ from the exact products by u_T (2^-24 for float, 2^-53 for double) relatively,
/// plus a few roundings of the double arithmetic. The tolerance for an output is therefore
/// (u_T + (2K + 16) · 2^-53) · S, with K the number of products summed and S the sum of the magnitudes of the exact
/// folded terms, Σ|W·s·x| + |(b − mean)·s| + |β|, s = γ / sqrt(runningVar + ε).
/// </para>
/// <para>Every length error is an <see cref="ArgumentException"/> naming the argument, and leaves every span and the layer as they were.</para>
/// </summary>
public class FoldIntoTests
{
    public static TheoryData<int, bool, bool> Cases()
    {
        var data = new TheoryData<int, bool, bool>();
        foreach (int i in Tracked())
        {
            foreach (bool useStatic in new[] { false, true })
            {
                foreach (bool withBias in new[] { true, false })
                {
                    data.Add(i, useStatic, withBias);
                }
            }
        }
        return data;
    }

    public static TheoryData<int> TrackedCases() => new(Tracked());

    private static IEnumerable<int> Tracked() => Enumerable.Range(0, FusedLayers.All.Length).Where(i => FusedLayers.All[i].Config.Track);

    [Fact]
    public void CasesCoverTypesAndOptions()
    {
        var configs = Tracked().Select(i => FusedLayers.All[i].Config).ToArray();
        Assert.Equal(4, configs.Select(c => (c.IsDouble, c.Affine)).Distinct().Count());
        Assert.Contains(configs, c => c.Features == 1);
        Assert.Contains(configs, c => c.Features > 64);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FoldedLinearEqualsLinearThenBatchNorm(int index, bool useStatic, bool withBias)
    {
        if (FusedLayers.All[index].Config.IsDouble)
        {
            CheckLinear<double>(index, useStatic, withBias);
        }
        else
        {
            CheckLinear<float>(index, useStatic, withBias);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FoldedConvolutionEqualsConvolutionThenBatchNorm(int index, bool useStatic, bool withBias)
    {
        if (FusedLayers.All[index].Config.IsDouble)
        {
            CheckConvolution<double>(index, useStatic, withBias);
        }
        else
        {
            CheckConvolution<float>(index, useStatic, withBias);
        }
    }

    private static void CheckLinear<T>(int index, bool useStatic, bool withBias)
        where T : unmanaged
    {
        var random = new Random(7000 + index * 4 + (useStatic ? 2 : 0) + (withBias ? 1 : 0));
        Bn<T> bn = Bn<T>.Random(index, random);
        int f = bn.Config.Features, inputs = 13, batch = 5;
        T[] weight = FusedData.Uniform<T>(random, f * inputs, -1, 1);
        T[] bias = withBias ? FusedData.Uniform<T>(random, f, -1, 1) : new T[f];
        T[] x = FusedData.Uniform<T>(random, batch * inputs, -2, 2);
        double[] w = Num.ToDoubles<T>(weight), b = Num.ToDoubles<T>(bias), xd = Num.ToDoubles<T>(x);

        var (foldedWeight, foldedBias) = bn.Fold(weight, bias, useStatic, random);
        double[] wf = Num.ToDoubles<T>(foldedWeight), bf = Num.ToDoubles<T>(foldedBias);
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < f; c++)
            {
                double u = b[c], folded = bf[c], terms = 0;
                for (int k = 0; k < inputs; k++)
                {
                    u += w[c * inputs + k] * xd[n * inputs + k];
                    folded += wf[c * inputs + k] * xd[n * inputs + k];
                    terms += Math.Abs(w[c * inputs + k] * bn.S[c] * xd[n * inputs + k]);
                }
                bn.Compare($"linear [{n}, {c}]", bn.Normalize(u, c), folded, terms + Math.Abs((b[c] - bn.Mean[c]) * bn.S[c]) + Math.Abs(bn.Beta[c]),
                    inputs);
            }
        }
    }

    private static void CheckConvolution<T>(int index, bool useStatic, bool withBias)
        where T : unmanaged
    {
        var random = new Random(8000 + index * 4 + (useStatic ? 2 : 0) + (withBias ? 1 : 0));
        Bn<T> bn = Bn<T>.Random(index, random);
        int f = bn.Config.Features;
        int groups = f % 2 == 0 ? 2 : 1, inChannels = 2 * groups, perGroup = inChannels / groups, kernel = 3;
        int batch = 2, height = 5, width = 4;
        int patch = perGroup * kernel * kernel;
        T[] weight = FusedData.Uniform<T>(random, f * patch, -1, 1);                  // [F, in/groups, 3, 3]
        T[] bias = withBias ? FusedData.Uniform<T>(random, f, -1, 1) : new T[f];
        T[] x = FusedData.Uniform<T>(random, batch * inChannels * height * width, -2, 2);
        double[] w = Num.ToDoubles<T>(weight), b = Num.ToDoubles<T>(bias), xd = Num.ToDoubles<T>(x);

        var (foldedWeight, foldedBias) = bn.Fold(weight, bias, useStatic, random);
        double[] wf = Num.ToDoubles<T>(foldedWeight), bf = Num.ToDoubles<T>(foldedBias);
        // Stride 1, padding 1 (a 5 x 4 output): output channel c reads input channels g·perGroup … of its group g.
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < f; c++)
            {
                int group = c / (f / groups);
                for (int oy = 0; oy < height; oy++)
                {
                    for (int ox = 0; ox < width; ox++)
                    {
                        double u = b[c], folded = bf[c], terms = 0;
                        for (int ic = 0; ic < perGroup; ic++)
                        {
                            for (int ky = 0; ky < kernel; ky++)
                            {
                                for (int kx = 0; kx < kernel; kx++)
                                {
                                    int iy = oy + ky - 1, ix = ox + kx - 1;
                                    if (iy < 0 || iy >= height || ix < 0 || ix >= width)
                                    {
                                        continue;
                                    }
                                    double xv = xd[((n * inChannels + group * perGroup + ic) * height + iy) * width + ix];
                                    int at = ((c * perGroup + ic) * kernel + ky) * kernel + kx;
                                    u += w[at] * xv;
                                    folded += wf[at] * xv;
                                    terms += Math.Abs(w[at] * bn.S[c] * xv);
                                }
                            }
                        }
                        bn.Compare($"conv [{n}, {c}, {oy}, {ox}]", bn.Normalize(u, c), folded,
                            terms + Math.Abs((b[c] - bn.Mean[c]) * bn.S[c]) + Math.Abs(bn.Beta[c]), patch);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TrackedCases))]
    public void InstanceAndStaticFoldGiveTheSameBits(int index)
    {
        if (FusedLayers.All[index].Config.IsDouble)
        {
            CheckSameBits<double>(index);
        }
        else
        {
            CheckSameBits<float>(index);
        }
    }

    private static void CheckSameBits<T>(int index)
        where T : unmanaged
    {
        var random = new Random(9000 + index);
        Bn<T> bn = Bn<T>.Random(index, random);
        int f = bn.Config.Features;
        T[] weight = FusedData.Uniform<T>(random, f * 6, -1, 1), bias = FusedData.Uniform<T>(random, f, -1, 1);
        var (w1, b1) = bn.Fold(weight, bias, useStatic: false, random);
        var (w2, b2) = bn.Fold(weight, bias, useStatic: true, random);
        FusedReferenceTests.AssertBits("weight", w1, w2);
        FusedReferenceTests.AssertBits("bias", b1, b2);
    }

    [Theory]
    [MemberData(nameof(TrackedCases))]
    public void BadLengths_ThrowArgumentException_AndWriteNothing(int index)
    {
        if (FusedLayers.All[index].Config.IsDouble)
        {
            CheckErrors<double>(index);
        }
        else
        {
            CheckErrors<float>(index);
        }
    }

    private static void CheckErrors<T>(int index)
        where T : unmanaged
    {
        var random = new Random(10000 + index);
        FusedCase fused = FusedLayers.All[index];
        FusedConfig config = fused.Config;
        int f = config.Features;
        var kernels = (IFusedKernels<T>)fused.StaticKernels;
        int checks = 0;
        foreach (object layer in new[] { fused.CreateRelu(), fused.CreatePlain() })
        {
            var view = new InstanceUnderTest<T>(layer, config);
            // Give the layer non-default state, so that "unchanged" means something.
            if (config.Affine)
            {
                FusedData.Fill(view.Weight!, random, 0.5, 2);
                FusedData.Fill(view.Bias!, random, -1, 1);
            }
            FusedData.Fill(view.RunningMean!, random, -1, 1);
            FusedData.Fill(view.RunningVar!, random, 0.5, 2);
            ((ITrackedLayer<T>)layer).GetType().GetProperty("NumBatchesTracked")!.SetValue(layer, 17L);
            T[][] state = [.. new[] { view.Weight, view.Bias, view.RunningMean, view.RunningVar }.Select(a => (T[])(a ?? []).Clone())];

            foreach (var (weightLength, biasLength, name) in BadShapes(f))
            {
                T[] weight = FusedData.Uniform<T>(random, weightLength, -1, 1), bias = FusedData.Uniform<T>(random, biasLength, -1, 1);
                T[] weightBefore = (T[])weight.Clone(), biasBefore = (T[])bias.Clone();
                var e = Assert.Throws<ArgumentException>(() => ((IFoldable<T>)layer).FoldInto(weight, bias));
                Assert.Equal(name, e.ParamName);
                FusedReferenceTests.AssertBits($"{name} error: weight", weightBefore, weight);
                FusedReferenceTests.AssertBits($"{name} error: bias", biasBefore, bias);
                checks++;
            }
            T[][] after = [.. new[] { view.Weight, view.Bias, view.RunningMean, view.RunningVar }.Select(a => a ?? [])];
            for (int k = 0; k < state.Length; k++)
            {
                FusedReferenceTests.AssertBits("layer state", state[k], after[k]);
            }
            Assert.Equal(17L, view.NumBatchesTracked);
        }

        // Static: every span's length, one at a time, the others right.
        string[] names = config.Affine
            ? ["weight", "bias", "bnWeight", "bnBias", "runningMean", "runningVar"]
            : ["weight", "bias", "runningMean", "runningVar"];
        foreach (string wrong in names)
        {
            int[] lengths = wrong == "weight" ? BadShapes(f).Where(s => s.Name == "weight").Select(s => s.WeightLength).ToArray() : [0, f - 1, f + 1];
            foreach (int length in lengths.Where(l => l >= 0 && l != f || wrong == "weight"))
            {
                int Length(string name, int right) => name == wrong ? length : right;
                T[][] spans =
                [
                    FusedData.Uniform<T>(random, Length("weight", 3 * f), -1, 1),
                    FusedData.Uniform<T>(random, Length("bias", f), -1, 1),
                    FusedData.Uniform<T>(random, Length("bnWeight", f), 0.5, 2),
                    FusedData.Uniform<T>(random, Length("bnBias", f), -1, 1),
                    FusedData.Uniform<T>(random, Length("runningMean", f), -1, 1),
                    FusedData.Uniform<T>(random, Length("runningVar", f), 0.5, 2),
                ];
                T[][] before = [.. spans.Select(s => (T[])s.Clone())];
                var e = Assert.Throws<ArgumentException>(() => kernels.FoldInto(spans[0], spans[1], spans[2], spans[3], spans[4], spans[5]));
                Assert.Equal(wrong, e.ParamName);
                for (int k = 0; k < spans.Length; k++)
                {
                    FusedReferenceTests.AssertBits($"{wrong} length {length}: span {k}", before[k], spans[k]);
                }
                checks++;
            }
        }
        Assert.True(checks >= 8, $"{checks} error cases");
    }

    /// <summary>Instance-level bad shapes: weight empty or not a multiple of F (bias right), then bias wrong (weight right).</summary>
    private static IEnumerable<(int WeightLength, int BiasLength, string Name)> BadShapes(int f)
    {
        yield return (0, f, "weight");
        if (f > 1)
        {
            yield return (f + 1, f, "weight");
            yield return (3 * f - 1, f, "weight");
        }
        yield return (2 * f, f + 1, "bias");
        yield return (2 * f, 0, "bias");
        if (f > 1)
        {
            yield return (2 * f, f - 1, "bias");
        }
    }

    /// <summary>A batch-norm layer of the matrix with random γ, β and running statistics, and its fold in double.</summary>
    private sealed class Bn<T>
        where T : unmanaged
    {
        private readonly FusedCase _case;
        private readonly object _layer;

        private Bn(FusedCase fused, object layer)
        {
            _case = fused;
            _layer = layer;
        }

        public FusedConfig Config => _case.Config;

        public double[] Gamma { get; private set; } = [];

        public double[] Beta { get; private set; } = [];

        public double[] Mean { get; private set; } = [];

        public double[] S { get; private set; } = [];

        private InstanceUnderTest<T> View => new(_layer, Config);

        public static Bn<T> Random(int index, Random random)
        {
            FusedCase fused = FusedLayers.All[index];
            // Alternate the ReLU layer and its plain twin: folding ignores the activation (it folds what comes before it).
            var bn = new Bn<T>(fused, index % 2 == 0 ? fused.CreateRelu() : fused.CreatePlain());
            InstanceUnderTest<T> view = bn.View;
            int f = fused.Config.Features;
            if (fused.Config.Affine)
            {
                FusedData.Fill(view.Weight!, random, -2, 2);
                FusedData.Fill(view.Bias!, random, -1, 1);
            }
            FusedData.Fill(view.RunningMean!, random, -1, 1);
            FusedData.Fill(view.RunningVar!, random, 0.05, 3);
            bn.Gamma = fused.Config.Affine ? Num.ToDoubles<T>(view.Weight) : Enumerable.Repeat(1.0, f).ToArray();
            bn.Beta = fused.Config.Affine ? Num.ToDoubles<T>(view.Bias) : new double[f];
            bn.Mean = Num.ToDoubles<T>(view.RunningMean);
            double[] variance = Num.ToDoubles<T>(view.RunningVar);
            bn.S = Enumerable.Range(0, f).Select(c => bn.Gamma[c] / Math.Sqrt(variance[c] + fused.Config.Epsilon)).ToArray();
            return bn;
        }

        /// <summary>Folds into copies of the spans: through the layer's instance method or its static kernel.</summary>
        public (T[] Weight, T[] Bias) Fold(T[] weight, T[] bias, bool useStatic, Random random)
        {
            T[] w = (T[])weight.Clone(), b = (T[])bias.Clone();
            InstanceUnderTest<T> view = View;
            if (useStatic)
            {
                ((IFusedKernels<T>)_case.StaticKernels).FoldInto(w, b, view.Weight, view.Bias, view.RunningMean, view.RunningVar);
            }
            else
            {
                ((IFoldable<T>)_layer).FoldInto(w, b);
            }
            return (w, b);
        }

        /// <summary>The batch norm's evaluation transform of one value u of channel c, in double.</summary>
        public double Normalize(double u, int c)
            => (u - Mean[c]) / Math.Sqrt(Num.ToDouble(View.RunningVar![c]) + Config.Epsilon) * Gamma[c] + Beta[c];

        public void Compare(string what, double expected, double actual, double terms, int products)
        {
            double unit = Config.IsDouble ? Math.ScaleB(1, -53) : Math.ScaleB(1, -24);
            double tolerance = (unit + (2 * products + 16) * Math.ScaleB(1, -53)) * terms;
            Assert.True(Math.Abs(expected - actual) <= tolerance,
                $"{Config} {what}: folded {actual:R}, unfolded {expected:R}, difference {Math.Abs(expected - actual):E3}, tolerance {tolerance:E3}");
        }
    }
}
