using System.Threading.Tasks;
using BnGen.Generator;
using BnGen.Generator.Analyzers;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace BnGen.Tests.Analyzers;

/// <summary>
/// BNG0008, BNG0009 and BNG0012 on the members of the v2 API that the emitter does not write yet: the NHWC and NCL layouts,
/// a fused ReLU, <c>FoldInto</c> and the kernels' <c>maxDegreeOfParallelism</c> overloads. These calls bind (and these
/// tests pass) once the emitter generates those members as <see cref="BnGen.Generator.Model.GeneratedApi"/> lists them.
/// </summary>
internal static class NewApiVerifier
{
    public const string Layers = """
        using System;
        using BnGen;

        [BatchNormLayer(3, BatchNormLayout.NHWC)] public partial class NormNhwc { }
        [BatchNormLayer(3, BatchNormLayout.NCL)] public partial class NormNcl { }
        [BatchNormLayer(4)] public partial class Norm { }
        [BatchNormLayer(4, Activation = BatchNormActivation.ReLU)] public partial class NormRelu { }

        """;

    public static Task Verify(string body, params DiagnosticResult[] expected)
    {
        var test = new LayerAnalyzerTest<ForwardCallAnalyzer>(Layers + body, runGenerator: true);
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }
}

public class NewLayoutCallTests
{
    [Fact]
    public Task Nhwc_AllOnes_IsASingleValuePerChannel() => NewApiVerifier.Verify("""
        class Use
        {
            void M(NormNhwc norm, float[] x, float[] y) => norm.Forward(x, y, {|#0:1|}, 1, 1);
        }
        """,
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(0).WithArguments("NormNhwc", "Forward",
            "batch 1, height 1 and width 1", "set Training = false before the call for single-sample inference"));

    [Fact]
    public Task Ncl_BatchAndLengthOne_IsASingleValuePerChannel() => NewApiVerifier.Verify("""
        class Use
        {
            void M(NormNcl norm, float[] x, float[] y, float[] w, double[] m)
            {
                norm.Forward(x, y, {|#0:1|}, 1);
                norm.Forward(x, y, 1, 2);
                norm.Training = false;
                norm.Forward(x, y, 1, 1);
                NormNcl.ForwardTraining(x, y, {|#1:1|}, 1, w, w, m, m, w, w, 0.1);
            }
        }
        """,
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(0).WithArguments("NormNcl", "Forward",
            "batch 1 and length 1", "set Training = false before the call for single-sample inference"),
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(1).WithArguments("NormNcl", "ForwardTraining",
            "batch 1 and length 1", "call ForwardInference with the running statistics for single-sample inference"));

    [Fact]
    public Task Nhwc_TensorLengthIsBatchHeightWidthFeatures() => NewApiVerifier.Verify("""
        class Use
        {
            void M(NormNhwc norm, float[] y, int n)
            {
                norm.Forward({|#0:new float[95]|}, y, 2, 4, 4);
                norm.Forward(new float[96], new float[2 * 4 * 4 * NormNhwc.Features], 2, 4, 4);
                norm.Forward({|#1:new float[50]|}, y, n, 4, 4);
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(0).WithArguments("input", "95",
            "batch × height × width × Features = 2 × 4 × 4 × 3", "96", "NormNhwc.Forward"),
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(1).WithArguments("input", "50",
            "height × width × Features = 4 × 4 × 3", "48", "NormNhwc.Forward"));

    [Fact]
    public Task Ncl_TensorLengthIsBatchFeaturesLength() => NewApiVerifier.Verify("""
        class Use
        {
            void M(NormNcl norm, float[] x, int n)
            {
                norm.Backward(x, new float[12], {|#0:new float[10]|}, 2, 2);
                norm.Forward({|#1:new float[10]|}, x, n, 2);
                norm.Forward(new float[12], new float[12], n, 2);
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(0).WithArguments("gradInput", "10",
            "batch × Features × length = 2 × 3 × 2", "12", "NormNcl.Backward"),
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(1).WithArguments("input", "10",
            "Features × length = 3 × 2", "6", "NormNcl.Forward"));

    [Fact]
    public Task NewLayouts_NonPositiveDimensions() => NewApiVerifier.Verify("""
        class Use
        {
            void M(NormNhwc nhwc, NormNcl ncl, float[] x, float[] y)
            {
                ncl.Forward(x, y, 2, {|#0:0|});
                nhwc.Forward(x, y, {|#1:-1|}, 2, 2);
            }
        }
        """,
        new DiagnosticResult(Descriptors.DimensionNotPositive).WithLocation(0).WithArguments("length", "0", "NormNcl.Forward"),
        new DiagnosticResult(Descriptors.DimensionNotPositive).WithLocation(1).WithArguments("batch", "-1", "NormNhwc.Forward"));
}

public class NewApiCallTests
{
    [Fact]
    public Task FoldInto_WeightIsAPositiveMultipleOfFeatures_BiasIsFeatures() => NewApiVerifier.Verify("""
        class Use
        {
            void M(Norm norm, float[] w)
            {
                norm.FoldInto({|#0:new float[10]|}, new float[4]);
                norm.FoldInto(new float[8], {|#1:new float[3]|});
                norm.FoldInto({|#2:new float[0]|}, w);
                norm.FoldInto(new float[4 * 9], new float[4]);
                Norm.FoldInto(new float[8], new float[4], {|#3:new float[3]|}, w, w, {|#4:new float[5]|});
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(0).WithArguments("weight", "10", "Features", "4", "Norm.FoldInto"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(1).WithArguments("bias", "3", "Features", "4", "Norm.FoldInto"),
        new DiagnosticResult(Descriptors.ShapeNotMultiple).WithLocation(2).WithArguments("weight", "0", "Features", "4", "Norm.FoldInto"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(3).WithArguments("bnWeight", "3", "Features", "4", "Norm.FoldInto"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(4).WithArguments("runningVar", "5", "Features", "4", "Norm.FoldInto"));

    [Fact]
    public Task ParallelOverloadsOfTheKernels_AreChecked() => NewApiVerifier.Verify("""
        class Use
        {
            void M(float[] x, float[] y, float[] w, double[] m)
            {
                Norm.ForwardTraining(x, y, {|BNG0008:1|}, w, w, m, m, w, w, 0.1, 2);
                Norm.ForwardInference(x, y, {|BNG0012:0|}, w, w, w, w, -1);
                Norm.BackwardInference({|BNG0009:new float[6]|}, y, y, 2, w, w, w, w, w, 4);
            }
        }
        """);

    [Fact]
    public Task ReluBackwardKernels_TakeBiasAfterWeight() => NewApiVerifier.Verify("""
        class Use
        {
            void M(float[] x, float[] y, float[] w, double[] m, int n)
            {
                NormRelu.BackwardTraining(x, y, y, n, w, {|#0:new float[3]|}, m, m, w, w);
                NormRelu.BackwardInference(x, y, y, n, w, w, w, w, w, {|#1:new float[2]|});
            }
        }
        """,
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(0).WithArguments("bias", "3", "Features", "4", "NormRelu.BackwardTraining"),
        new DiagnosticResult(Descriptors.ShapeMismatch).WithLocation(1).WithArguments("biasGrad", "2", "Features", "4", "NormRelu.BackwardInference"));
}
