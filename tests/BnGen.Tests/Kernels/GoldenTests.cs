using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

/// <summary>
/// Every golden PyTorch case through three implementations: the generated layer instance, the generated static kernels
/// and the generic <see cref="BatchNormKernels"/>. Each value is compared within <see cref="FloatRelative"/> (float32
/// cases) or <see cref="DoubleRelative"/> (float64) times its own error scale: the sum of the magnitudes of the terms
/// that make it (<see cref="ReferenceBatchNorm"/>, as in the differential tests), which bounds an implementation's
/// rounding whatever the size of the value. So a value near zero (nc_2x4_f32_batch2's training grad_input, made of ε
/// alone) is held to its terms' rounding, not to the largest value of its tensor, and a formula that is off by more
/// than a few roundings fails: with ε moved outside the square root every float32 case fails (docs/testing.md).
/// </summary>
public class GoldenTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Per-value tolerance of float32 cases: about 8 roundings of float (2^-24 ≈ 6e-8) of the value's terms.</summary>
    public const double FloatRelative = 1e-6;

    /// <summary>Per-value tolerance of float64 cases: about 4500 roundings of double (2^-53 ≈ 1.1e-16).</summary>
    public const double DoubleRelative = 1e-12;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in GoldenFiles.Names)
        {
            foreach (string implementation in new[] { "instance", "static", "generic" })
            {
                data.Add(name, implementation);
            }
        }
        return data;
    }

    [Fact]
    public void EveryGoldenFileHasItsOwnGeneratedLayer()
    {
        string[] files = GoldenFiles.Names.ToArray();
        Assert.Equal(12, files.Length);
        Assert.Equal(files, GoldenLayers.ByFile.Keys.Order(StringComparer.Ordinal));
        foreach (string name in files)
        {
            GoldenCase golden = GoldenFiles.Load(name);
            Type type = GoldenLayers.ByFile[name].Create().GetType();
            Assert.Equal(golden.Features, (int)type.GetField("Features")!.GetValue(null)!);
            var attribute = (BatchNormLayerAttribute)Attribute.GetCustomAttribute(type, typeof(BatchNormLayerAttribute))!;
            Assert.Equal(golden.LayoutValue, attribute.Layout);
            Assert.Equal(golden.Epsilon, attribute.Epsilon);
            Assert.Equal(golden.Momentum, attribute.Momentum);
            Assert.Equal(golden.Affine, attribute.Affine);
            Assert.Equal(golden.TrackRunningStats, attribute.TrackRunningStats);
            Assert.Equal(golden.IsDouble ? typeof(double) : typeof(float), attribute.ElementType);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string file, string implementation)
    {
        GoldenCase golden = GoldenFiles.Load(file);
        if (golden.IsDouble)
        {
            Run(golden, Create<double>(golden, implementation), DoubleRelative);
        }
        else
        {
            Run(golden, Create<float>(golden, implementation), FloatRelative);
        }
    }

    private static ILayerUnderTest<T> Create<T>(GoldenCase golden, string implementation)
        where T : unmanaged
    {
        var (create, staticKernels) = GoldenLayers.ByFile[golden.Name];
        return implementation switch
        {
            "instance" => new GeneratedLayer<T>(create(), golden.Config),
            "static" => new KernelLayer<T>((IKernels<T>)staticKernels, golden.Config),
            "generic" => new KernelLayer<T>(typeof(T) == typeof(float)
                ? (IKernels<T>)(object)new GenericFloatKernels(golden.Features, golden.LayoutValue, golden.Epsilon)
                : (IKernels<T>)(object)new GenericDoubleKernels(golden.Features, golden.LayoutValue, golden.Epsilon), golden.Config),
            _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
        };
    }

    /// <summary>
    /// The error scale of every expected value of one step (<see cref="ReferenceBatchNorm"/>: the sum of the magnitudes of
    /// the terms that make the value), computed from the step's inputs and the running statistics before it, which the
    /// previous step's expected values give. The reference's own values are checked against PyTorch's on the way
    /// (within 1e-12 of the scales): an independent recomputation of every golden number.
    /// </summary>
    private sealed record StepScales(double[] Output, double[] GradInput, double[]? GradWeight, double[]? GradBias,
        double[]? RunningMean, double[]? RunningVar);

    private static StepScales Scales(GoldenCase golden, GoldenStep step, double[]? runningMean, double[]? runningVar, string at)
    {
        int f = golden.Features, batch = golden.Batch, plane = golden.Height * golden.Width;
        double[] x = step.Input;
        bool batchStatistics = step.Training || !golden.TrackRunningStats;
        var (mean, variance) = batchStatistics ? ReferenceBatchNorm.BatchStatistics(x, f, batch, plane) : (runningMean!, runningVar!);
        var y = ReferenceBatchNorm.Normalize(x, f, batch, plane, mean, variance, golden.Epsilon, step.Weight, step.Bias);
        var (gradInput, gradWeight, gradBias) = batchStatistics
            ? ReferenceBatchNorm.BackwardBatch(x, step.GradOutput, f, batch, plane, mean, variance, golden.Epsilon, step.Weight)
            : ReferenceBatchNorm.BackwardRunning(x, step.GradOutput, f, batch, plane, runningMean!, runningVar!, golden.Epsilon, step.Weight);
        Close.Each($"{at} reference output vs PyTorch", step.Output, y.Values, Times(y.Scales, 1e-12));
        Close.Each($"{at} reference grad_input vs PyTorch", step.GradInput, gradInput.Values, Times(gradInput.Scales, 1e-12));
        if (golden.Affine)
        {
            Close.Each($"{at} reference grad_weight vs PyTorch", step.GradWeight, gradWeight.Values, Times(gradWeight.Scales, 1e-12));
            Close.Each($"{at} reference grad_bias vs PyTorch", step.GradBias, gradBias.Values, Times(gradBias.Scales, 1e-12));
        }
        double[]? rmScales = null, rvScales = null;
        if (golden.TrackRunningStats)
        {
            if (step.Training)
            {
                var (rm, rv) = ReferenceBatchNorm.UpdateRunning(runningMean!, runningVar!, mean, variance, (double)batch * plane, golden.Momentum,
                    ReferenceBatchNorm.MeanMagnitude(x, f, batch, plane));
                Close.Each($"{at} reference running_mean vs PyTorch", step.RunningMeanAfter, rm.Values, Times(rm.Scales, 1e-12));
                Close.Each($"{at} reference running_var vs PyTorch", step.RunningVarAfter, rv.Values, Times(rv.Scales, 1e-12));
                (rmScales, rvScales) = (rm.Scales, rv.Scales);
            }
            // In evaluation nothing moves: Run checks that the values are exactly those after the step before.
        }
        return new StepScales(y.Scales, gradInput.Scales, golden.Affine ? gradWeight.Scales : null, golden.Affine ? gradBias.Scales : null,
            rmScales, rvScales);
    }

    private static double[] Times(double[] scales, double relative) => scales.Select(s => s * relative).ToArray();

    private void Run<T>(GoldenCase golden, ILayerUnderTest<T> layer, double relative)
        where T : unmanaged
    {
        double[]? runningMean = golden.TrackRunningStats ? new double[golden.Features] : null;
        double[]? runningVar = golden.TrackRunningStats ? Enumerable.Repeat(1d, golden.Features).ToArray() : null;
        // The initial running statistics (0 and 1) are exact; after a training step, that step's scales apply.
        double[]? runningMeanScales = golden.TrackRunningStats ? new double[golden.Features] : null;
        double[]? runningVarScales = runningMeanScales;
        double worst = 0;
        void Check(string what, double[]? expected, double[] actual, double[] scales)
        {
            for (int j = 0; j < actual.Length; j++)
            {
                worst = Math.Max(worst, Math.Abs(actual[j] - expected![j]) / (scales[j] + 1e-300));
            }
            Close.Each(what, expected, actual, Times(scales, relative));
        }
        for (int i = 0; i < golden.Steps.Length; i++)
        {
            GoldenStep step = golden.Steps[i];
            string at = $"{golden.Name} step {i} ({(step.Training ? "training" : "eval")})";
            StepScales scales = Scales(golden, step, runningMean, runningVar, at);
            if (golden.Affine)
            {
                Num.FromDoubles<T>(step.Weight).CopyTo(layer.Weight!, 0);
                Num.FromDoubles<T>(step.Bias).CopyTo(layer.Bias!, 0);
            }
            layer.Training = step.Training;
            T[]? runningMeanBefore = (T[]?)layer.RunningMean?.Clone();
            T[]? runningVarBefore = (T[]?)layer.RunningVar?.Clone();
            T[] x = Num.FromDoubles<T>(step.Input);
            // The inputs are exactly representable in the case's type: the layer sees the values PyTorch saw.
            Assert.Equal(step.Input, Num.ToDoubles<T>(x));
            var y = new T[golden.Count];
            layer.Forward(x, y, golden.Batch, golden.Height, golden.Width);
            Check($"{at} output", step.Output, Num.ToDoubles<T>(y), scales.Output);
            if (golden.TrackRunningStats)
            {
                if (step.Training)
                {
                    (runningMeanScales, runningVarScales) = (scales.RunningMean!, scales.RunningVar!);
                }
                else
                {
                    Assert.Equal(runningMeanBefore, layer.RunningMean);
                    Assert.Equal(runningVarBefore, layer.RunningVar);
                }
                Check($"{at} running_mean", step.RunningMeanAfter, Num.ToDoubles<T>(layer.RunningMean), runningMeanScales!);
                Check($"{at} running_var", step.RunningVarAfter, Num.ToDoubles<T>(layer.RunningVar), runningVarScales!);
                if (layer.NumBatchesTracked is { } tracked)
                {
                    Assert.Equal(step.NumBatchesTrackedAfter, tracked);   // the generated layer's own count
                }
                (runningMean, runningVar) = (step.RunningMeanAfter, step.RunningVarAfter);
            }
            else
            {
                Assert.Null(step.RunningMeanAfter);
                Assert.Null(layer.RunningMean);
            }

            var dx = new T[golden.Count];
            layer.Backward(x, Num.FromDoubles<T>(step.GradOutput), dx, golden.Batch, golden.Height, golden.Width);
            Check($"{at} grad_input", step.GradInput, Num.ToDoubles<T>(dx), scales.GradInput);
            if (golden.Affine)
            {
                Check($"{at} grad_weight", step.GradWeight, Num.ToDoubles<T>(layer.WeightGrad), scales.GradWeight!);
                Check($"{at} grad_bias", step.GradBias, Num.ToDoubles<T>(layer.BiasGrad), scales.GradBias!);
            }
        }
        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{golden.Name} [{layer.GetType().Name}]: worst |error| / scale {worst:E2} (tolerance {relative:E0})"));
    }
}
