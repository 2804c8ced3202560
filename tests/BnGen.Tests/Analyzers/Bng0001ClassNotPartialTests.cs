using System.Threading.Tasks;
using BnGen.Generator;
using BnGen.Generator.Analyzers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

public class Bng0001ClassNotPartialTests
{
    private static Task Verify(string source, params DiagnosticResult[] expected)
    {
        var test = new LayerAnalyzerTest<LayerDeclarationAnalyzer>(source);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    [Fact]
    public Task NonPartialClass_IsReportedOnItsIdentifier_WithNames() => Verify("""
        [BnGen.BatchNormLayer(8)]
        public class {|#0:Norm|} { }
        """,
        new DiagnosticResult(Descriptors.ClassNotPartial).WithLocation(0).WithArguments("Norm", "Norm"));

    [Fact]
    public Task NonPartialContainingType_IsReportedOnTheContainer() => Verify("""
        public class {|#0:Outer|}
        {
            [BnGen.BatchNormLayer(8)]
            public partial class Norm { }
        }
        """,
        new DiagnosticResult(Descriptors.ClassNotPartial).WithLocation(0).WithArguments("Outer", "Norm"));

    [Fact]
    public Task NonPartialRecordInsideNonPartialContainers_EachIdentifierOnce() => Verify("""
        namespace Vision;
        public static class {|BNG0001:A|}
        {
            public partial class B
            {
                internal class {|BNG0001:C|}
                {
                    [BnGen.BatchNormLayer(8)]
                    internal sealed record {|BNG0001:Norm|};
                }
            }
        }
        """);

    [Fact]
    public Task PartialSplitAcrossFiles_OnlyThePartWithoutModifierIsReported()
    {
        var test = new LayerAnalyzerTest<LayerDeclarationAnalyzer>("""
            [BnGen.BatchNormLayer(8)]
            public partial class Norm { }
            """);
        // The compiler also reports CS0260 on the declaration without the modifier.
        test.TestState.Sources.Add(("Other.cs", "public class {|BNG0001:{|CS0260:Norm|}|} { public int Extra; }"));
        return test.RunAsync();
    }

    [Fact]
    public Task PartialEverywhere_NoDiagnostic() => Verify("""
        namespace Vision
        {
            public static partial class Outer
            {
                [BnGen.BatchNormLayer(8)]
                public sealed partial class Norm { }

                [BnGen.BatchNormLayer(8)]
                internal partial record class RecordNorm;
            }
        }
        """);

    [Fact]
    public Task ClassWithoutAttribute_NoDiagnostic() => Verify("public class Plain { }");
}
