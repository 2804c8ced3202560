using System.Threading.Tasks;
using BnGen.Generator;
using BnGen.Generator.Analyzers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

internal static class CallVerifier
{
    public const string Layers = """
        using System;
        using BnGen;

        [BatchNormLayer(4)] public partial class Norm { }
        [BatchNormLayer(3, BatchNormLayout.NCHW)] public partial class Norm2d { }
        [BatchNormLayer(4, TrackRunningStats = false)] public partial class Untracked { }

        """;

    /// <summary>Runs the call analyzer, with the generator, on <paramref name="body"/> placed after three layers.</summary>
    public static Task Verify(string body, params DiagnosticResult[] expected)
    {
        var test = new LayerAnalyzerTest<ForwardCallAnalyzer>(Layers + body, runGenerator: true);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

public class Bng0008SingleValuePerChannelTests
{
    [Fact]
    public Task BatchOneOnNc_IsReportedOnTheBatchArgument_WithAdvice() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] x, float[] y) => norm.Forward(x, y, {|#0:1|});
        }
        """,
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(0)
            .WithArguments("Norm", "Forward", "batch 1", "set Training = false before the call for single-sample inference"));

    [Fact]
    public Task AllOnesOnNchw_IsReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm2d norm, float[] x, float[] y) { norm.Forward(x, y, {|#0:1|}, 1, 1); }
        }
        """,
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(0)
            .WithArguments("Norm2d", "Forward", "batch 1, height 1 and width 1", "set Training = false before the call for single-sample inference"));

    [Fact]
    public Task ConstantExpressionAndNamedArgument_AreReported() => CallVerifier.Verify("""
        class Use
        {
            const int One = 1;
            void M(Norm norm, float[] x, float[] y) { norm.Forward(output: y, batch: {|BNG0008:One|}, input: x); }
        }
        """);

    [Fact]
    public Task TrainingSetFalseEarlierOnTheSameLocal_NoDiagnostic() => CallVerifier.Verify("""
        class Use
        {
            void M(float[] x, float[] y)
            {
                var norm = new Norm();
                norm.Training = false;
                norm.Forward(x, y, 1);
            }
        }
        """);

    [Fact]
    public Task TrainingFalseInTheObjectInitializer_NoDiagnostic() => CallVerifier.Verify("""
        class Use
        {
            Norm2d _field = new Norm2d();
            void M(float[] x, float[] y)
            {
                var norm = new Norm2d { Training = false };
                norm.Forward(x, y, 1, 1, 1);
                _field.Training = false;
                this._field.Forward(x, y, 1, 1, 1);
            }
        }
        """);

    [Fact]
    public Task TrainingSetFalseOnAnotherReceiverOrAfterTheCall_IsReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm a, Norm b, float[] x, float[] y)
            {
                b.Training = false;
                a.Forward(x, y, {|BNG0008:1|});
                a.Training = false;
                a.Training = true;
                a.Forward(x, y, 1);
            }
        }
        """);

    [Fact]
    public Task WithoutRunningStatistics_TrainingFalseDoesNotHelp() => CallVerifier.Verify("""
        class Use
        {
            void M(Untracked norm, float[] x, float[] y)
            {
                norm.Training = false;
                norm.Forward(x, y, {|#0:1|});
            }
        }
        """,
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(0).WithArguments("Untracked", "Forward", "batch 1",
            "this layer keeps no running statistics (TrackRunningStats = false), so even Training = false normalizes with batch statistics: pass more than one value per channel"));

    [Fact]
    public Task StaticForwardTraining_IsReported() => CallVerifier.Verify("""
        class Use
        {
            void M(float[] x, float[] y, double[] mean, double[] invStd, float[] w, float[] b, float[] rm, float[] rv)
                => Norm.ForwardTraining(x, y, {|BNG0008:1|}, w, b, mean, invStd, rm, rv, 0.1);
        }
        """);

    [Fact]
    public Task UsersOwnForwardOverload_IsNotTheGeneratedOne_NoDiagnostic() => CallVerifier.Verify("""
        partial class Norm
        {
            public void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool twice) { }
        }
        class Use
        {
            void M(Norm norm, float[] x) => norm.Forward(x, new float[3], 1, true);
        }
        """);

    [Theory]
    [InlineData("norm.Forward(x, y, 2)")]
    [InlineData("norm.Forward(x, y, n)")]
    [InlineData("norm2d.Forward(x, y, 1, 1, 2)")]
    [InlineData("norm2d.Forward(x, y, 1, n, 1)")]
    [InlineData("norm.Backward(x, y, y, 1)")]
    [InlineData("Norm.ForwardInference(x, y, 1, w, w, w, w)")]
    public Task MoreThanOneValueOrNotConstantOrNotTraining_NoDiagnostic(string call) => CallVerifier.Verify($$"""
        class Use
        {
            void M(Norm norm, Norm2d norm2d, float[] x, float[] y, float[] w, int n) => {{call}};
        }
        """);
}
