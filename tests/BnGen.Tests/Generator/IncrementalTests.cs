using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using BnGen.Generator;
using BnGen.Generator.Model;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// The generator stays cached while the user types: after an edit that does not touch a layer's declaration, every
/// output of the named steps and of the source output is Cached or Unchanged; changing one layer re-emits only that layer.
/// The cached models hold no symbol, syntax, compilation or location.
/// </summary>
public class IncrementalTests
{
    private const string SourceOutput = "SourceOutput";   // WellKnownGeneratorOutputs.SourceOutput

    private const string FileA = """
        namespace Incremental
        {
            [global::BnGen.BatchNormLayer(16)]
            public partial class NormA
            {
                public int Work()
                {
                    return 1;
                }
            }
        }
        """;

    private const string FileB = """
        namespace Incremental.Other;

        [global::BnGen.BatchNormLayer(16, global::BnGen.BatchNormLayout.NCHW, ElementType = typeof(double))]
        public partial class NormB { }
        """;

    private const string FileC = """
        namespace Incremental
        {
            public partial class Outer
            {
                [global::BnGen.BatchNormLayer(7, Affine = false, Epsilon = 1e-3)]
                public partial class NormC { }
            }

            public static class Helpers
            {
                public static int Twice(int x) => 2 * x;
            }
        }
        """;

    private static readonly string[] HintNames =
    [
        "Incremental.NormA.BatchNorm.g.cs",
        "Incremental.Other.NormB.BatchNorm.g.cs",
        "Incremental.Outer.NormC.BatchNorm.g.cs",
    ];

    private static CSharpCompilation Initial()
        => TestCompilation.Create([("A.cs", FileA), ("B.cs", FileB), ("C.cs", FileC)]);

    private static CSharpCompilation Edit(CSharpCompilation compilation, string path, Func<string, string> change)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        string text = tree.GetText().ToString();
        string edited = change(text);
        Assert.NotEqual(text, edited);
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From(edited)));
    }

    public static TheoryData<string> UnrelatedEdits() =>
    [
        "comment in a layer's file",
        "comment in another file",
        "new unrelated class",
        "new unrelated file",
        "method body inside the attributed class",
        "new method inside the attributed class",
        "unrelated method body in a file with a layer",
        "whitespace before the attribute",
    ];

    private static CSharpCompilation ApplyUnrelatedEdit(CSharpCompilation compilation, string edit) => edit switch
    {
        "comment in a layer's file" => Edit(compilation, "A.cs", t => t + "\n// a comment\n"),
        "comment in another file" => Edit(compilation, "C.cs", t => "// a comment at the top\n" + t),
        "new unrelated class" => Edit(compilation, "B.cs", t => t + "\npublic class Unrelated { public int Value { get; set; } }\n"),
        "new unrelated file" => compilation.AddSyntaxTrees(TestCompilation.Parse("public class Unrelated { }", "Unrelated.cs")),
        "method body inside the attributed class" => Edit(compilation, "A.cs", t => t.Replace("return 1;", "return Features + 41;", StringComparison.Ordinal)),
        "new method inside the attributed class" => Edit(compilation, "A.cs", t => t.Replace("public int Work()", "public int Other() => 3;\n\n        public int Work()", StringComparison.Ordinal)),
        "unrelated method body in a file with a layer" => Edit(compilation, "C.cs", t => t.Replace("2 * x", "x + x", StringComparison.Ordinal)),
        "whitespace before the attribute" => Edit(compilation, "A.cs", t => t.Replace("    [global::BnGen", "\n\n    [global::BnGen", StringComparison.Ordinal)),
        _ => throw new ArgumentOutOfRangeException(nameof(edit)),
    };

    [Theory]
    [MemberData(nameof(UnrelatedEdits))]
    public void UnrelatedEdit_LeavesEveryLayerCached(string edit)
    {
        CSharpCompilation compilation = Initial();
        GeneratorRun first = GeneratorRunner.Run(compilation).AssertCompilesCleanly();
        Assert.Equal(HintNames.Order(StringComparer.Ordinal), first.Sources.Keys.Order(StringComparer.Ordinal));

        CSharpCompilation edited = ApplyUnrelatedEdit(compilation, edit);
        GeneratorRun second = GeneratorRunner.Run(first.Driver, edited).AssertCompilesCleanly();

        AssertAllCachedOrUnchanged(second.Result, TrackingNames.ValidLayers, expectedOutputs: 3);
        AssertAllCachedOrUnchanged(second.Result, SourceOutput, expectedOutputs: 3);
        Assert.Equal(first.Sources, second.Sources);
        AssertModelsHoldNoCompilerObjects(first.Result);
        AssertModelsHoldNoCompilerObjects(second.Result);
    }

    [Fact]
    public void ChangingFeaturesOfOneLayer_RegeneratesOnlyThatLayer()
    {
        CSharpCompilation compilation = Initial();
        GeneratorRun first = GeneratorRunner.Run(compilation).AssertCompilesCleanly();

        CSharpCompilation edited = Edit(compilation, "B.cs", t => t.Replace("BatchNormLayer(16,", "BatchNormLayer(24,", StringComparison.Ordinal));
        GeneratorRun second = GeneratorRunner.Run(first.Driver, edited).AssertCompilesCleanly();

        // Exactly one model changed: NormB's, now with 24 features.
        var layers = Outputs(second.Result, TrackingNames.ValidLayers);
        var modified = layers.Where(o => o.Reason == IncrementalStepRunReason.Modified).ToArray();
        var spec = Assert.IsType<LayerSpec>(Assert.Single(modified).Value);
        Assert.Equal(("Incremental.Other.NormB", 24), (spec.FullName, spec.Features));
        Assert.All(layers.Except(modified), o => AssertCachedOrUnchanged(o.Reason, TrackingNames.ValidLayers));
        Assert.Equal(3, layers.Length);

        // Exactly one source output ran again, and only NormB's text changed.
        var outputs = Outputs(second.Result, SourceOutput);
        Assert.Single(outputs, o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.All(outputs.Where(o => o.Reason != IncrementalStepRunReason.Modified), o => AssertCachedOrUnchanged(o.Reason, SourceOutput));

        string changed = "Incremental.Other.NormB.BatchNorm.g.cs";
        Assert.NotEqual(first.Source(changed), second.Source(changed));
        Assert.Contains("public const int Features = 24;", second.Source(changed), StringComparison.Ordinal);
        foreach (string hint in HintNames.Where(h => h != changed))
        {
            Assert.Equal(first.Source(hint), second.Source(hint));
        }
    }

    [Fact]
    public void ChangingOneOfTwoLayersInOneFile_LeavesTheOtherUnchanged()
    {
        // Both layers' declarations are re-parsed (their tree changed), but the untouched one's model compares equal, so
        // nothing after the parse runs for it again.
        CSharpCompilation compilation = TestCompilation.Create([("Two.cs", """
            namespace Incremental
            {
                [global::BnGen.BatchNormLayer(10)]
                public partial class First { }

                [global::BnGen.BatchNormLayer(20, ElementType = typeof(double))]
                public partial class Second { }
            }
            """)]);
        GeneratorRun first = GeneratorRunner.Run(compilation).AssertCompilesCleanly();
        CSharpCompilation edited = Edit(compilation, "Two.cs", t => t.Replace("BatchNormLayer(10)", "BatchNormLayer(11)", StringComparison.Ordinal));
        GeneratorRun second = GeneratorRunner.Run(first.Driver, edited).AssertCompilesCleanly();

        var layers = Outputs(second.Result, TrackingNames.ValidLayers);
        Assert.Equal(2, layers.Length);
        Assert.Equal("Incremental.First", Assert.IsType<LayerSpec>(Assert.Single(layers, o => o.Reason == IncrementalStepRunReason.Modified).Value).FullName);
        var other = Assert.Single(layers, o => o.Reason != IncrementalStepRunReason.Modified);
        Assert.Equal("Incremental.Second", Assert.IsType<LayerSpec>(other.Value).FullName);
        AssertCachedOrUnchanged(other.Reason, TrackingNames.ValidLayers);
        Assert.Single(Outputs(second.Result, SourceOutput), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal(first.Source("Incremental.Second.BatchNorm.g.cs"), second.Source("Incremental.Second.BatchNorm.g.cs"));
        Assert.Contains("public const int Features = 11;", second.Source("Incremental.First.BatchNorm.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void ChangingAnAttributeProperty_RegeneratesOnlyThatLayer()
    {
        CSharpCompilation compilation = Initial();
        GeneratorRun first = GeneratorRunner.Run(compilation).AssertCompilesCleanly();

        CSharpCompilation edited = Edit(compilation, "C.cs", t => t.Replace("Epsilon = 1e-3", "Epsilon = 1e-4", StringComparison.Ordinal));
        GeneratorRun second = GeneratorRunner.Run(first.Driver, edited).AssertCompilesCleanly();

        var layers = Outputs(second.Result, TrackingNames.ValidLayers);
        var spec = Assert.IsType<LayerSpec>(Assert.Single(layers, o => o.Reason == IncrementalStepRunReason.Modified).Value);
        Assert.Equal(1e-4, spec.Epsilon);
        Assert.Contains("public double Epsilon => 0.0001d;", second.Source("Incremental.Outer.NormC.BatchNorm.g.cs"), StringComparison.Ordinal);
        Assert.Equal(first.Source("Incremental.NormA.BatchNorm.g.cs"), second.Source("Incremental.NormA.BatchNorm.g.cs"));
    }

    [Fact]
    public void RemovingALayerFile_RemovesOnlyItsOutput()
    {
        CSharpCompilation compilation = Initial();
        GeneratorRun first = GeneratorRunner.Run(compilation).AssertCompilesCleanly();

        CSharpCompilation edited = compilation.RemoveSyntaxTrees(compilation.SyntaxTrees.Single(t => t.FilePath == "B.cs"));
        GeneratorRun second = GeneratorRunner.Run(first.Driver, edited).AssertCompilesCleanly();

        Assert.Equal(["Incremental.NormA.BatchNorm.g.cs", "Incremental.Outer.NormC.BatchNorm.g.cs"], second.Sources.Keys.Order(StringComparer.Ordinal));
        Assert.Single(Outputs(second.Result, TrackingNames.ValidLayers), o => o.Reason == IncrementalStepRunReason.Removed);
        Assert.Equal(first.Source("Incremental.NormA.BatchNorm.g.cs"), second.Source("Incremental.NormA.BatchNorm.g.cs"));
        Assert.Equal(first.Source("Incremental.Outer.NormC.BatchNorm.g.cs"), second.Source("Incremental.Outer.NormC.BatchNorm.g.cs"));
        // Not asserted: the layers after the removed one are compared by position in Roslyn's node table, so NormC is
        // reported Modified (it now sits where NormB was) and re-emitted with the same text. That is Roslyn's behaviour for
        // any values provider, not something a generator can change.
    }

    [Fact]
    public void TrackedModels_AreLayerSpecs_AndModelGraphWouldSeeASymbol()
    {
        // Guards the caching tests: the walked outputs really are the generator's models, and the walk finds compiler objects
        // wherever they hide (a field of a record, an element of an array, a boxed struct).
        GeneratorRun run = GeneratorRunner.Run(Initial()).AssertCompilesCleanly();
        var layers = Outputs(run.Result, TrackingNames.ValidLayers);
        Assert.Equal(3, layers.Length);
        Assert.All(layers, o => Assert.IsType<LayerSpec>(o.Value));
        Assert.All(Outputs(run.Result, TrackingNames.Parse), o => Assert.True(o.Value is null or LayerSpec));

        SyntaxTree tree = run.Output.SyntaxTrees.First();
        ISymbol symbol = run.Output.GetTypeByMetadataName("Incremental.NormA")!;
        Type[] forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(Location)];
        Assert.NotNull(ModelGraph.FindForbidden(new Holder([1, 2], new object[] { "x", new Holder([], symbol) }), forbidden));
        Assert.NotNull(ModelGraph.FindForbidden(new Holder([], tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().First()), forbidden));
        Assert.NotNull(ModelGraph.FindForbidden(new Holder([], ImmutableArray.Create(tree.GetRoot().GetLocation())), forbidden));
        Assert.NotNull(ModelGraph.FindForbidden(new Holder([], run.Output), forbidden));
        Assert.Null(ModelGraph.FindForbidden(layers[0].Value, forbidden));
    }

    private sealed record Holder(int[] Numbers, object Payload);

    private static (object? Value, IncrementalStepRunReason Reason)[] Outputs(GeneratorRunResult result, string step)
    {
        IReadOnlyDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> steps =
            step == SourceOutput ? result.TrackedOutputSteps : result.TrackedSteps;
        Assert.True(steps.ContainsKey(step), $"no tracked step named {step}; tracked: {string.Join(", ", steps.Keys)}");
        return steps[step].SelectMany(s => s.Outputs).Select(o => ((object?)o.Value, o.Reason)).ToArray();
    }

    private static void AssertAllCachedOrUnchanged(GeneratorRunResult result, string step, int expectedOutputs)
    {
        var outputs = Outputs(result, step);
        Assert.Equal(expectedOutputs, outputs.Length);
        Assert.All(outputs, o => AssertCachedOrUnchanged(o.Reason, step));
    }

    private static void AssertCachedOrUnchanged(IncrementalStepRunReason reason, string step)
        => Assert.True(reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"an output of step {step} ran again: {reason}");

    private static void AssertModelsHoldNoCompilerObjects(GeneratorRunResult result)
    {
        var named = result.TrackedSteps.Where(s => s.Key is TrackingNames.Parse or TrackingNames.ValidLayers)
            .ToDictionary(s => s.Key, s => s.Value);
        Assert.Equal(2, named.Count);
        ModelGraph.AssertHoldsNo<ISymbol, SyntaxNode, Compilation, Location>(named);
        ModelGraph.AssertHoldsNo<SemanticModel, SyntaxTree, AttributeData, SyntaxToken>(named);
    }
}
