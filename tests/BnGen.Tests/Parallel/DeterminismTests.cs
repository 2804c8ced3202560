using System.Collections.Generic;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.Parallel;

/// <summary>
/// Issue 9: results do not depend on the degree of parallelism. Every layer kind of <see cref="Families"/> (NC, NCHW,
/// NHWC, NCL; float and double; 1, 3, 4, 5, 6, 7, 19, 37, 64 and 130 features, so fewer channels than threads and many
/// more; ReLU; with and without γ/β and running statistics; cumulative averages) plays seeded scenarios (a training step
/// and an evaluation step, forward and backward each) on shapes below and above <see cref="ParallelShapes.Threshold"/>
/// with ragged planes, at degrees 2, 3 and -1 (all cores), and every output, input gradient, parameter gradient,
/// running statistic and count must equal the degree-1 run's in every bit: through the instance
/// (<c>MaxDegreeOfParallelism</c>), the generated static kernels (trailing <c>maxDegreeOfParallelism</c>) and
/// <see cref="BatchNormKernels"/> (same overloads; not for ReLU, which it does not have).
/// </summary>
public class DeterminismTests
{
    public static TheoryData<string, BatchNormLayout> Kinds()
    {
        var kinds = new TheoryData<string, BatchNormLayout>();
        foreach (string name in Families.Names())
        {
            foreach (BatchNormLayout layout in new[] { BatchNormLayout.NC, BatchNormLayout.NCHW, BatchNormLayout.NHWC, BatchNormLayout.NCL })
            {
                kinds.Add(name, layout);
            }
        }
        return kinds;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_degree_gives_the_same_bits(string family, BatchNormLayout layout)
    {
        if (Families.Float.TryGetValue(family, out Family<float>? f))
        {
            Check(f, layout);
        }
        else
        {
            Check(Families.Double[family], layout);
        }
    }

    private static void Check<T>(Family<T> family, BatchNormLayout layout)
        where T : unmanaged
    {
        LayerOptions options = family.Options with { Layout = layout };
        int seed = 0;
        foreach (Dims dims in ParallelShapes.For(layout, options.Features))
        {
            Scenario scenario = Scenario.Make(options, 500 + seed++ + family.Name[0], ParallelShapes.Fixed(dims), 1, 1);
            string what = $"{family}, {layout} {dims} ({dims.Count(options.Features)} values)";

            List<Observed<T>> serial = scenario.Play(family.Layer(layout));
            foreach (int degree in ParallelShapes.Degrees)
            {
                TestLayer<T> layer = family.Layer(layout);
                layer.MaxDegreeOfParallelism = degree;
                Scenario.AssertIdentical($"{what}: instance at degree {degree}", serial, scenario.Play(layer));
            }

            if (family.Static(layout) is { } kernels)
            {
                foreach (int degree in new[] { 1, 2, 3, -1 })
                {
                    Scenario.AssertIdentical($"{what}: static kernels at degree {degree}", serial,
                        scenario.Play(new KernelLayer<T>(kernels, options) { Degree = degree }));
                }
            }

            if (options.Activation == BatchNormActivation.None)
            {
                var runtime = new RuntimeKernels<T>(options.Features, layout, options.Epsilon);
                foreach (int degree in new[] { 1, 2, 3, -1 })
                {
                    Scenario.AssertIdentical($"{what}: BatchNormKernels at degree {degree}", serial,
                        scenario.Play(new KernelLayer<T>(runtime, options) { Degree = degree }));
                }
            }
        }
    }
}
