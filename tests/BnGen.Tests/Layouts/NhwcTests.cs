using System;
using System.Collections.Generic;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Layouts;

/// <summary>
/// NHWC ([batch, height, width, channels]) against NCHW on the transposed data, every family of <see cref="Families"/>,
/// training steps and evaluation steps (from the same running statistics), small random shapes and one large enough for
/// several NHWC row blocks.
/// <para>
/// Why the two may differ at all: both take the same pivot (each channel's first value) and sum in double, but NCHW
/// walks a channel's runs (<c>RunSums</c>) while NHWC walks the columns of row blocks (<c>ColumnSums</c>), so the double
/// sums Σ(x − pivot), Σ(x − pivot)², Σdy', Σdy'·(x − mean) are added in another order and may differ in their last bits.
/// Everything after the sums is the same arithmetic: per-channel coefficients (scale, shift, the backward's terms)
/// rounded once to T, and the same fused multiply-adds per element. A last-bit difference of a double sum changes a
/// float coefficient only where it sits on a rounding boundary (by one unit in its last place), and a double one by a
/// few units.
/// </para>
/// <para>
/// The tolerance: each value within <see cref="Tolerances.Pairwise"/> units of ε · scale of the other layout's, where ε
/// is the element type's (2^-23, 2^-52) and the scale is the value's error scale from the reference
/// (<see cref="ReferenceStep"/>: the magnitudes of the terms that make it, and for double layers the batch statistics'
/// own rounding). Why that much and no more: both layouts are checked here, in the same run, to lie within
/// <see cref="Tolerances.Reference"/> of the exact result (3 units for float outputs and input gradients, 2 for
/// parameter gradients and running statistics; 4 for double), so they lie within twice that of each other. That makes
/// the comparison tight: a layout off by more than a few float ulps of its terms fails, and a wrong formula is off by
/// the scale itself, 2^23 units. Seen on x64 (the results are the same on every machine, by design): float NHWC and NCHW
/// identical in every bit on all these data; double within 3 units of each other; both within 1.1 (float) and 1.9
/// (double) units of the reference. The largest differences are written to the test output.
/// </para>
/// </summary>
public class NhwcTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => Families.Names();

    [Theory]
    [MemberData(nameof(Names))]
    public void Nhwc_matches_NCHW_on_transposed_data(string family)
    {
        ReferenceCheck.Worst worst = Families.Float.TryGetValue(family, out Family<float>? f) ? Compare(f) : Compare(Families.Double[family]);
        output.WriteLine($"family {family}: largest NHWC-NCHW difference in units of ε · scale: {worst}");
    }

    private static ReferenceCheck.Worst Compare<T>(Family<T> family)
        where T : unmanaged
    {
        var worst = new ReferenceCheck.Worst();
        for (int seed = 0; seed < 3; seed++)
        {
            // Training steps, then evaluation steps from the same running statistics for both layers (after training
            // they would differ in their last bits, and the evaluation outputs with them).
            Compare(family, Scenario.Make(family.Options, 200 * seed + family.Name[0], Scenario.RandomDims(BatchNormLayout.NCHW), 3, 0), seed, worst);
            Compare(family, Scenario.Make(family.Options, 250 * seed + family.Name[0], Scenario.RandomDims(BatchNormLayout.NCHW), 0, 2), seed, worst);
        }
        Compare(family, Scenario.Make(family.Options, 260 + family.Name[0], Scenario.LargeDims(BatchNormLayout.NCHW), 2, 0), 3, worst);
        Compare(family, Scenario.Make(family.Options, 270 + family.Name[0], Scenario.LargeDims(BatchNormLayout.NCHW), 0, 1), 4, worst);
        return worst;
    }

    private static void Compare<T>(Family<T> family, Scenario scenario, int seed, ReferenceCheck.Worst worst)
        where T : unmanaged
    {
        bool d = family.Options.IsDouble;
        List<Observed<T>> nchw = scenario.Play(family.Layer(BatchNormLayout.NCHW));
        List<Observed<T>> nhwc = scenario.Play(family.Layer(BatchNormLayout.NHWC));

        // Tightness: each within the reference bounds of the exact result.
        ReferenceCheck.Check($"{family}, seed {seed}, NCHW", scenario, nchw, Tolerances.Reference(d));
        ReferenceCheck.Check($"{family}, seed {seed}, NHWC", scenario, nhwc, Tolerances.Reference(d));

        // The two layouts against each other, with the error scales of NCHW's steps.
        ReferenceCheck.Bounds bounds = Tolerances.Pairwise(d);
        List<ReferenceStep> references = ReferenceCheck.References(scenario, nchw);
        for (int i = 0; i < references.Count; i++)
        {
            ReferenceStep r = references[i];
            Observed<T> a = nchw[i], b = nhwc[i];
            string at = $"{family}, seed {seed}, step {i} ({(scenario.Steps[i].Training ? "training" : "eval")}): NHWC against NCHW";
            double Pair(string what, Expected reference, T[]? first, T[]? second, double units)
                => Ulps.Within($"{at}: {what}", d, reference, Data.ToDoubles<T>(first), Data.ToDoubles<T>(second), units);
            worst.Output = Math.Max(worst.Output, Pair("output", r.Output, a.Output, b.Output, bounds.Output));
            worst.GradInput = Math.Max(worst.GradInput, Pair("grad input", r.GradInput, a.GradInput, b.GradInput, bounds.GradInput));
            if (r.WeightGrad is { } dw)
            {
                worst.ParameterGrad = Math.Max(worst.ParameterGrad, Pair("weight grad", dw, a.WeightGrad, b.WeightGrad, bounds.ParameterGrad));
                worst.ParameterGrad = Math.Max(worst.ParameterGrad, Pair("bias grad", r.BiasGrad!, a.BiasGrad, b.BiasGrad, bounds.ParameterGrad));
            }
            if (r.RunningMean is { } rm)
            {
                worst.Running = Math.Max(worst.Running, Pair("running mean", rm, a.RunningMean, b.RunningMean, bounds.Running));
                worst.Running = Math.Max(worst.Running, Pair("running var", r.RunningVar!, a.RunningVar, b.RunningVar, bounds.Running));
            }
            Assert.Equal(a.Count, b.Count);
        }
    }
}
