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
    [InlineData("public int Forward;", "it already declares a member named 'Forward'")]
    [InlineData("public class ZeroGradients { }", "it already declares a member named 'ZeroGradients'")]
    [InlineData("public void Weight() { }", "it already declares a member named 'Weight'")]
    [InlineData("public int MaxDegreeOfParallelism { get; set; }", "it already declares a member named 'MaxDegreeOfParallelism'")]
    [InlineData("public void ResetParameters() { }", "it already declares a method 'ResetParameters' with the signature the generator adds")]
    [InlineData("public static void ForwardInference(System.ReadOnlySpan<float> a, System.Span<float> b, int n, System.ReadOnlySpan<float> w, System.ReadOnlySpan<float> c, System.ReadOnlySpan<float> m, System.ReadOnlySpan<float> v) { }",
        "it already declares a method 'ForwardInference' with the signature the generator adds")]
    [InlineData("public static int ForwardInference(System.ReadOnlySpan<float> a, System.Span<float> b, int n, System.ReadOnlySpan<float> w, System.ReadOnlySpan<float> c, System.ReadOnlySpan<float> m, System.ReadOnlySpan<float> v, int degree) => 0;",
        "it already declares a method 'ForwardInference' with the signature the generator adds")]
    public Task ConflictingMember_FromTheGeneratedApi(string member, string reason) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8)] public partial class {{|#0:Norm|}} {{ {member} }}",
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0).WithArguments("Norm", reason));

    [Theory]
    [InlineData("BatchNormLayout.NCHW", "System.ReadOnlySpan<float> x, System.Span<float> y, int n, int h, int w")]
    [InlineData("BatchNormLayout.NHWC", "System.ReadOnlySpan<float> x, System.Span<float> y, int n, int h, int w")]
    [InlineData("BatchNormLayout.NCL", "System.ReadOnlySpan<float> x, System.Span<float> y, int n, int l")]
    public Task ForwardWithTheDimensionsOfTheLayout_Collides(string layout, string parameters) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, {layout})] public partial class {{|#0:Norm|}} {{ public void Forward({parameters}) {{ }} }}",
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0)
            .WithArguments("Norm", "it already declares a method 'Forward' with the signature the generator adds"));

    [Theory]
    [InlineData("public void Forward(float[] x) { }")]
    [InlineData("public void Forward(System.ReadOnlySpan<double> x, System.Span<double> y, int n) { }")]
    [InlineData("public int Channels => Features;")]
    [InlineData("public int Count() => Weight.Length + RunningMean.Length;")]
    [InlineData("public static void ForwardTraining(System.ReadOnlySpan<float> input, System.Span<float> output, int batch, bool log) { }")]
    [InlineData("public static void BackwardTraining(System.ReadOnlySpan<float> input, System.ReadOnlySpan<float> gradOutput, System.Span<float> gradInput, int batch) { }")]
    [InlineData("public void Forward(System.ReadOnlySpan<float> x, System.Span<float> y, ref int n) { }")]
    [InlineData("public void Forward<T>(System.ReadOnlySpan<float> x, System.Span<float> y, int n) { }")]
    public Task NonConflictingMember_WithTheGeneratedMembers_NoDiagnostic(string member) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8)] public partial class Norm {{ {member} }}", runGenerator: true);

    [Theory]
    [InlineData("TrackRunningStats = false", "public void ResetRunningStats() { }")]
    [InlineData("TrackRunningStats = false", "public void FoldInto(System.Span<float> weight, System.Span<float> bias) { }")]
    [InlineData("Affine = false", "public void ZeroGradients() { }")]
    [InlineData("ElementType = typeof(double)", "public void Forward(System.ReadOnlySpan<float> x, System.Span<float> y, int n) { }")]
    public Task MethodTheseOptionsDoNotGenerate_NoDiagnostic(string options, string member) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, {options})] public partial class Norm {{ {member} }}", runGenerator: true);

    [Theory]
    [InlineData("public class Base { public void Forward(System.ReadOnlySpan<float> input, System.Span<float> output, int batch) { } }",
        "the base class 'Base' has a method 'Forward' with the signature the generator adds, which the generated method would hide")]
    [InlineData("public class Base { public float[] Weight => new float[8]; }",
        "the base class 'Base' has a member named 'Weight', which the generated member would hide")]
    [InlineData("public class Root { protected bool Training; } public class Base : Root { }",
        "the base class 'Root' has a member named 'Training', which the generated member would hide")]
    [InlineData("public class Base { internal static void ResetParameters() { } }",
        "the base class 'Base' has a method 'ResetParameters' with the signature the generator adds, which the generated method would hide")]
    [InlineData("public class Base { protected int _bnGenState; }",
        "the base class 'Base' has '_bnGenState', but names starting with 'BnGen' or '_bnGen' are reserved for the generated helpers")]
    public Task InheritedMember_IsACollision(string baseClass, string reason) => DeclarationVerifier.Verify(
        baseClass + "\n[BatchNormLayer(8)] public partial class {|#0:Norm|} : Base { }",
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0).WithArguments("Norm", reason));

    [Fact]
    public Task BaseClassIsALayer_ItsGeneratedMembersCollide() => DeclarationVerifier.Verify("""
        [BatchNormLayer(4)] public partial class BaseNorm { }
        [BatchNormLayer(8)] public partial class {|#0:Norm|} : BaseNorm { }
        """, runGenerator: true,
        new DiagnosticResult(Descriptors.CannotHoldLayer).WithLocation(0)
            .WithArguments("Norm", "the base class 'BaseNorm' has a member named 'Features', which the generated member would hide"));

    [Theory]
    [InlineData("public class Base { private float[] Weight => new float[8]; }")]
    [InlineData("public class Base { public void Forward(float[] x) { } public static void ForwardTraining(System.ReadOnlySpan<float> input, System.Span<float> output, int batch) { } }")]
    [InlineData("public class Base { public int Channels => 8; }")]
    public Task InheritedMemberThatIsNotHidden_NoDiagnostic(string baseClass) => DeclarationVerifier.Verify(
        baseClass + "\n[BatchNormLayer(8)] public partial class Norm : Base { }", runGenerator: true);

    [Fact]
    public Task OnStruct_OnlyTheCompilerReports() => DeclarationVerifier.Verify(
        "[{|CS0592:BatchNormLayer|}(8)] public partial struct Norm { }");

    [Fact]
    public Task AppliedTwice_OnlyTheCompilerReports() => DeclarationVerifier.Verify("""
        [BatchNormLayer(8)] public partial class Norm { }
        [{|CS0579:BatchNormLayer|}(4)] public partial class Norm { }
        """);
}
