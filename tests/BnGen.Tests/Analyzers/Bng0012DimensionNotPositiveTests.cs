using System.Threading.Tasks;
using BnGen.Generator;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

public class Bng0012DimensionNotPositiveTests
{
    [Fact]
    public Task ZeroBatch_IsReportedOnTheArgument_WithNameAndValue() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] x, float[] y) => norm.Forward(x, y, {|#0:0|});
        }
        """,
        new DiagnosticResult(Descriptors.DimensionNotPositive).WithLocation(0).WithArguments("batch", "0", "Norm.Forward"));

    [Fact]
    public Task EachNonPositiveDimensionOnNchw_IsReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm2d norm, float[] x, float[] y, int n) => norm.Backward(x, y, y, n, {|#0:-1|}, {|#1:0|});
        }
        """,
        new DiagnosticResult(Descriptors.DimensionNotPositive).WithLocation(0).WithArguments("height", "-1", "Norm2d.Backward"),
        new DiagnosticResult(Descriptors.DimensionNotPositive).WithLocation(1).WithArguments("width", "0", "Norm2d.Backward"));

    [Fact]
    public Task NamedConstantsAndStaticKernels_AreReported() => CallVerifier.Verify("""
        class Use
        {
            const int Empty = 0;
            void M(float[] x, float[] y, float[] w, double[] m)
            {
                Norm.ForwardInference(x, y, batch: {|BNG0012:Empty|}, weight: w, bias: w, runningMean: w, runningVar: w);
                Norm.BackwardTraining(x, y, y, {|BNG0012:-2|}, w, m, m, w, w);
                Norm2d.ForwardTraining(x, y, 1, {|BNG0012:int.MinValue|}, 1, w, w, m, m, w, w, 0.1);
            }
        }
        """);

    [Fact]
    public Task TheShapeIsUndefined_NoOtherCheckOfTheTensors() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] y) => norm.Forward(new float[10], y, {|BNG0012:0|});
        }
        """);

    [Fact]
    public Task PositiveOrUnknown_NoDiagnostic() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, Norm2d norm2d, float[] x, float[] y, int n)
            {
                norm.Forward(x, y, 2);
                norm.Forward(x, y, n);
                norm.Forward(x, y, -n);
                norm2d.Forward(x, y, 2, n, int.MaxValue);
            }
        }
        """);
}
