using System;
using System.Linq;
using BnGen.Tests.Kernels;
using Xunit;

namespace BnGen.Tests.Activation;

/// <summary>
/// The static kernels' <c>bias</c> argument of a ReLU layer's backward (the gate is recomputed from it), its length
/// check, and thread counts: a ReLU layer gives the same bits on one thread and on several.
/// </summary>
public class FusedKernelTests
{
    public static TheoryData<int> Cases() => new(Enumerable.Range(0, FusedLayers.All.Length));

    public static TheoryData<int> AffineCases()
        => new(Enumerable.Range(0, FusedLayers.All.Length).Where(i => FusedLayers.All[i].Config.Affine));

    /// <summary>
    /// The backward kernels gate with the β they are given: β + 100 opens every gate (dx and the parameter gradients are
    /// then exactly the plain layer's for the same dy), β − 100 closes every gate (all zero).
    /// </summary>
    [Theory]
    [MemberData(nameof(AffineCases))]
    public void StaticBackward_GatesWithTheBiasItIsGiven(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            CheckBias<double>(fused, index);
        }
        else
        {
            CheckBias<float>(fused, index);
        }
    }

    private static void CheckBias<T>(FusedCase fused, int seed)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        int f = config.Features;
        var kernels = (IFusedKernels<T>)fused.StaticKernels;
        var plain = new InstanceUnderTest<T>(fused.CreatePlain(), config);
        var random = new Random(11000 + seed);
        Dims d = Layouts.RandomDims(random, config.Layout, needsMoreThanOne: true);
        T[] x = FusedData.Input<T>(random, config, d), dy = FusedData.Uniform<T>(random, x.Length, -1, 1);
        T[] gamma = FusedData.Uniform<T>(random, f, 0.5, 2), beta = FusedData.Uniform<T>(random, f, -1, 1);
        gamma.CopyTo(plain.Weight!, 0);
        beta.CopyTo(plain.Bias!, 0);
        T[] open = beta.Select(b => Num.FromDouble<T>(Num.ToDouble(b) + 100)).ToArray();
        T[] closed = beta.Select(b => Num.FromDouble<T>(Num.ToDouble(b) - 100)).ToArray();
        T[] rm = Num.Filled<T>(f, 0), rv = Num.Filled<T>(f, 1);
        FusedData.Fill(plain.RunningMean ?? [], random, -1, 1);
        FusedData.Fill(plain.RunningVar ?? [], random, 0.5, 2);

        foreach (bool training in config.Track ? new[] { true, false } : new[] { true })
        {
            plain.Training = training;
            double[] mean = new double[f], invStd = new double[f];
            T[] y = new T[x.Length], z = new T[x.Length];
            plain.Forward(x, z, d);
            if (training)
            {
                kernels.ForwardTraining(x, y, d, gamma, beta, mean, invStd, rm, rv, 0, 1);
            }
            T[] expectedDx = new T[x.Length];
            plain.Backward(x, dy, expectedDx, d);

            T[] dx = new T[x.Length], weightGrad = new T[f], biasGrad = new T[f];
            Backward(open);
            FusedReferenceTests.AssertBits("dx, every gate open", expectedDx, dx);
            FusedReferenceTests.AssertBits("weight grad, every gate open", plain.WeightGrad!, weightGrad);
            FusedReferenceTests.AssertBits("bias grad, every gate open", plain.BiasGrad!, biasGrad);

            Backward(closed);
            Assert.All(dx, v => Assert.Equal(0.0, Num.ToDouble(v)));
            Assert.All(weightGrad, v => Assert.Equal(0.0, Num.ToDouble(v)));
            Assert.All(biasGrad, v => Assert.Equal(0.0, Num.ToDouble(v)));

            void Backward(T[] bias)
            {
                if (training)
                {
                    kernels.BackwardTraining(x, dy, dx, d, gamma, bias, mean, invStd, weightGrad, biasGrad, 1);
                }
                else
                {
                    kernels.BackwardInference(x, dy, dx, d, gamma, bias, plain.RunningMean, plain.RunningVar, weightGrad, biasGrad, 1);
                }
            }
        }
    }

    /// <summary>A <c>bias</c> of the wrong length is an ArgumentException naming it, and nothing is written.</summary>
    [Theory]
    [MemberData(nameof(AffineCases))]
    public void StaticBackward_WrongBiasLength_ThrowsAndWritesNothing(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            CheckBiasLength<double>(fused);
        }
        else
        {
            CheckBiasLength<float>(fused);
        }
    }

    private static void CheckBiasLength<T>(FusedCase fused)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        int f = config.Features;
        var kernels = (IFusedKernels<T>)fused.StaticKernels;
        var random = new Random(12000 + f);
        Dims d = Layouts.RandomDims(random, config.Layout, needsMoreThanOne: true);
        T[] x = FusedData.Input<T>(random, config, d), dy = FusedData.Uniform<T>(random, x.Length, -1, 1);
        T[] gamma = Num.Filled<T>(f, 1), rm = Num.Filled<T>(f, 0), rv = Num.Filled<T>(f, 1);
        double[] mean = new double[f], invStd = new double[f];
        kernels.ForwardTraining(x, new T[x.Length], d, gamma, new T[f], mean, invStd, rm, rv, 0, 1);
        foreach (int length in new[] { 0, f + 1 })
        {
            T[] bias = new T[length];
            T[] dx = Num.Filled<T>(x.Length, 7), weightGrad = Num.Filled<T>(f, 7), biasGrad = Num.Filled<T>(f, 7);
            var e = Assert.Throws<ArgumentException>(() => kernels.BackwardTraining(x, dy, dx, d, gamma, bias, mean, invStd, weightGrad, biasGrad, 1));
            Assert.Equal("bias", e.ParamName);
            if (config.Track)
            {
                e = Assert.Throws<ArgumentException>(() => kernels.BackwardInference(x, dy, dx, d, gamma, bias, rm, rv, weightGrad, biasGrad, 1));
                Assert.Equal("bias", e.ParamName);
            }
            Assert.All(dx.Concat(weightGrad).Concat(biasGrad), v => Assert.Equal(7.0, Num.ToDouble(v)));
        }
    }

    /// <summary>
    /// On a tensor of at least 70,000 values (above the 65,536 below which calls stay on one thread), the ReLU layer's
    /// forward and backward in both modes give the same bits with MaxDegreeOfParallelism 1, 2 and -1, and so do the static
    /// kernels with maxDegreeOfParallelism 2.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ThreadCountsGiveTheSameBits(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            CheckThreads<double>(fused, index);
        }
        else
        {
            CheckThreads<float>(fused, index);
        }
    }

    private static void CheckThreads<T>(FusedCase fused, int seed)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        int f = config.Features;
        const int Target = 70_000;
        Dims d = config.Layout switch
        {
            BatchNormLayout.NC => new Dims((Target + f - 1) / f, 1, 1),
            BatchNormLayout.NCL => new Dims(3, 1, (Target + 3 * f - 1) / (3 * f)),
            _ => new Dims(3, 5, (Target + 15 * f - 1) / (15 * f)),
        };
        Assert.True((long)d.Batch * d.Plane * f >= Target);
        var random = new Random(13000 + seed);
        T[] x = FusedData.Input<T>(random, config, d), dy = FusedData.Uniform<T>(random, x.Length, -1, 1);
        IFusedUnderTest<T>[] layers =
        [
            new InstanceUnderTest<T>(fused.CreateRelu(), config) { MaxDegreeOfParallelism = 1 },
            new InstanceUnderTest<T>(fused.CreateRelu(), config) { MaxDegreeOfParallelism = 2 },
            new InstanceUnderTest<T>(fused.CreateRelu(), config) { MaxDegreeOfParallelism = -1 },
            new StaticUnderTest<T>((IFusedKernels<T>)fused.StaticKernels, config, degree: 2),
        ];
        if (config.Affine)
        {
            T[] gamma = FusedData.Uniform<T>(random, f, -2, 2), beta = FusedData.Uniform<T>(random, f, -1, 1);
            foreach (IFusedUnderTest<T> layer in layers)
            {
                gamma.CopyTo(layer.Weight!, 0);
                beta.CopyTo(layer.Bias!, 0);
            }
        }
        foreach (bool training in config.Track ? new[] { true, false } : new[] { true })
        {
            var ys = new T[layers.Length][];
            var dxs = new T[layers.Length][];
            for (int k = 0; k < layers.Length; k++)
            {
                layers[k].Training = training;
                ys[k] = new T[x.Length];
                dxs[k] = new T[x.Length];
                layers[k].Forward(x, ys[k], d);
                layers[k].Backward(x, dy, dxs[k], d);
            }
            for (int k = 1; k < layers.Length; k++)
            {
                string at = $"{config} {(training ? "training" : "eval")} layer {k}";
                FusedReferenceTests.AssertBits($"{at} output", ys[0], ys[k]);
                FusedReferenceTests.AssertBits($"{at} grad input", dxs[0], dxs[k]);
                if (config.Affine)
                {
                    FusedReferenceTests.AssertBits($"{at} weight grad", layers[0].WeightGrad!, layers[k].WeightGrad!);
                    FusedReferenceTests.AssertBits($"{at} bias grad", layers[0].BiasGrad!, layers[k].BiasGrad!);
                }
                if (config.Track)
                {
                    FusedReferenceTests.AssertBits($"{at} running var", layers[0].RunningVar!, layers[k].RunningVar!);
                }
            }
        }
    }
}
