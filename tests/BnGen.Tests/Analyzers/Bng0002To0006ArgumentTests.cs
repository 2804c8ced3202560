using System.Threading.Tasks;
using BnGen.Generator;
using BnGen.Generator.Analyzers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

internal static class DeclarationVerifier
{
    public static Task Verify(string source, params DiagnosticResult[] expected) => Verify(source, runGenerator: false, expected);

    public static Task Verify(string source, bool runGenerator, params DiagnosticResult[] expected)
    {
        var test = new LayerAnalyzerTest<LayerDeclarationAnalyzer>("using BnGen;\n" + source, runGenerator);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

public class Bng0002FeaturesOutOfRangeTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1048577")]
    [InlineData("int.MaxValue")]
    [InlineData("int.MinValue")]
    public Task OutOfRange_IsReportedOnTheArgument(string features)
        => DeclarationVerifier.Verify($"[BatchNormLayer({{|BNG0002:{features}|}})] public partial class Norm {{ }}");

    [Fact]
    public Task Message_NamesTheValueAndTheBound() => DeclarationVerifier.Verify(
        "[BatchNormLayer(layout: BatchNormLayout.NCHW, features: {|#0:-3|})] public partial class Norm { }",
        new DiagnosticResult(Descriptors.FeaturesOutOfRange).WithLocation(0).WithArguments("-3", "1048576"));

    [Theory]
    [InlineData("1")]
    [InlineData("1048576")]
    [InlineData("2 * 32")]
    public Task InRange_NoDiagnostic(string features)
        => DeclarationVerifier.Verify($"[BatchNormLayer({features})] public partial class Norm {{ }}");
}

public class Bng0003LayoutUndefinedTests
{
    [Fact]
    public Task UndefinedLayout_IsReportedOnTheArgument_WithValue() => DeclarationVerifier.Verify(
        "[BatchNormLayer(8, {|#0:(BatchNormLayout)4|})] public partial class Norm { }",
        new DiagnosticResult(Descriptors.LayoutUndefined).WithLocation(0).WithArguments("4"));

    [Fact]
    public Task NamedLayoutArgument_IsFound() => DeclarationVerifier.Verify(
        "[BatchNormLayer(layout: {|BNG0003:(BatchNormLayout)(-1)|}, features: 8)] public partial class Norm { }");

    [Theory]
    [InlineData("BatchNormLayout.NC")]
    [InlineData("BatchNormLayout.NCHW")]
    [InlineData("BatchNormLayout.NHWC")]
    [InlineData("BatchNormLayout.NCL")]
    [InlineData("(BatchNormLayout)1")]
    [InlineData("(BatchNormLayout)2")]
    [InlineData("(BatchNormLayout)3")]
    public Task DefinedLayout_NoDiagnostic(string layout)
        => DeclarationVerifier.Verify($"[BatchNormLayer(8, {layout})] public partial class Norm {{ }}");
}

public class Bng0004EpsilonInvalidTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("-1e-5", "-1E-05")]
    [InlineData("double.NaN", "NaN")]
    [InlineData("double.PositiveInfinity", "Infinity")]
    [InlineData("1.0 / 0", "Infinity")]
    public Task NotFinitePositive_IsReportedOnTheValue(string epsilon, string shown) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, Epsilon = {{|#0:{epsilon}|}})] public partial class Norm {{ }}",
        new DiagnosticResult(Descriptors.EpsilonInvalid).WithLocation(0).WithArguments(shown));

    [Theory]
    [InlineData("1e-3")]
    [InlineData("double.Epsilon")]
    [InlineData("1")]
    public Task FinitePositive_NoDiagnostic(string epsilon)
        => DeclarationVerifier.Verify($"[BatchNormLayer(8, Epsilon = {epsilon})] public partial class Norm {{ }}");
}

public class Bng0005MomentumOutOfRangeTests
{
    [Theory]
    [InlineData("1.5", "1.5")]
    [InlineData("-0.1", "-0.1")]
    [InlineData("double.NaN", "NaN")]
    [InlineData("double.NegativeInfinity", "-Infinity")]
    public Task OutOfRange_IsReportedOnTheValue(string momentum, string shown) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, Momentum = {{|#0:{momentum}|}})] public partial class Norm {{ }}",
        new DiagnosticResult(Descriptors.MomentumOutOfRange).WithLocation(0).WithArguments(shown));

    [Theory]
    [InlineData("0")]
    [InlineData("0.1")]
    [InlineData("0.49")]
    public Task InRange_NoDiagnostic(string momentum)
        => DeclarationVerifier.Verify($"[BatchNormLayer(8, Momentum = {momentum})] public partial class Norm {{ }}");

    [Fact]
    public Task OutOfRangeWithCumulativeAverage_IsStillAnError()
        => DeclarationVerifier.Verify("[BatchNormLayer(8, CumulativeAverage = true, Momentum = {|BNG0005:2|})] public partial class Norm { }");
}

public class Bng0006ElementTypeUnsupportedTests
{
    [Theory]
    [InlineData("typeof(int)", "int")]
    [InlineData("typeof(string)", "string")]
    [InlineData("typeof(System.Half)", "Half")]
    [InlineData("null", "null")]
    public Task Unsupported_IsReportedOnTheValue(string type, string shown) => DeclarationVerifier.Verify(
        $"[BatchNormLayer(8, ElementType = {{|#0:{type}|}})] public partial class Norm {{ }}",
        new DiagnosticResult(Descriptors.ElementTypeUnsupported).WithLocation(0).WithArguments(shown));

    [Theory]
    [InlineData("typeof(float)")]
    [InlineData("typeof(double)")]
    [InlineData("typeof(System.Double)")]
    public Task FloatOrDouble_NoDiagnostic(string type)
        => DeclarationVerifier.Verify($"[BatchNormLayer(8, ElementType = {type})] public partial class Norm {{ }}");

    [Fact]
    public Task ErrorType_OnlyTheCompilerReports()
        => DeclarationVerifier.Verify("[BatchNormLayer(8, ElementType = typeof({|CS0246:Missing|}))] public partial class Norm { }");

    [Fact]
    public Task SeveralBadArguments_EachReportedOnItsOwnArgument() => DeclarationVerifier.Verify(
        "[BatchNormLayer({|BNG0002:0|}, {|BNG0003:(BatchNormLayout)9|}, Epsilon = {|BNG0004:-1|}, Momentum = {|BNG0005:7|}, ElementType = {|BNG0006:typeof(long)|}, Activation = {|BNG0011:(BatchNormActivation)5|})] public class {|BNG0001:Norm|} { }");
}
