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
    public Task UnknownLength_NoDiagnostic() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] p, int n)
            {
                var x = new float[10];
                x = new float[8];
                var z = new float[n];
                norm.Forward(x, p, 2);
                norm.Forward(z, p, 2);
            }
        }
        """);

    [Fact]
    public Task UnknownBatchOnNc_LengthNotAMultipleOfFeatures_IsReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] y, int n) => norm.Forward({|#0:new float[10]|}, y, n);
        }
        """,
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(0)
            .WithArguments("input", "10", "Features", "4", "Norm.Forward"));

    [Fact]
    public Task UnknownBatch_AnEmptyBufferIsNotAPositiveMultiple() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] x, int n) => norm.Backward(x, {|#0:new float[0]|}, x, n);
        }
        """,
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(0)
            .WithArguments("gradOutput", "0", "Features", "4", "Norm.Backward"));

    [Fact]
    public Task UnknownHeightOnNchw_TheKnownPartIsChecked() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm2d norm, int h)
            {
                norm.Forward({|#0:new float[95]|}, new float[96], 2, h, 4);
                norm.Forward(new float[96], new float[2 * 3 * 4 * 4], 2, h, 4);
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(0)
            .WithArguments("input", "95", "batch × Features × width = 2 × 3 × 4", "24", "Norm2d.Forward"));

    [Fact]
    public Task UnknownShape_KnownLengthsThatDisagree_AreReported() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] p, int n)
            {
                norm.Forward(new float[8], {|#0:new float[12]|}, n);
                norm.Backward(p, new float[16], {|#1:new float[8]|}, n);
                norm.Forward(new float[8], new float[8], n);
                norm.Forward(p, new float[12], n);
            }
        }
        """,
        new DiagnosticResult(Descriptors.BuffersDisagree).WithLocation(0)
            .WithArguments("output", "12", "input", "8", "Norm.Forward"),
        new DiagnosticResult(Descriptors.BuffersDisagree).WithLocation(1)
            .WithArguments("gradInput", "8", "gradOutput", "16", "Norm.Backward"));

    [Fact]
    public Task PerFeatureSpansOfTheStaticKernels_MustHoldFeaturesValues() => CallVerifier.Verify("""
        class Use
        {
            void M(float[] x, float[] y, float[] w, double[] mean, int n)
            {
                Norm.ForwardTraining(x, y, n, {|#0:new float[3]|}, w, mean, {|#1:new double[5]|}, w, {|#2:new float[8]|}, 0.1);
                Norm.ForwardInference(x, y, n, w, w, {|#3:stackalloc float[] { 1, 2 }|}, w);
                Norm.BackwardTraining(x, y, y, n, w, mean, mean, {|#4:new float[5]|}, w);
                Norm.BackwardInference(x, y, y, n, w, w, w, w, {|#5:[1f]|});
                Norm.ForwardTraining(x, y, 2, new float[4], new float[] { 1, 1, 1, 1 }, new double[4], new double[4], w, w, 0.1);
                Norm2d.ForwardInference(x, y, n, 1, 1, new float[3], new float[3], new float[3], new float[3]);
                Untracked.ForwardTraining(x, y, n, w, {|#6:new float[0]|}, mean, mean);
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(0).WithArguments("weight", "3", "Features", "4", "Norm.ForwardTraining"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(1).WithArguments("savedInvStd", "5", "Features", "4", "Norm.ForwardTraining"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(2).WithArguments("runningVar", "8", "Features", "4", "Norm.ForwardTraining"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(3).WithArguments("runningMean", "2", "Features", "4", "Norm.ForwardInference"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(4).WithArguments("weightGrad", "5", "Features", "4", "Norm.BackwardTraining"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(5).WithArguments("biasGrad", "1", "Features", "4", "Norm.BackwardInference"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(6).WithArguments("bias", "0", "Features", "4", "Untracked.ForwardTraining"));
}
