using System;
using System.Linq;
using BnGen.Tests.Kernels;
using Xunit;

namespace BnGen.Tests.Activation;

/// <summary>
/// The ReLU gate the backward recomputes agrees with the forward's output bit for bit: where the forward wrote y &gt; 0
/// (or NaN), dy passes; where it wrote 0, dy is blocked. Each ReLU layer runs beside its plain twin (the same attribute
/// without the activation, so the same statistics and the same z = fma(x, scale, shift) bits); on many random tensors
/// with a quarter of the values moved to within a few ulps of the kink (z = 0), in training and evaluation mode:
/// <list type="bullet">
/// <item>the ReLU layer's y is exactly <c>z &lt;= 0 ? +0 : z</c> of the twin's z;</item>
/// <item>its dx, dγ and dβ for dy are exactly the twin's for dy gated by that y (<c>y &lt;= 0 ? 0 : dy</c>).</item>
/// </list>
/// A gate recomputed with another rounding than the forward's (say x·scale + shift without the fused multiply-add, or
/// from (x − mean)·invStd·γ + β) flips some of the near-kink values and fails the second check.
/// </summary>
public class MaskAgreementTests
{
    private const int TensorsPerLayer = 24;

    public static TheoryData<int> Cases() => new(Enumerable.Range(0, FusedLayers.All.Length));

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardGateMatchesForwardOutput_BitForBit(int index)
    {
        FusedCase fused = FusedLayers.All[index];
        if (fused.Config.IsDouble)
        {
            Check<double>(fused, index);
        }
        else
        {
            Check<float>(fused, index);
        }
    }

    private static void Check<T>(FusedCase fused, int seed)
        where T : unmanaged
    {
        FusedConfig config = fused.Config;
        var relu = new InstanceUnderTest<T>(fused.CreateRelu(), config);
        var plain = new InstanceUnderTest<T>(fused.CreatePlain(), config);
        var kernels = (IFusedKernels<T>)fused.StaticKernels;
        var random = new Random(3000 + seed);
        int f = config.Features;
        // "Near the kink": |z| within 16 units of T's precision of |x · scale|, the size of the two terms that cancel.
        double Ulp = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
        int exactKinks = 0, justAbove = 0, justBelow = 0, blocked = 0, passed = 0;
        for (int t = 0; t < TensorsPerLayer; t++)
        {
            bool training = !config.Track || t % 3 != 2;
            relu.Training = plain.Training = training;
            if (config.Affine)
            {
                FusedData.Fill(relu.Weight!, random, -2, 2);
                FusedData.Fill(relu.Bias!, random, -1, 1);
                relu.Weight!.CopyTo(plain.Weight!, 0);
                relu.Bias!.CopyTo(plain.Bias!, 0);
            }
            if (config.Track && t % 3 == 0)
            {
                FusedData.Fill(relu.RunningMean!, random, -1, 1);
                FusedData.Fill(relu.RunningVar!, random, 0.25, 2);
                relu.RunningMean!.CopyTo(plain.RunningMean!, 0);
                relu.RunningVar!.CopyTo(plain.RunningVar!, 0);
            }
            // NC: at least 16 rows, so that moving a quarter of the values barely moves the batch statistics.
            Dims d = config.Layout == BatchNormLayout.NC
                ? new Dims(random.Next(16, 41), 1, 1)
                : Layouts.RandomDims(random, config.Layout, needsMoreThanOne: true);
            T[] x = FusedData.Input<T>(random, config, d);
            double[] scales = MoveNearKink(random, kernels, config, d, x, relu, batchStatistics: training || !config.Track);
            T[] dy = FusedData.Uniform<T>(random, x.Length, -1, 1);
            string at = $"{config} tensor {t} ({(training ? "training" : "eval")}) dims {d}";

            T[] y = new T[x.Length], z = new T[x.Length];
            relu.Forward(x, y, d);
            plain.Forward(x, z, d);
            double[] yd = Num.ToDoubles<T>(y), zd = Num.ToDoubles<T>(z);
            double[] relued = Array.ConvertAll(zd, FusedReference.Relu);
            FusedReferenceTests.AssertBits($"{at} relu output vs relu(twin)", Num.FromDoubles<T>(relued), y);
            if (config.Track)
            {
                FusedReferenceTests.AssertBits($"{at} running mean", plain.RunningMean!, relu.RunningMean!);
                FusedReferenceTests.AssertBits($"{at} running var", plain.RunningVar!, relu.RunningVar!);
            }

            T[] gated = new T[dy.Length];
            for (int i = 0; i < dy.Length; i++)
            {
                gated[i] = yd[i] <= 0 ? default : dy[i];
                blocked += yd[i] <= 0 ? 1 : 0;
                passed += yd[i] <= 0 ? 0 : 1;
                if (zd[i] == 0)
                {
                    exactKinks++;
                }
                else if (Math.Abs(zd[i]) <= 16 * Ulp * Math.Abs(Num.ToDouble(x[i]) * scales[Layouts.Channel(config.Layout, f, d, i)]))
                {
                    justAbove += zd[i] > 0 ? 1 : 0;
                    justBelow += zd[i] < 0 ? 1 : 0;
                }
            }
            T[] dxRelu = Num.Filled<T>(x.Length, double.NaN), dxPlain = Num.Filled<T>(x.Length, double.NaN);
            relu.Backward(x, dy, dxRelu, d);
            plain.Backward(x, gated, dxPlain, d);
            FusedReferenceTests.AssertBits($"{at} grad input", dxPlain, dxRelu);
            if (config.Affine)
            {
                FusedReferenceTests.AssertBits($"{at} weight grad", plain.WeightGrad!, relu.WeightGrad!);
                FusedReferenceTests.AssertBits($"{at} bias grad", plain.BiasGrad!, relu.BiasGrad!);
            }
        }
        // The data really probed the kink: values a few ulps either side of it (exactly on it is KinkTests' job).
        Assert.True(justAbove > 20 && justBelow > 20,
            $"{config}: {exactKinks} on the kink, {justAbove} just above, {justBelow} just below");
        Assert.True(blocked > 0 && passed > 0, $"{config}: {blocked} blocked, {passed} passed");
    }

    /// <summary>
    /// Moves a quarter of x to the T values nearest center − shift/scale of its channel and a few ulps around it, with
    /// center, scale and shift as the layer computes them: (T)mean, (T)(γ·invStd) and (T)(β − (mean − center)·scale). Batch statistics move with x, so the
    /// move is repeated on the new statistics until nothing moves (a fixed point: the values sit exactly where they were
    /// aimed for the statistics they produce) or for 60 rounds. Returns the channels' scales of the last round.
    /// </summary>
    private static double[] MoveNearKink<T>(Random random, IFusedKernels<T> kernels, FusedConfig config, Dims d, T[] x,
        IFusedUnderTest<T> layer, bool batchStatistics)
        where T : unmanaged
    {
        int f = config.Features;
        int[] chosen = Enumerable.Range(0, x.Length).Where(_ => random.Next(4) == 0).ToArray();
        int[] steps = chosen.Select(_ => random.Next(-3, 4)).ToArray();
        double[] mean = new double[f], invStd = new double[f], scales = new double[f];
        T[] scratch = new T[x.Length], rm = Num.Filled<T>(f, 0), rv = Num.Filled<T>(f, 1);
        bool moved = true;
        for (int round = 0; moved && round < (batchStatistics ? 60 : 1); round++)
        {
            moved = false;
            if (batchStatistics)
            {
                kernels.ForwardTraining(x, scratch, d, layer.Weight, layer.Bias, mean, invStd, rm, rv, 0, 1);
            }
            else
            {
                for (int c = 0; c < f; c++)
                {
                    mean[c] = Num.ToDouble(layer.RunningMean![c]);
                    invStd[c] = 1 / Math.Sqrt(Num.ToDouble(layer.RunningVar![c]) + config.Epsilon);
                }
            }
            for (int k = 0; k < chosen.Length; k++)
            {
                int i = chosen[k], c = Layouts.Channel(config.Layout, f, d, i);
                double gamma = config.Affine ? Num.ToDouble(layer.Weight![c]) : 1, beta = config.Affine ? Num.ToDouble(layer.Bias![c]) : 0;
                // The layer's forward: z = fma(x − center, scale, shift), center = (T)mean,
                // shift = (T)(β − (mean − center) · scale); z = 0 at x = center − shift / scale.
                double center = Num.ToDouble(Num.FromDouble<T>(mean[c]));
                double scale = Num.ToDouble(Num.FromDouble<T>(gamma * invStd[c]));
                double shift = Num.ToDouble(Num.FromDouble<T>(beta - (mean[c] - center) * scale));
                if (scale == 0)
                {
                    continue;
                }
                T target = Step(Num.FromDouble<T>(center - shift / scale), steps[k]);
                moved |= Num.ToDouble(target) != Num.ToDouble(x[i]);
                x[i] = target;
                scales[c] = scale;
            }
        }
        return scales;
    }

    private static T Step<T>(T value, int ulps)
    {
        if (value is float f)
        {
            for (; ulps > 0; ulps--) f = MathF.BitIncrement(f);
            for (; ulps < 0; ulps++) f = MathF.BitDecrement(f);
            return (T)(object)f;
        }
        double d = (double)(object)value!;
        for (; ulps > 0; ulps--) d = Math.BitIncrement(d);
        for (; ulps < 0; ulps++) d = Math.BitDecrement(d);
        return (T)(object)d;
    }
}
