using System.Threading.Tasks;
using BnGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

public class Bng0009ShapeMismatchTests
{
    [Fact]
    public Task ArrayOfConstantSize_IsReportedOnTheArgument_WithLengths() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] y) => norm.Forward({|#0:new float[10]|}, y, 2);
        }
        """,
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(0)
            .WithArguments("input", "10", "batch × Features = 2 × 4", "8", "Norm.Forward"));

    [Fact]
    public Task StackAllocThroughLocal_OnNchw_IsReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm2d norm, float[] x)
            {
                Span<float> y = stackalloc float[2 * 3 * 4 * 4 - 1];
                norm.Forward(x, {|#0:y|}, 2, 4, 4);
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(0)
            .WithArguments("output", "95", "batch × Features × height × width = 2 × 3 × 4 × 4", "96", "Norm2d.Forward"));

    [Fact]
    public Task InitializersCollectionExpressionsAndBackward_AreReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] ok)
            {
                float[] x = new float[] { 1, 2, 3, 4, 5, 6, 7 };
                norm.Forward({|BNG0009:x|}, {|BNG0009:stackalloc float[] { 1, 2 }|}, 2);
                norm.Backward(ok, {|BNG0009:[1f, 2f, 3f]|}, new float[8], 2);
            }
        }
        """);

    [Fact]
    public Task MatchingLengths_NoDiagnostic() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, Norm2d norm2d)
            {
                var x = new float[8];
                Span<float> y = stackalloc float[8];
                norm.Forward(x, y, 2);
                norm2d.Forward(new float[2 * 3 * 5 * 7], new float[210], 2, 5, 7);
            }
        }
        """);

    [Fact]
    public Task UnknownLengthOrShape_NoDiagnostic() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] p, int n)
            {
                var x = new float[10];
                x = new float[8];
                var z = new float[n];
                norm.Forward(x, p, 2);
                norm.Forward(z, p, 2);
                norm.Forward(new float[10], new float[10], n);
            }
        }
        """);
}
