using System.Threading.Tasks;
using BnGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

public class Bng0010MomentumLooksLikeKerasTests
{
    [Theory]
    [InlineData("0.9", "0.9", "0.1")]
    [InlineData("0.99", "0.99", "0.01")]
    [InlineData("0.5", "0.5", "0.5")]
    [InlineData("1", "1", "0.0")]
    [InlineData("0.999", "0.999", "0.001")]
    public Task KerasStyle_IsReportedOnTheValue_WithTheEquivalent(string momentum, string shown, string equivalent) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, Momentum = {{|#0:{momentum}|}})] public partial class Norm {{ }}",
        new DiagnosticResult(Descriptors.MomentumLooksLikeKeras).WithLocation(0).WithArguments(shown, equivalent));

    [Theory]
    [InlineData("Momentum = 0.1")]
    [InlineData("Momentum = 0.4999")]
    [InlineData("Momentum = 0.9, CumulativeAverage = true")]
    [InlineData("Epsilon = 0.9")]
    public Task PyTorchStyleOrIgnored_NoDiagnostic(string arguments)
        => DeclarationVerifier.Verify($"[BatchNormLayer(8, {arguments})] public partial class Norm {{ }}");
}
