using System.Threading.Tasks;
using BnGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

public class Bng0007CannotHoldLayerTests
{
    [Fact]
    public Task StaticClass_IsReportedOnItsIdentifier_WithReason() => DeclarationVerifier.Verify(
        "[BatchNormLayer(8)] public static partial class {|#0:Norm|} { }",
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0)
            .WithArguments("Norm", "a static class cannot have the layer's instance members"));

    [Fact]
    public Task GenericClass() => DeclarationVerifier.Verify(
        "[BatchNormLayer(8)] public partial class {|BNG0007:Norm|}<T> { }");

    [Fact]
    public Task NestedInGenericType() => DeclarationVerifier.Verify("""
        public partial class Outer<T>
        {
            [BatchNormLayer(8)] public partial class {|#0:Norm|} { }
        }
        """,
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0)
            .WithArguments("Norm", "it is nested in the generic type 'Outer'"));

    [Fact]
    public Task FileLocalClass() => DeclarationVerifier.Verify(
        "[BatchNormLayer(8)] file partial class {|#0:Norm|} { }",
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0)
            .WithArguments("Norm", "a file-local type cannot be extended from the generated file"));

    [Theory]
    [InlineData("public int Features => 3;", "it already declares a member named 'Features'")]
    [InlineData("public float[] Weight = new float[1];", "it already declares a member named 'Weight'")]
    [InlineData("public bool Training;", "it already declares a member named 'Training'")]
    [InlineData("private int _bnGenLastBatch;", "it declares '_bnGenLastBatch', but names starting with 'BnGen' or '_bnGen' are reserved for the generated helpers")]
    [InlineData("static void BnGenFilled() { }", "it declares 'BnGenFilled', but names starting with 'BnGen' or '_bnGen' are reserved for the generated helpers")]
    [InlineData("public void Forward(System.ReadOnlySpan<float> x, System.Span<float> y, int n) { }",
        "it already declares a method 'Forward' with the signature the generator adds")]
    public Task ConflictingMember(string member, string reason) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8)] public partial class {{|#0:Norm|}} {{ {member} }}",
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0).WithArguments("Norm", reason));

    [Theory]
    [InlineData("public void Forward(float[] x) { }")]
    [InlineData("public void Forward(System.ReadOnlySpan<double> x, System.Span<double> y, int n) { }")]
    [InlineData("public int Channels => Features;")]
    [InlineData("public int Count() => Weight.Length + RunningMean.Length;")]
    public Task NonConflictingMember_WithTheGeneratedMembers_NoDiagnostic(string member) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8)] public partial class Norm {{ {member} }}", runGenerator: true);

    [Fact]
    public Task OnStruct_OnlyTheCompilerReports() => DeclarationVerifier.Verify(
        "[{|CS0592:BatchNormLayer|}(8)] public partial struct Norm { }");

    [Fact]
    public Task AppliedTwice_OnlyTheCompilerReports() => DeclarationVerifier.Verify("""
        [BatchNormLayer(8)] public partial class Norm { }
        [{|CS0579:BatchNormLayer|}(4)] public partial class Norm { }
        """);
}
