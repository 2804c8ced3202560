using System;
using System.Linq;
using System.Numerics;
using BnGen.Tests.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Accuracy;

/// <summary>
/// The accuracy bar itself: it can be met (a plainly written implementation with double statistics and centered
/// formulas, <see cref="ReachableKernels{T}"/>, passes every input family in both precisions), and it catches the weak
/// formulas issue 12 describes (each <see cref="ReachableDefect"/> fails in the family that exposes it).
/// </summary>
public class MeasuringStickTests(ITestOutputHelper output)
{
    private const int Cases = 25;

    public static TheoryData<AccuracyData> Families() => new(Enum.GetValues<AccuracyData>());

    [Theory]
    [MemberData(nameof(Families))]
    public void ReachableFloatKernelsPass(AccuracyData data)
    {
        var tally = Run<float>(data, ReachableDefect.None, seed: 5);
        Assert.True(tally.Failures.Count == 0, tally.Summary() + tally.FailureReport(perTensor: 3));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void ReachableDoubleKernelsPass(AccuracyData data)
    {
        var tally = Run<double>(data, ReachableDefect.None, seed: 6);
        Assert.True(tally.Failures.Count == 0, tally.Summary() + tally.FailureReport(perTensor: 3));
    }

    /// <summary>Today's forward fold (shift from the unrounded scale, no centering) is caught on data far from zero.</summary>
    [Fact]
    public void UncenteredOutputIsCaught() => AssertCaught<float>(AccuracyData.FarOffset, ReachableDefect.UncenteredOutput, "train y", "eval y");

    /// <summary>The folded gradInput dx = dy·a + x·b + k is caught with two values per channel.</summary>
    [Fact]
    public void FoldedGradInputIsCaught() => AssertCaught<float>(AccuracyData.TwoPerChannel, ReachableDefect.FoldedGradInput, "train gradInput");

    /// <summary>Σ dy·x − mean·Σ dy is caught in double on data far from zero.</summary>
    [Fact]
    public void UncenteredWeightGradIsCaught() => AssertCaught<double>(AccuracyData.FarOffset, ReachableDefect.UncenteredWeightGrad, "train weightGrad", "eval weightGrad");

    private void AssertCaught<T>(AccuracyData data, ReachableDefect defect, params string[] tensors)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var tally = Run<T>(data, defect, seed: 7);
        var caught = tally.Failures.Where(f => tensors.Contains(f.Key)).ToList();
        Assert.True(caught.Count > 0, $"{defect} was not caught on {data}:\n" + tally.Summary());
        // Nothing else is blamed: the defect touches only these tensors.
        Assert.All(tally.Failures, f => Assert.Contains(f.Key, tensors));
        output.WriteLine($"{defect}: {caught.Count} of {tally.Comparisons} tensors over the bar, worst ratio {caught.Max(f => f.Ratio):G3}");
    }

    private AccuracyTally Run<T>(AccuracyData data, ReachableDefect defect, int seed)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var tally = new AccuracyTally();
        var random = new Random(seed * 1000 + (int)data);
        for (int i = 0; i < Cases; i++)
        {
            int caseSeed = random.Next();
            var caseRandom = new Random(caseSeed);
            var (layout, features, epsilon, affine, track) = AccuracyGenerator.RuntimeConfig(caseRandom, data);
            var (batch, height, width) = AccuracyGenerator.Shape(caseRandom, layout, features, data);
            var spec = new AccuracyCase($"reachable ({defect})", "scalar", layout, features, batch, height, width, epsilon,
                AccuracyGenerator.Factor(caseRandom), affine, track, data, caseSeed);
            AccuracyRunner.Run(spec, new ReachableKernels<T>(features, epsilon, defect), AccuracyGenerator.Inputs<T>(caseRandom, spec), tally);
        }
        output.WriteLine(tally.Summary());
        return tally;
    }
}
