using Xunit;

namespace BnGen.Tests.Layouts;

/// <summary>
/// <see cref="BatchNormKernels"/> (the layout, features and ε given at run time) with NHWC and NCL runs the kernels the
/// generated layers run: a layer built from it (<see cref="KernelLayer{T}"/>, LayerCore's call sequence) gives the
/// generated instance's results in every bit, and so does one built from the generated static kernels. NCL takes
/// height 1 and the length as width. Families with ReLU are left out: the runtime kernels have no activation.
/// </summary>
public class RuntimeKernelTests
{
    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (string name in Families.Names())
        {
            if (Activation(name) == BatchNormActivation.None)
            {
                names.Add(name);
            }
        }
        return names;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BatchNormKernels_equal_the_generated_layers_bit_for_bit(string family)
    {
        if (Families.Float.TryGetValue(family, out Family<float>? f))
        {
            Check(f);
        }
        else
        {
            Check(Families.Double[family]);
        }
    }

    private static void Check<T>(Family<T> family)
        where T : unmanaged
    {
        foreach (BatchNormLayout layout in new[] { BatchNormLayout.NHWC, BatchNormLayout.NCL, BatchNormLayout.NCHW })
        {
            LayerOptions options = family.Options with { Layout = layout };
            var runtime = new RuntimeKernels<T>(options.Features, layout, options.Epsilon);
            for (int seed = 0; seed < 3; seed++)
            {
                string what = $"{family}, {layout}, seed {seed}";
                Scenario scenario = Scenario.Make(options, 400 * seed + family.Name[0], seed < 2 ? Scenario.RandomDims(layout) : Scenario.LargeDims(layout));
                var generated = scenario.Play(family.Layer(layout));
                Scenario.AssertIdentical($"{what}: BatchNormKernels against the instance", generated, scenario.Play(new KernelLayer<T>(runtime, options)));
                Scenario.AssertIdentical($"{what}: BatchNormKernels (degree 1) against the instance", generated,
                    scenario.Play(new KernelLayer<T>(runtime, options) { Degree = 1 }));
                if (family.Static(layout) is { } kernels)
                {
                    Scenario.AssertIdentical($"{what}: static kernels against the instance", generated, scenario.Play(new KernelLayer<T>(kernels, options)));
                }
            }
        }
    }

    private static BatchNormActivation Activation(string name)
        => Families.Float.TryGetValue(name, out Family<float>? f) ? f.Options.Activation : Families.Double[name].Options.Activation;
}
