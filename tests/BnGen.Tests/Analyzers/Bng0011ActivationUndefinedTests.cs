using System.Threading.Tasks;
using BnGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

public class Bng0011ActivationUndefinedTests
{
    [Theory]
    [InlineData("(BatchNormActivation)2", "2")]
    [InlineData("(BatchNormActivation)(-1)", "-1")]
    [InlineData("(BatchNormActivation)int.MaxValue", "2147483647")]
    public Task UndefinedActivation_IsReportedOnTheValue_WithValue(string activation, string shown) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, BatchNormLayout.NCHW, Activation = {{|#0:{activation}|}}, Momentum = 0.2)] public partial class Norm {{ }}",
        new DiagnosticResult(Descriptors.ActivationUndefined).WithLocation(0).WithArguments(shown));

    [Theory]
    [InlineData("BatchNormActivation.None")]
    [InlineData("BatchNormActivation.ReLU")]
    [InlineData("(BatchNormActivation)1")]
    public Task DefinedActivation_NoDiagnostic(string activation)
        => DeclarationVerifier.Verify($"[BatchNormLayer(8, Activation = {activation})] public partial class Norm {{ }}");

    [Fact]
    public Task UndefinedActivation_TheGeneratorEmitsNothing_UsesGetTheCompilersError() => DeclarationVerifier.Verify("""
        [BatchNormLayer(8, Activation = {|BNG0011:(BatchNormActivation)7|})] public partial class Norm { }
        public static class Use { public static int F() => Norm.{|CS0117:Features|}; }
        """, runGenerator: true);
}
