using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Tests.Kernels;
using Xunit;

namespace BnGen.Tests.Activation;

/// <summary>
/// Inputs built to land exactly on ReLU's kink, z = fma(x − center, scale, shift) = 0, and the other edges of PyTorch's ReLU:
/// there the output is +0 and the gradient is blocked (PyTorch's <c>threshold_backward</c> passes dy only where the
/// output is &gt; 0); z = −0 also gives +0 and a blocked gradient; NaN passes through the forward and lets dy through.
/// <para>
/// The construction (documented semantics: center = (T)mean, scale = (T)(γ · invStd), shift = (T)(β − (mean − center) ·
/// scale)): each channel's values are pairs symmetric about m = 2 (short dyadics, so every sum is exact and the batch
/// mean is 2 exactly, so center = 2 and shift = β) plus a value x* ∈ {0, 1, 4} and its mirror 4 − x*. With a random γ,
/// scale s = (T)(γ · invStd) is known from the batch's invStd; β = (2 − x*) · s ∈ {2s, s, −2s} is then exact in T, so
/// z(x*) = fma(x* − 2, s, (2 − x*) · s) = 0 exactly. Without affine parameters (γ = 1, β = 0) x* = 2: z = fma(0, s, 0).
/// Evaluation mode does the same with running mean 2. The plain twin's output, z itself, shows the values really are on the kink (±0), not merely
/// below it.
/// </para>
/// </summary>
public class KinkTests
{
    public static TheoryData<int, bool> Cases()
    {
        var data = new TheoryData<int, bool>();
        for (int i = 0; i < FusedLayers.All.Length; i++)
        {
            data.Add(i, true);
            if (FusedLayers.All[i].Config.Track)
            {
                data.Add(i, false);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ExactKink_OutputsPlusZero_GradientBlocked(int index, bool training)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            CheckKink<double>(fused, training, index);
        }
        else
        {
            CheckKink<float>(fused, training, index);
        }
    }

    private static void CheckKink<T>(FusedCase fused, bool training, int seed)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        int f = config.Features;
        var kernels = (IFusedKernels<T>)fused.StaticKernels;
        var relu = new InstanceUnderTest<T>(fused.CreateRelu(), config) { Training = training };
        var plain = new InstanceUnderTest<T>(fused.CreatePlain(), config) { Training = training };
        var random = new Random(5000 + seed);
        Dims d = config.Layout switch
        {
            BatchNormLayout.NC => new Dims(12, 1, 1),
            BatchNormLayout.NCL => new Dims(2, 1, 6),
            _ => new Dims(2, 2, 3),
        };
        int n = d.Batch * d.Plane;
        const double m = 2;
        double[] kink = Enumerable.Range(0, f).Select(_ => config.Affine ? new[] { 0.0, 1.0, 4.0 }[random.Next(3)] : m).ToArray();

        // Each channel: x*, its mirror 2m − x*, and pairs m ± (2j + 1)/64: mean m exactly. x* is a whole number away
        // from m, so no pair lands on it, and every other value's z is at least |scale| / 64 away from 0.
        var xd = new double[n * f];
        var kinkIndices = new List<int>();
        for (int c = 0; c < f; c++)
        {
            var values = new double[n];
            values[0] = kink[c];
            values[1] = 2 * m - kink[c];
            for (int k = 2; k + 1 < n; k += 2)
            {
                // The first pair, m ± 161/64, reaches beyond 0 and 4: some output is positive whatever x* and γ's sign.
                double a = k == 2 ? 161 / 64.0 : (2 * random.Next(1, 40) + 1) / 64.0;
                values[k] = m + a;
                values[k + 1] = m - a;
            }
            if (n % 2 == 1)
            {
                values[n - 1] = m;
            }
            for (int k = 0; k < n; k++)
            {
                int i = Layouts.Index(config.Layout, f, d, k / d.Plane, c, k % d.Plane);
                xd[i] = values[k];
                if (values[k] == kink[c])
                {
                    kinkIndices.Add(i);
                }
            }
        }
        T[] x = Num.FromDoubles<T>(xd);
        Assert.Equal(xd, Num.ToDoubles<T>(x));   // every value is exact in T

        // The statistics the layer will use, then a random γ and β = (m − x*) · scale, exact in T.
        double[] mean = new double[f], invStd = new double[f];
        if (!training && config.Track)
        {
            for (int c = 0; c < f; c++)
            {
                relu.RunningMean![c] = plain.RunningMean![c] = Num.FromDouble<T>(m);
                relu.RunningVar![c] = plain.RunningVar![c] = Num.FromDouble<T>(0.25 + random.NextDouble());
                mean[c] = m;
                invStd[c] = 1 / Math.Sqrt(Num.ToDouble(relu.RunningVar[c]) + config.Epsilon);
            }
        }
        else
        {
            T[] w = Num.Filled<T>(f, 1), b = new T[f];
            kernels.ForwardTraining(x, new T[x.Length], d, w, b, mean, invStd, Num.Filled<T>(f, 0), Num.Filled<T>(f, 1), 0, 1);
            Assert.All(mean, value => Assert.Equal(m, value));
        }
        if (config.Affine)
        {
            for (int c = 0; c < f; c++)
            {
                T gamma = Num.FromDouble<T>((random.Next(2) == 0 ? -1 : 1) * (0.5 + 1.5 * random.NextDouble()));
                double scale = Num.ToDouble(Num.FromDouble<T>(Num.ToDouble(gamma) * invStd[c]));
                relu.Weight![c] = plain.Weight![c] = gamma;
                relu.Bias![c] = plain.Bias![c] = Num.FromDouble<T>((m - kink[c]) * scale);
                Assert.Equal((m - kink[c]) * scale, Num.ToDouble(relu.Bias[c]));
            }
        }

        T[] y = new T[x.Length], z = new T[x.Length];
        relu.Forward(x, y, d);
        plain.Forward(x, z, d);
        Assert.True(kinkIndices.Count >= f);
        foreach (int i in kinkIndices)
        {
            Assert.Equal(0.0, Num.ToDouble(z[i]));                                        // on the kink, not below it
            Assert.Equal(0L, BitConverter.DoubleToInt64Bits(Num.ToDouble(y[i])));       // +0
        }

        // Backward: dy at the kink does not matter (it is blocked) ...
        T[] dy = FusedData.Uniform<T>(random, x.Length, 0.5, 1.5);
        T[] dyCut = (T[])dy.Clone();
        foreach (int i in kinkIndices)
        {
            dyCut[i] = default;
        }
        var (dx, weightGrad, biasGrad) = Backward(relu, x, dy, d);
        var (dxCut, weightGradCut, biasGradCut) = Backward(relu, x, dyCut, d);
        FusedReferenceTests.AssertBits("dx", dxCut, dx);
        FusedReferenceTests.AssertBits("weight grad", weightGradCut, weightGrad);
        FusedReferenceTests.AssertBits("bias grad", biasGradCut, biasGrad);
        if (!training && config.Track)
        {
            // ... and in evaluation mode dx is exactly 0 there.
            Assert.All(kinkIndices, i => Assert.Equal(0.0, Num.ToDouble(dx[i])));
        }

        // ... while dy where the output is positive does (the check above can fail).
        int open = Enumerable.Range(0, x.Length).First(i => Num.ToDouble(y[i]) > 0);
        T[] dyOpen = (T[])dy.Clone();
        dyOpen[open] = default;
        var (dxOpen, _, _) = Backward(relu, x, dyOpen, d);
        Assert.NotEqual(Num.ToDouble(dx[open]), Num.ToDouble(dxOpen[open]));

        // And the whole gradient is PyTorch's: BatchNorm's backward of dy with the kink's entries cut.
        double[]? gammaD = config.Affine ? Num.ToDoubles<T>(relu.Weight) : null;
        FusedReference.Forward expected = FusedReference.Forwards(config, d, xd, gammaD, config.Affine ? Num.ToDoubles<T>(relu.Bias) : null,
            config.Track ? Num.ToDoubles<T>(relu.RunningMean) : null, config.Track ? Num.ToDoubles<T>(relu.RunningVar) : null,
            training || !config.Track);
        double[] gated = Num.ToDoubles<T>(dyCut).Select((g, i) => expected.Z[i] <= 0 ? 0 : g).ToArray();
        FusedReference.Backward grads = FusedReference.Backwards(config, d, xd, gated, gammaD, expected.Mean, expected.Var, training || !config.Track);
        double relative = config.IsDouble ? 1e-12 : 1e-5;
        Close.Each("dx vs reference", grads.Dx.Values, Num.ToDoubles<T>(dx), grads.Dx.Scales.Select(s => s * relative + 1e-300).ToArray());
    }

    public static TheoryData<int> AffineCases()
        => new(Enumerable.Range(0, FusedLayers.All.Length).Where(i => FusedLayers.All[i].Config.Affine && FusedLayers.All[i].Config.Track));

    /// <summary>
    /// z = −0 (x = −0 with scale &gt; 0 and shift = −0: running mean 0 and β = −0): PyTorch's ReLU gives +0 (−0 &lt;= 0), and
    /// the gradient is blocked. x = +0 gives z = +0: the same. In evaluation mode, where the statistics are the caller's.
    /// </summary>
    [Theory]
    [MemberData(nameof(AffineCases))]
    public void NegativeZero_OutputsPlusZero_GradientBlocked(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            CheckSignedZero<double>(fused);
        }
        else
        {
            CheckSignedZero<float>(fused);
        }
    }

    private static void CheckSignedZero<T>(FusedCase fused)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        int f = config.Features;
        var relu = new InstanceUnderTest<T>(fused.CreateRelu(), config) { Training = false };
        var plain = new InstanceUnderTest<T>(fused.CreatePlain(), config) { Training = false };
        foreach (var layer in new[] { relu, plain })
        {
            Array.Fill(layer.Bias!, Num.FromDouble<T>(-0.0));
            Array.Fill(layer.Weight!, Num.FromDouble<T>(1.5));
            Array.Fill(layer.RunningVar!, Num.FromDouble<T>(0.5));
        }
        Dims d = config.Layout == BatchNormLayout.NC ? new Dims(4, 1, 1) : config.Layout == BatchNormLayout.NCL ? new Dims(2, 1, 2) : new Dims(2, 1, 2);
        int count = d.Batch * d.Plane * f;
        // Alternate −0, +0 and 1.
        T[] x = Enumerable.Range(0, count).Select(i => Num.FromDouble<T>(i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : 1.0)).ToArray();
        T[] y = new T[count], z = new T[count];
        relu.Forward(x, y, d);
        plain.Forward(x, z, d);
        T[] dy = Num.Filled<T>(count, 1);
        T[] dx = new T[count];
        relu.Backward(x, dy, dx, d);
        for (int i = 0; i < count; i++)
        {
            double zi = Num.ToDouble(z[i]);
            if (i % 3 == 0)
            {
                Assert.True(zi == 0 && double.IsNegative(zi), $"z[{i}] = {zi:R}, expected -0");
            }
            if (i % 3 == 2)
            {
                Assert.True(Num.ToDouble(y[i]) > 0);
                Assert.NotEqual(0.0, Num.ToDouble(dx[i]));
                continue;
            }
            Assert.Equal(0L, BitConverter.DoubleToInt64Bits(Num.ToDouble(y[i])));
            Assert.Equal(0.0, Num.ToDouble(dx[i]));
        }
    }

    public static TheoryData<int> TrackedCases()
        => new(Enumerable.Range(0, FusedLayers.All.Length).Where(i => FusedLayers.All[i].Config.Track));

    /// <summary>
    /// NaN in evaluation mode: relu(NaN) = NaN, and PyTorch's gate lets dy through (NaN &lt;= 0 is false), so dx there is
    /// dy · γ · invStd and dγ (Σ dy · x̂) is NaN; the other values are untouched by it.
    /// </summary>
    [Theory]
    [MemberData(nameof(TrackedCases))]
    public void NaN_PropagatesForward_PassesGradient(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            CheckNaN<double>(fused);
        }
        else
        {
            CheckNaN<float>(fused);
        }
    }

    private static void CheckNaN<T>(FusedCase fused)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        int f = config.Features;
        var relu = new InstanceUnderTest<T>(fused.CreateRelu(), config) { Training = false };
        var random = new Random(6000 + f);
        Dims d = config.Layout == BatchNormLayout.NC ? new Dims(5, 1, 1) : config.Layout == BatchNormLayout.NCL ? new Dims(2, 1, 3) : new Dims(2, 1, 3);
        T[] x = FusedData.Input<T>(random, config, d);
        int nan = random.Next(x.Length);
        x[nan] = Num.FromDouble<T>(double.NaN);
        int channel = Layouts.Channel(config.Layout, f, d, nan);
        T[] y = new T[x.Length];
        relu.Forward(x, y, d);
        Assert.True(double.IsNaN(Num.ToDouble(y[nan])));
        Assert.Equal(1, y.Count(v => double.IsNaN(Num.ToDouble(v))));
        T[] dy = Num.Filled<T>(x.Length, 0.75), dx = new T[x.Length];
        relu.Backward(x, dy, dx, d);
        double gamma = config.Affine ? Num.ToDouble(relu.Weight![channel]) : 1;
        double factor = gamma / Math.Sqrt(Num.ToDouble(relu.RunningVar![channel]) + config.Epsilon);
        Assert.Equal(Num.ToDouble(Num.FromDouble<T>(0.75 * Num.ToDouble(Num.FromDouble<T>(factor)))), Num.ToDouble(dx[nan]));
        if (config.Affine)
        {
            Assert.True(double.IsNaN(Num.ToDouble(relu.WeightGrad![channel])));
            Assert.Equal(1, relu.WeightGrad!.Count(v => double.IsNaN(Num.ToDouble(v))));
        }
    }

    private static (T[] Dx, T[] WeightGrad, T[] BiasGrad) Backward<T>(InstanceUnderTest<T> layer, T[] x, T[] dy, Dims d)
    {
        T[] dx = new T[x.Length];
        layer.Backward(x, dy, dx, d);
        return (dx, (T[]?)layer.WeightGrad?.Clone() ?? [], (T[]?)layer.BiasGrad?.Clone() ?? []);
    }
}
