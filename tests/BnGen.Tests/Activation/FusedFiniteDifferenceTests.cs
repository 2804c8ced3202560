using System;
using System.Linq;
using BnGen.Tests.Kernels;
using Xunit;

namespace BnGen.Tests.Activation;

/// <summary>
/// The fused backward against central finite differences of L = Σ w · relu(bn(x)), for every double ReLU layer (all four
/// layouts, with and without affine parameters and running statistics), in training mode (through the batch statistics)
/// and in evaluation mode. Away from the kink: w is zero wherever |bn(x)| &lt; 0.05, so no value that counts can cross
/// zero under a perturbation of h = 1e-6 (which moves bn(x) by about 1e-5 at most). dx is checked at 48 random positions,
/// dγ and dβ at every feature, within 1e-6 · max(1, largest gradient): the quotient's error is about h² times the third
/// derivative plus 1e-16 · |L| / h, far below that.
/// </summary>
public class FusedFiniteDifferenceTests
{
    private const double H = 1e-6;
    private const double Band = 0.05;

    public static TheoryData<int, bool> Cases()
    {
        var data = new TheoryData<int, bool>();
        for (int i = 0; i < FusedLayers.All.Length; i++)
        {
            if (FusedLayers.All[i].Config.IsDouble)
            {
                data.Add(i, true);
                data.Add(i, false);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesFiniteDifferences(int index, bool training)
    {
        FusedCase fused = FusedLayers.All[index];
        FusedConfig config = fused.Config;
        var kernels = (IFusedKernels<double>)fused.StaticKernels;
        var layer = new InstanceUnderTest<double>(fused.CreateRelu(), config) { Training = training };
        var random = new Random(4000 + index * 2 + (training ? 1 : 0));
        int f = config.Features;
        Dims d = config.Layout switch
        {
            BatchNormLayout.NC => new Dims(6, 1, 1),
            BatchNormLayout.NCL => new Dims(3, 1, 5),
            _ => new Dims(2, 2, 3),
        };
        double[]? gamma = null, beta = null;
        if (config.Affine)
        {
            FusedData.Fill(layer.Weight!, random, -2, 2);
            FusedData.Fill(layer.Bias!, random, -1, 1);
            gamma = layer.Weight;
            beta = layer.Bias;
        }
        if (config.Track)
        {
            FusedData.Fill(layer.RunningMean!, random, -1, 1);
            FusedData.Fill(layer.RunningVar!, random, 0.5, 2);
        }
        double[] runningMean = config.Track ? (double[])layer.RunningMean!.Clone() : [];
        double[] runningVar = config.Track ? (double[])layer.RunningVar!.Clone() : [];
        bool batchStatistics = training || !config.Track;
        double[] x = FusedData.Input<double>(random, config, d);

        // w: random, but zero near the kink, so that the loss is smooth in every direction we perturb.
        FusedReference.Forward z = FusedReference.Forwards(config, d, x, gamma, beta, runningMean, runningVar, batchStatistics);
        double[] w = FusedData.Uniform<double>(random, x.Length, -1, 1);
        int counted = 0, cut = 0;
        for (int i = 0; i < w.Length; i++)
        {
            if (Math.Abs(z.Z[i]) < Band)
            {
                w[i] = 0;
            }
            counted += z.Z[i] >= Band ? 1 : 0;
            cut += z.Z[i] <= -Band ? 1 : 0;
        }
        Assert.True(counted > 0 && cut > 0, $"{config}: {counted} values above the kink, {cut} below");

        double Loss(double[] input, double[]? weight, double[]? bias)
        {
            double[] y = new double[input.Length];
            if (batchStatistics)
            {
                kernels.ForwardTraining(input, y, d, weight, bias, new double[f], new double[f], new double[f], Num.Filled<double>(f, 1), 0, 1);
            }
            else
            {
                kernels.ForwardInference(input, y, d, weight, bias, runningMean, runningVar, 1);
            }
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += w[i] * y[i];
            }
            return sum;
        }

        double[] output = new double[x.Length], dx = new double[x.Length];
        layer.Forward(x, output, d);
        layer.Backward(x, w, dx, d);

        double scale = Math.Max(1, Close.MaxAbs(dx));
        foreach (int i in Enumerable.Range(0, 48).Select(_ => random.Next(x.Length)).Distinct())
        {
            double keep = x[i];
            x[i] = keep + H;
            double plus = Loss(x, gamma, beta);
            x[i] = keep - H;
            double minus = Loss(x, gamma, beta);
            x[i] = keep;
            double numeric = (plus - minus) / (2 * H);
            Assert.True(Math.Abs(numeric - dx[i]) <= 1e-6 * scale,
                $"{config} {(training ? "training" : "eval")} dx[{i}]: backward {dx[i]:R}, finite difference {numeric:R}");
        }
        if (config.Affine)
        {
            CheckParameter("weight", gamma!, layer.WeightGrad!, () => Loss(x, gamma, beta), config, training);
            CheckParameter("bias", beta!, layer.BiasGrad!, () => Loss(x, gamma, beta), config, training);
        }
    }

    private static void CheckParameter(string what, double[] parameter, double[] gradient, Func<double> loss, FusedConfig config, bool training)
    {
        double scale = Math.Max(1, Close.MaxAbs(gradient));
        for (int c = 0; c < parameter.Length; c++)
        {
            double keep = parameter[c];
            parameter[c] = keep + H;
            double plus = loss();
            parameter[c] = keep - H;
            double minus = loss();
            parameter[c] = keep;
            double numeric = (plus - minus) / (2 * H);
            Assert.True(Math.Abs(numeric - gradient[c]) <= 1e-6 * scale,
                $"{config} {(training ? "training" : "eval")} {what} grad[{c}]: backward {gradient[c]:R}, finite difference {numeric:R}");
        }
    }
}
