using System.Globalization;
using System.Threading.Tasks;
using BnGen.CodeFixes;
using BnGen.Generator.Analyzers;
using BnGen.Generator.Parsing;
using BnGen.Tests.Analyzers;
using Xunit;

namespace BnGen.Tests.CodeFixes;

public class FlipMomentumCodeFixTests
{
    private static Task Verify(string source, string fixedSource)
        => new LayerCodeFixTest<LayerDeclarationAnalyzer, FlipMomentumCodeFix>(source, fixedSource).RunAsync();

    [Theory]
    [InlineData("0.9", "0.1")]
    [InlineData("0.99", "0.01")]
    [InlineData("0.999", "0.001")]
    [InlineData("9e-1", "0.1")]
    [InlineData("1.0", "0.0")]
    [InlineData("0.75", "0.25")]
    public Task RewritesToOneMinusM(string momentum, string pytorch) => Verify(
        $"[BnGen.BatchNormLayer(8, Momentum = {{|BNG0010:{momentum}|}}, Affine = false)] public partial class Norm {{ }}",
        $"[BnGen.BatchNormLayer(8, Momentum = {pytorch}, Affine = false)] public partial class Norm {{ }}");

    [Fact]
    public Task OneHalf_IsItsOwnComplement_NoFixIsOffered()
    {
        const string source = "[BnGen.BatchNormLayer(8, Momentum = {|BNG0010:0.5|})] public partial class Norm { }";
        return Verify(source, source);
    }

    [Fact]
    public Task ConstantExpression_IsReplacedByTheLiteral() => Verify("""
        static class K { public const double Keras = 0.9; }
        [BnGen.BatchNormLayer(8, Momentum = {|BNG0010:K.Keras|})] public partial class Norm { }
        """, """
        static class K { public const double Keras = 0.9; }
        [BnGen.BatchNormLayer(8, Momentum = 0.1)] public partial class Norm { }
        """);

    [Fact]
    public Task FixAll_EveryLayerInTheDocument() => Verify("""
        [BnGen.BatchNormLayer(8, Momentum = {|BNG0010:0.9|})] public partial class A { }
        [BnGen.BatchNormLayer(8, Momentum = {|BNG0010:0.99|})] public partial class B { }
        """, """
        [BnGen.BatchNormLayer(8, Momentum = 0.1)] public partial class A { }
        [BnGen.BatchNormLayer(8, Momentum = 0.01)] public partial class B { }
        """);

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.99)]
    [InlineData(0.95)]
    [InlineData(0.6180339887498949)]
    [InlineData(0.5000000000000001)]
    [InlineData(1.0)]
    public void Complement_IsInvariantRoundTripAndCloseToOneMinusM(double momentum)
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            string text = LayerRules.Complement(momentum);
            double parsed = double.Parse(text, CultureInfo.InvariantCulture);
            Assert.DoesNotContain(",", text);
            Assert.Equal(1 - momentum, parsed, 1e-15);
            Assert.Equal(parsed, double.Parse(parsed.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}
