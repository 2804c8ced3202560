using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(3, ElementType = typeof(double))]
public partial class GradNc3 : INcLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(4, BatchNormLayout.NCHW, ElementType = typeof(double), Epsilon = 1e-3)]
public partial class GradNchw4 : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(5, ElementType = typeof(double), TrackRunningStats = false)]
public partial class GradNc5NoStats : INcLayer<double>, IAffineLayer<double> { }

[BatchNormLayer(2, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false)]
public partial class GradNchw2NoAffine : INchwLayer<double>, ITrackedLayer<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double), TrackRunningStats = false, Epsilon = 0.01)]
public partial class GradNchw3NoStats : INchwLayer<double>, IAffineLayer<double> { }

/// <summary>
/// Backward against central finite differences of L = Σ y · g, in double, for every input value and every weight and
/// bias: training mode (gradient through the batch statistics), evaluation mode with running statistics (constants),
/// and evaluation without running statistics (batch statistics again, so the full training gradient). With h = 1e-5
/// the difference quotient is accurate to about 1e-9 here; the tolerance is 1e-6 · max(1, largest gradient).
/// </summary>
public class GradientCheckTests
{
    private const double H = 1e-5;

    public static TheoryData<string, bool, int> Cases()
    {
        var data = new TheoryData<string, bool, int>();
        foreach (string layer in new[] { nameof(GradNc3), nameof(GradNchw4), nameof(GradNc5NoStats), nameof(GradNchw2NoAffine), nameof(GradNchw3NoStats) })
        {
            for (int seed = 0; seed < 3; seed++)
            {
                data.Add(layer, true, seed);
                data.Add(layer, false, seed);
            }
        }
        return data;
    }

    private static GeneratedLayer<double> Create(string name) => name switch
    {
        nameof(GradNc3) => new(new GradNc3(), new LayerConfig(3, BatchNormLayout.NC, true, 1e-5, 0.1, true, true, false)),
        nameof(GradNchw4) => new(new GradNchw4(), new LayerConfig(4, BatchNormLayout.NCHW, true, 1e-3, 0.1, true, true, false)),
        nameof(GradNc5NoStats) => new(new GradNc5NoStats(), new LayerConfig(5, BatchNormLayout.NC, true, 1e-5, 0.1, true, false, false)),
        nameof(GradNchw2NoAffine) => new(new GradNchw2NoAffine(), new LayerConfig(2, BatchNormLayout.NCHW, true, 1e-5, 0.1, false, true, false)),
        nameof(GradNchw3NoStats) => new(new GradNchw3NoStats(), new LayerConfig(3, BatchNormLayout.NCHW, true, 0.01, 0.1, true, false, false)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesFiniteDifferences(string layerName, bool training, int seed)
    {
        GeneratedLayer<double> layer = Create(layerName);
        LayerConfig config = layer.Config;
        var random = new Random(seed * 97 + layerName.Length);
        var (batch, height, width) = DifferentialTests.RandomShape(random, config.Layout, needsMoreThanOne: true);
        if (config.Layout == BatchNormLayout.NCHW)
        {
            // Keep the number of forward calls (two per value) modest.
            (height, width) = (Math.Min(height, 3), Math.Min(width, 4));
            batch = Math.Max(Math.Min(batch, 3), height * width == 1 ? 2 : 1);
        }
        int f = config.Features;
        int count = batch * f * height * width;
        double[] x = Enumerable.Range(0, count).Select(_ => random.NextDouble() * 4 - 2).ToArray();
        double[] g = Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        if (config.Affine)
        {
            Fill(layer.Weight!, random, -2, 2);
            Fill(layer.Bias!, random, -1, 1);
        }
        if (config.Track)
        {
            Fill(layer.RunningMean!, random, -1, 1);
            Fill(layer.RunningVar!, random, 0.3, 2);
        }
        layer.Training = training;

        double Loss()
        {
            var y = new double[count];
            layer.Forward(x, y, batch, height, width);
            double sum = 0;
            for (int i = 0; i < count; i++)
            {
                sum += y[i] * g[i];
            }
            return sum;
        }

        double Derivative(double[] values, int i)
        {
            double saved = values[i];
            values[i] = saved + H;
            double plus = Loss();
            values[i] = saved - H;
            double minus = Loss();
            values[i] = saved;
            return (plus - minus) / (2 * H);
        }

        Loss();
        var dx = new double[count];
        layer.Backward(x, g, dx, batch, height, width);
        double[] weightGrad = config.Affine ? (double[])layer.WeightGrad!.Clone() : [];
        double[] biasGrad = config.Affine ? (double[])layer.BiasGrad!.Clone() : [];

        double[] numericDx = Enumerable.Range(0, count).Select(i => Derivative(x, i)).ToArray();
        Close.All($"{layerName} dL/dx", numericDx, dx, 1e-6 * Math.Max(1, Close.MaxAbs(dx)));
        Assert.True(Close.MaxAbs(dx) > 1e-3, "the check is not vacuous");
        if (config.Affine)
        {
            double[] numericDw = Enumerable.Range(0, f).Select(c => Derivative(layer.Weight!, c)).ToArray();
            double[] numericDb = Enumerable.Range(0, f).Select(c => Derivative(layer.Bias!, c)).ToArray();
            Close.All($"{layerName} dL/dweight", numericDw, weightGrad, 1e-6 * Math.Max(1, Close.MaxAbs(weightGrad)));
            Close.All($"{layerName} dL/dbias", numericDb, biasGrad, 1e-6 * Math.Max(1, Close.MaxAbs(biasGrad)));
        }
    }

    private static void Fill(double[] target, Random random, double low, double high)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = low + (high - low) * random.NextDouble();
        }
    }
}
