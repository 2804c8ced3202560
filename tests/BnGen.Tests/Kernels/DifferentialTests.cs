using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

/// <summary>
/// Generated layers vs the generic kernels vs <see cref="ReferenceBatchNorm"/> on random shapes (seeded): 64 generated
/// layers (features 1 … 1030, both layouts, both element types, every combination of Affine, TrackRunningStats and
/// CumulativeAverage, several epsilons and momenta), batch 1 … 9 and planes 1 × 1 … 9 × 13 drawn at run time.
/// Each call is checked against the reference computed from the layer's own state just before it, value by value,
/// within 1e-5 (float) or 1e-12 (double) times the sum of the magnitudes of the terms that make the value (see
/// <see cref="ReferenceBatchNorm"/>): a wrong formula is off by the size of the value itself, rounding by a few ulps.
/// </summary>
public class DifferentialTests
{
    public static TheoryData<int> Layers() => new(Enumerable.Range(0, DifferentialLayers.All.Count));

    [Fact]
    public void LayersCoverTheConfigurationSpace()
    {
        var configs = DifferentialLayers.All.Select(l => l.Config).ToArray();
        foreach (var group in configs.GroupBy(c => (c.Layout, c.IsDouble)))
        {
            Assert.Equal(6, group.Select(c => (c.Affine, c.Track, c.Cumulative)).Distinct().Count());
            Assert.Contains(group, c => c.Features > 512);
            Assert.Contains(group, c => c.Features % 2 == 1 && c.Features > 8);
        }
        foreach (var (config, create) in DifferentialLayers.All)
        {
            Type type = create().GetType();
            var attribute = (BatchNormLayerAttribute)Attribute.GetCustomAttribute(type, typeof(BatchNormLayerAttribute))!;
            Assert.Equal(config, new LayerConfig(attribute.Features, attribute.Layout, attribute.ElementType == typeof(double),
                attribute.Epsilon, attribute.Momentum, attribute.Affine, attribute.TrackRunningStats, attribute.CumulativeAverage));
        }
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void GeneratedAndGenericMatchTheReference(int index)
    {
        var (config, create) = DifferentialLayers.All[index];
        if (config.IsDouble)
        {
            Check(new GeneratedLayer<double>(create(), config), index, 1e-12);
            Check(new KernelLayer<double>(new GenericDoubleKernels(config.Features, config.Layout, config.Epsilon), config), index, 1e-12);
        }
        else
        {
            Check(new GeneratedLayer<float>(create(), config), index, 1e-5);
            Check(new KernelLayer<float>(new GenericFloatKernels(config.Features, config.Layout, config.Epsilon), config), index, 1e-5);
        }
    }

    /// <summary>
    /// The same random sequence for any implementation (the seed depends on the layer only): parameters and running
    /// statistics written by the "user", four training steps, two evaluation steps, each forward then backward.
    /// </summary>
    private static void Check<T>(ILayerUnderTest<T> layer, int seed, double relative)
        where T : unmanaged
    {
        LayerConfig config = layer.Config;
        var random = new Random(1000 + seed);
        var history = new History();
        if (config.Track)
        {
            Fill(layer.RunningMean!, random, -1, 1);
            Fill(layer.RunningVar!, random, 0.5, 2);
        }
        for (int step = 0; step < 6; step++)
        {
            bool training = step < 4;
            var shape = RandomShape(random, config.Layout, needsMoreThanOne: training || !config.Track);
            Step(layer, random, training, shape, relative, inPlace: false, history, $"step {step}");
        }
    }

    /// <summary>What a test knows of a layer's past, independently of the layer: how many training batches it has seen.</summary>
    public sealed class History
    {
        public long TrainingBatches { get; set; }
    }

    /// <summary>
    /// One forward and one backward of <paramref name="layer"/> on random data of the given shape, each output checked
    /// value by value against <see cref="ReferenceBatchNorm"/> computed from the layer's state just before the call,
    /// within <paramref name="relative"/> times each value's error scale. With <paramref name="inPlace"/> the output is
    /// written over a copy of the input and gradInput over a copy of gradOutput. The running statistics' factor (the
    /// momentum, or 1 / (batches + 1) for a cumulative average) comes from <paramref name="history"/>, the test's own count.
    /// </summary>
    internal static void Step<T>(ILayerUnderTest<T> layer, Random random, bool training, (int Batch, int Height, int Width) shape,
        double relative, bool inPlace, History history, string label)
        where T : unmanaged
    {
        LayerConfig config = layer.Config;
        int f = config.Features;
        layer.Training = training;
        if (config.Affine)
        {
            Fill(layer.Weight!, random, -2, 2);
            Fill(layer.Bias!, random, -1, 1);
        }
        bool batchStatistics = training || !config.Track;
        var (batch, height, width) = shape;
        int plane = height * width;
        int count = batch * f * plane;
        string at = $"{config} [{layer.GetType().Name}{(inPlace ? ", in place" : string.Empty)}] {label} ({(training ? "training" : "eval")}) "
                    + $"shape {batch}x{f}x{height}x{width}";

        // Inputs: a random offset and spread per channel, rounded to T so that the reference sees what the layer sees.
        var offsets = Enumerable.Range(0, f).Select(_ => random.NextDouble() * 6 - 3).ToArray();
        var spreads = Enumerable.Range(0, f).Select(_ => 0.1 + random.NextDouble() * 3).ToArray();
        var xd = new double[count];
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % f;
            xd[i] = offsets[c] + spreads[c] * (random.NextDouble() * 2 - 1);
        }
        T[] x = Num.FromDoubles<T>(xd);
        xd = Num.ToDoubles<T>(x);
        T[] dy = Num.FromDoubles<T>(Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray());
        double[] dyd = Num.ToDoubles<T>(dy);

        double[]? weight = config.Affine ? Num.ToDoubles<T>(layer.Weight) : null;
        double[]? bias = config.Affine ? Num.ToDoubles<T>(layer.Bias) : null;
        double[]? runningMean = config.Track ? Num.ToDoubles<T>(layer.RunningMean) : null;
        double[]? runningVar = config.Track ? Num.ToDoubles<T>(layer.RunningVar) : null;

        double[] mean, variance;
        if (batchStatistics)
        {
            (mean, variance) = ReferenceBatchNorm.BatchStatistics(xd, f, batch, plane);
        }
        else
        {
            (mean, variance) = (runningMean!, runningVar!);
        }
        var expectedY = ReferenceBatchNorm.Normalize(xd, f, batch, plane, mean, variance, config.Epsilon, weight, bias);
        var (gradInput, gradWeight, gradBias) = batchStatistics
            ? ReferenceBatchNorm.BackwardBatch(xd, dyd, f, batch, plane, mean, variance, config.Epsilon, weight)
            : ReferenceBatchNorm.BackwardRunning(xd, dyd, f, batch, plane, runningMean!, runningVar!, config.Epsilon, weight);

        T[] y = inPlace ? (T[])x.Clone() : Num.Filled<T>(count, double.NaN);
        layer.Forward(inPlace ? y : x, y, batch, height, width);
        Close.Each($"{at} output", expectedY.Values, Num.ToDoubles<T>(y), Tolerances(expectedY.Scales, relative));

        if (config.Track)
        {
            if (training)
            {
                double factor = config.Cumulative ? 1d / (history.TrainingBatches + 1) : config.Momentum;
                history.TrainingBatches++;
                var (rm, rv) = ReferenceBatchNorm.UpdateRunning(runningMean!, runningVar!, mean, variance, (double)batch * plane, factor,
                    ReferenceBatchNorm.MeanMagnitude(xd, f, batch, plane));
                Close.Each($"{at} running mean", rm.Values, Num.ToDoubles<T>(layer.RunningMean), Tolerances(rm.Scales, relative));
                Close.Each($"{at} running var", rv.Values, Num.ToDoubles<T>(layer.RunningVar), Tolerances(rv.Scales, relative));
            }
            else
            {
                Assert.Equal(runningMean, Num.ToDoubles<T>(layer.RunningMean));
                Assert.Equal(runningVar, Num.ToDoubles<T>(layer.RunningVar));
            }
            if (layer.NumBatchesTracked is { } tracked)
            {
                Assert.Equal(history.TrainingBatches, tracked);
            }
        }

        T[] dx = inPlace ? (T[])dy.Clone() : Num.Filled<T>(count, double.NaN);
        layer.Backward(x, inPlace ? dx : dy, dx, batch, height, width);
        Close.Each($"{at} grad input", gradInput.Values, Num.ToDoubles<T>(dx), Tolerances(gradInput.Scales, relative));
        if (config.Affine)
        {
            Close.Each($"{at} weight grad", gradWeight.Values, Num.ToDoubles<T>(layer.WeightGrad), Tolerances(gradWeight.Scales, relative));
            Close.Each($"{at} bias grad", gradBias.Values, Num.ToDoubles<T>(layer.BiasGrad), Tolerances(gradBias.Scales, relative));
        }
    }

    private static double[] Tolerances(double[] scales, double relative) => scales.Select(s => s * relative + 1e-300).ToArray();

    private static void Fill<T>(T[] target, Random random, double low, double high)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = Num.FromDouble<T>(low + (high - low) * random.NextDouble());
        }
    }

    /// <summary>Batch 1 … 9; NCHW planes 1 × 1 … 9 × 13; more than one value per channel where batch statistics are used.</summary>
    public static (int Batch, int Height, int Width) RandomShape(Random random, BatchNormLayout layout, bool needsMoreThanOne)
    {
        while (true)
        {
            int batch = random.Next(1, 10);
            int height = layout == BatchNormLayout.NC ? 1 : random.Next(1, 10);
            int width = layout == BatchNormLayout.NC ? 1 : random.Next(1, 14);
            if (!needsMoreThanOne || batch * height * width > 1)
            {
                return (batch, height, width);
            }
        }
    }
}
