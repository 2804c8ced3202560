using System.Collections.Generic;
using System.Linq;
using BnGen.Tests.Generator;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace BnGen.Tests.Activation;

/// <summary>
/// Layers with <c>Activation = BatchNormActivation.ReLU</c> through the generator: every layout, element type, Affine and
/// TrackRunningStats at several feature counts compiles without a single diagnostic under the strictest consumer settings
/// (<see cref="StrictCompilationTests"/>, with its shadowing user types), and the static kernels have the documented
/// signatures: with ReLU and Affine both backward kernels take <c>bias</c> right after <c>weight</c> (the gate is
/// recomputed from it); without either, they do not.
/// </summary>
public class ReluGeneratorTests
{
    private static readonly string[] Layouts = ["NC", "NCHW", "NHWC", "NCL"];

    public static IEnumerable<object[]> Configurations()
    {
        foreach (string layout in Layouts)
        {
            foreach (int features in new[] { 1, 7, 33 })
            {
                foreach (bool isDouble in new[] { false, true })
                {
                    foreach (bool affine in new[] { true, false })
                    {
                        foreach (bool track in new[] { true, false })
                        {
                            yield return [layout, features, isDouble, affine, track];
                        }
                    }
                }
            }
        }
    }

    private static string Attribute(string layout, int features, bool isDouble, bool affine, bool track, bool relu = true)
    {
        var args = new List<string> { features.ToString(System.Globalization.CultureInfo.InvariantCulture), "global::BnGen.BatchNormLayout." + layout };
        if (isDouble)
        {
            args.Add("ElementType = typeof(double)");
        }
        if (!affine)
        {
            args.Add("Affine = false");
        }
        if (!track)
        {
            args.Add("TrackRunningStats = false");
        }
        if (relu)
        {
            args.Add("Activation = global::BnGen.BatchNormActivation.ReLU");
        }
        return "[global::BnGen.BatchNormLayer(" + string.Join(", ", args) + ")]";
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void ReluLayer_CompilesCleanly_WithShadowingUserTypes(string layout, int features, bool isDouble, bool affine, bool track)
    {
        string source = $$"""
            namespace Shadowed.App
            {
                {{StrictCompilationTests.Shadows.Replace("\n", "\n    ")}}

                {{Attribute(layout, features, isDouble, affine, track)}}
                public partial class Norm { }
            }
            """;
        GeneratorRun run = GeneratorRunner.Run(TestCompilation.Create(source)).AssertCompilesCleanly();
        Assert.Single(run.Result.GeneratedSources);
    }

    [Theory]
    [InlineData("NC", true)]
    [InlineData("NCHW", false)]
    [InlineData("NHWC", true)]
    [InlineData("NCL", false)]
    public void StaticBackwardKernels_TakeBiasAfterWeight_OnlyWithReluAndAffine(string layout, bool isDouble)
    {
        string source = $$"""
            namespace Signatures
            {
                {{Attribute(layout, 5, isDouble, affine: true, track: true)}}
                public partial class ReluAffine { }

                {{Attribute(layout, 5, isDouble, affine: false, track: true)}}
                public partial class ReluPlain { }

                {{Attribute(layout, 5, isDouble, affine: true, track: true, relu: false)}}
                public partial class Affine { }
            }
            """;
        GeneratorRun run = GeneratorRunner.Run(TestCompilation.Create(source)).AssertCompilesCleanly();
        string dims = layout switch { "NC" => "batch", "NCL" => "batch, length", _ => "batch, height, width" };
        string head = $"input, gradOutput, gradInput, {dims}";
        foreach (string method in new[] { "BackwardTraining", "BackwardInference" })
        {
            string statistics = method == "BackwardTraining" ? "savedMean, savedInvStd" : "runningMean, runningVar";
            Assert.Equal(
                [$"{head}, weight, bias, {statistics}, weightGrad, biasGrad", $"{head}, weight, bias, {statistics}, weightGrad, biasGrad, maxDegreeOfParallelism"],
                Parameters(run.Output, "Signatures.ReluAffine", method));
            Assert.Equal([$"{head}, {statistics}", $"{head}, {statistics}, maxDegreeOfParallelism"],
                Parameters(run.Output, "Signatures.ReluPlain", method));
            Assert.Equal(
                [$"{head}, weight, {statistics}, weightGrad, biasGrad", $"{head}, weight, {statistics}, weightGrad, biasGrad, maxDegreeOfParallelism"],
                Parameters(run.Output, "Signatures.Affine", method));
        }
        // The forward kernels and FoldInto are the same with and without the activation.
        foreach (string method in new[] { "ForwardTraining", "ForwardInference", "FoldInto" })
        {
            Assert.Equal(Parameters(run.Output, "Signatures.Affine", method), Parameters(run.Output, "Signatures.ReluAffine", method));
        }
    }

    /// <summary>The parameter names of each overload of a static method, comma-separated, shortest overload first.</summary>
    private static string[] Parameters(Compilation compilation, string type, string method)
        => compilation.GetTypeByMetadataName(type)!.GetMembers(method).OfType<IMethodSymbol>().Where(m => m.IsStatic)
            .Select(m => string.Join(", ", m.Parameters.Select(p => p.Name))).OrderBy(s => s.Length).ToArray();
}
