using System.Collections.Generic;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Layouts;

/// <summary>The bounds of the reference comparisons, in units of ε · scale (see <see cref="NhwcTests"/> and <see cref="ReferenceStep"/>).</summary>
public static class Tolerances
{
    /// <summary>
    /// A layer against the exact result: an output is x · scale + shift with scale, shift and the fused multiply-add
    /// each rounded once; dx = ((x − m) · negK + (dy − offset)) · factor a few roundings more; a parameter gradient or a
    /// running statistic is a double result rounded once to T. A few units, with a margin over what is seen.
    /// </summary>
    public static ReferenceCheck.Bounds Reference(bool isDouble) => isDouble
        ? new(Output: 4, GradInput: 4, ParameterGrad: 4, Running: 4)
        : new(Output: 3, GradInput: 3, ParameterGrad: 2, Running: 2);

    /// <summary>Two layouts against each other: both within <see cref="Reference"/> of the exact result, so within twice that.</summary>
    public static ReferenceCheck.Bounds Pairwise(bool isDouble)
    {
        ReferenceCheck.Bounds r = Reference(isDouble);
        return new(2 * r.Output, 2 * r.GradInput, 2 * r.ParameterGrad, 2 * r.Running);
    }
}

/// <summary>
/// Every layout (NCHW, NHWC on transposed data, NCL as a plane of height 1) of every family against the plain double
/// reference (<see cref="ReferenceStep"/>, <see cref="Kernels.ReferenceBatchNorm"/> with ReLU added), step by step, within
/// <see cref="Tolerances.Reference"/>: small random shapes and one large shape per layout. The largest errors seen are
/// written to the test output.
/// </summary>
public class ReferenceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => Families.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_layout_matches_the_double_reference(string family)
    {
        var worst = new Dictionary<BatchNormLayout, ReferenceCheck.Worst>();
        if (Families.Float.TryGetValue(family, out Family<float>? f))
        {
            AgainstReference(f, worst);
        }
        else
        {
            AgainstReference(Families.Double[family], worst);
        }
        foreach (var (layout, w) in worst)
        {
            output.WriteLine($"family {family}, {layout}: largest error against the reference in units of ε · scale: {w}");
        }
    }

    private static void AgainstReference<T>(Family<T> family, Dictionary<BatchNormLayout, ReferenceCheck.Worst> worst)
        where T : unmanaged
    {
        ReferenceCheck.Bounds bounds = Tolerances.Reference(family.Options.IsDouble);
        foreach (BatchNormLayout layout in new[] { BatchNormLayout.NCHW, BatchNormLayout.NHWC, BatchNormLayout.NCL })
        {
            var w = new ReferenceCheck.Worst();
            for (int seed = 0; seed < 3; seed++)
            {
                Scenario scenario = Scenario.Make(family.Options, 300 * seed + family.Name[0], Scenario.RandomDims(layout));
                w.Merge(ReferenceCheck.Check($"{family}, seed {seed}, {layout}", scenario, scenario.Play(family.Layer(layout)), bounds));
            }
            Scenario large = Scenario.Make(family.Options, 310 + family.Name[0], Scenario.LargeDims(layout), 2, 1);
            w.Merge(ReferenceCheck.Check($"{family}, large, {layout}", large, large.Play(family.Layer(layout)), bounds));
            worst[layout] = w;
        }
    }
}
