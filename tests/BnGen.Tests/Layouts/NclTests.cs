using Xunit;

namespace BnGen.Tests.Layouts;

/// <summary>
/// NCL ([batch, channels, length], BatchNorm1d on 3-D input) is NCHW with height 1: the same memory, the same channel
/// runs, the same passes. Every family of <see cref="Families"/> plays seeded scenarios (three training steps, two
/// evaluation steps, forward and backward each, new γ and β every step) on an NCL and an NCHW layer of the same options;
/// outputs, input gradients, parameter gradients, running statistics and NumBatchesTracked must agree in every bit,
/// for the instances and for the static kernels (with and without the degree overload).
/// </summary>
public class NclTests
{
    public static TheoryData<string> Names() => Families.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void Ncl_equals_NCHW_with_height_one_bit_for_bit(string family)
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
        for (int seed = 0; seed < 4; seed++)
        {
            Scenario scenario = Scenario.Make(family.Options, 100 * seed + family.Name[0],
                seed < 3 ? Scenario.RandomDims(BatchNormLayout.NCL) : Scenario.LargeDims(BatchNormLayout.NCL));
            var nchw = scenario.Play(family.Layer(BatchNormLayout.NCHW));
            var ncl = scenario.Play(family.Layer(BatchNormLayout.NCL));
            Scenario.AssertIdentical($"{family}, seed {seed}, NCL instance against NCHW", nchw, ncl);

            if (family.StaticNchw is { } staticNchw)
            {
                var nchwStatic = scenario.Play(new KernelLayer<T>(staticNchw, family.Options));
                var nclStatic = scenario.Play(new KernelLayer<T>(family.StaticNcl!, family.Options with { Layout = BatchNormLayout.NCL }));
                var nclStaticDegree = scenario.Play(new KernelLayer<T>(family.StaticNcl!, family.Options with { Layout = BatchNormLayout.NCL }) { Degree = 1 });
                Scenario.AssertIdentical($"{family}, seed {seed}, NCL static against NCHW static", nchwStatic, nclStatic);
                Scenario.AssertIdentical($"{family}, seed {seed}, NCL static (degree 1) against NCL static", nclStatic, nclStaticDegree);
                Scenario.AssertIdentical($"{family}, seed {seed}, NCL static against the NCL instance", ncl, nclStatic);
            }
        }
    }
}
