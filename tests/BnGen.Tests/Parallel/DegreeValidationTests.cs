using System;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.Parallel;

/// <summary>
/// <c>MaxDegreeOfParallelism</c> accepts -1 (all cores) and positive counts; 0 and anything below -1 are an
/// <see cref="ArgumentOutOfRangeException"/> that leaves the old value (as <c>ParallelOptions</c> does). The overloads
/// with a trailing <c>maxDegreeOfParallelism</c> (generated static kernels and <see cref="BatchNormKernels"/>) reject
/// the same values before they write anything: outputs, saved statistics, running statistics and parameter gradients
/// stay as they were, on shapes below and above the threshold.
/// </summary>
public class DegreeValidationTests
{
    private static readonly int[] Invalid = [0, -2, int.MinValue];

    public static TheoryData<string, BatchNormLayout> Kinds() => DeterminismTests.Kinds();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_property_rejects_0_and_below_minus_1_and_keeps_its_value(string family, BatchNormLayout layout)
    {
        if (Families.Float.TryGetValue(family, out Family<float>? f))
        {
            Property(f, layout);
        }
        else
        {
            Property(Families.Double[family], layout);
        }
    }

    private static void Property<T>(Family<T> family, BatchNormLayout layout)
        where T : unmanaged
    {
        TestLayer<T> layer = family.Layer(layout);
        Assert.Equal(1, layer.MaxDegreeOfParallelism);
        layer.MaxDegreeOfParallelism = 3;
        foreach (int value in Invalid)
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => layer.MaxDegreeOfParallelism = value);
            Assert.Equal("MaxDegreeOfParallelism", e.ParamName);
            Assert.Equal(value, e.ActualValue);
            Assert.StartsWith($"'MaxDegreeOfParallelism' must be -1 (all cores) or a positive number of threads, but was {value}.", e.Message);
            Assert.Equal(3, layer.MaxDegreeOfParallelism);
        }
        layer.MaxDegreeOfParallelism = -1;
        Assert.Equal(-1, layer.MaxDegreeOfParallelism);

        // Any positive count is accepted; more threads than parts (or cores) just means fewer helpers.
        layer.MaxDegreeOfParallelism = int.MaxValue;
        Assert.Equal(int.MaxValue, layer.MaxDegreeOfParallelism);
        Dims dims = ParallelShapes.Near(layout, family.Options.Features, ParallelShapes.Threshold, up: true);
        var serial = family.Layer(layout);
        Scenario scenario = Scenario.Make(family.Options with { Layout = layout }, 9, ParallelShapes.Fixed(dims), 1, 1);
        Scenario.AssertIdentical($"{family}, {layout}: degree int.MaxValue", scenario.Play(serial), scenario.Play(layer));
    }

    public static TheoryData<string, BatchNormLayout> KindsWithKernels()
    {
        var kinds = new TheoryData<string, BatchNormLayout>();
        foreach (string name in new[] { "A", "B", "C" })
        {
            foreach (BatchNormLayout layout in new[] { BatchNormLayout.NC, BatchNormLayout.NCHW, BatchNormLayout.NHWC, BatchNormLayout.NCL })
            {
                kinds.Add(name, layout);
            }
        }
        return kinds;
    }

    [Theory]
    [MemberData(nameof(KindsWithKernels))]
    public void The_overloads_reject_0_and_below_minus_1_before_writing_anything(string family, BatchNormLayout layout)
    {
        if (Families.Float.TryGetValue(family, out Family<float>? f))
        {
            Overloads(f, layout);
        }
        else
        {
            Overloads(Families.Double[family], layout);
        }
    }

    private static void Overloads<T>(Family<T> family, BatchNormLayout layout)
        where T : unmanaged
    {
        LayerOptions o = family.Options;
        int f = o.Features;
        var sets = new (string Name, IKernelSet<T> Kernels)[]
        {
            ("static kernels", family.Static(layout)!),
            ("BatchNormKernels", new RuntimeKernels<T>(f, layout, o.Epsilon)),
        };
        foreach (Dims dims in new[] { ParallelShapes.Near(layout, f, 1000, up: true), ParallelShapes.Near(layout, f, ParallelShapes.Threshold, up: true) })
        {
            var random = new Random(dims.Batch);
            int count = dims.Count(f);
            T[] x = Data.FromDoubles<T>(Data.Uniform(random, count, -2, 2)), dy = Data.FromDoubles<T>(Data.Uniform(random, count, -1, 1));
            T[] weight = Data.Filled<T>(f, 1.5), bias = Data.Filled<T>(f, 0.25);
            foreach (var (name, kernels) in sets)
            {
                if (name == "BatchNormKernels" && o.Activation != BatchNormActivation.None)
                {
                    continue;
                }
                foreach (int degree in Invalid)
                {
                    // Every buffer a kernel may write holds a sentinel that must survive.
                    T[] output = Data.Filled<T>(count, 7), runningMean = Data.Filled<T>(f, 3), runningVar = Data.Filled<T>(f, 4);
                    T[] weightGrad = Data.Filled<T>(f, 5), biasGrad = Data.Filled<T>(f, 6);
                    double[] savedMean = new double[f], savedInvStd = new double[f];
                    Array.Fill(savedMean, 8);
                    Array.Fill(savedInvStd, 9);
                    string what = $"{family}, {layout} {dims}, {name}, degree {degree}";
                    Rejects(what, degree, () => kernels.ForwardTraining(x, output, dims, weight, bias, savedMean, savedInvStd, runningMean,
                        runningVar, 0.1, degree));
                    Rejects(what, degree, () => kernels.ForwardInference(x, output, dims, weight, bias, runningMean, runningVar, degree));
                    Rejects(what, degree, () => kernels.BackwardTraining(x, dy, output, dims, weight, bias, Data.Filled<double>(f, 0.5),
                        Data.Filled<double>(f, 2), weightGrad, biasGrad, degree));
                    Rejects(what, degree, () => kernels.BackwardInference(x, dy, output, dims, weight, bias, runningMean, runningVar, weightGrad,
                        biasGrad, degree));
                    Bits.Equal($"{what}: output", Data.Filled<T>(count, 7), output);
                    Bits.Equal($"{what}: running mean", Data.Filled<T>(f, 3), runningMean);
                    Bits.Equal($"{what}: running var", Data.Filled<T>(f, 4), runningVar);
                    Bits.Equal($"{what}: weight grad", Data.Filled<T>(f, 5), weightGrad);
                    Bits.Equal($"{what}: bias grad", Data.Filled<T>(f, 6), biasGrad);
                    Bits.Equal($"{what}: saved mean", Data.Filled<double>(f, 8), savedMean);
                    Bits.Equal($"{what}: saved invStd", Data.Filled<double>(f, 9), savedInvStd);
                }
            }
        }
    }

    private static void Rejects(string what, int degree, Action call)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(call);
        Assert.True(e.ParamName == "maxDegreeOfParallelism", $"{what}: parameter {e.ParamName}");
        Assert.Equal(degree, e.ActualValue);
        Assert.StartsWith($"'maxDegreeOfParallelism' must be -1 (all cores) or a positive number of threads, but was {degree}.", e.Message);
    }
}
