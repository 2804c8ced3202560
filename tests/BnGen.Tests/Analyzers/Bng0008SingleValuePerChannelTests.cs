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
                a.Forward(x, y, {|BNG0008:1|});
            }
        }
        """);

    [Fact]
    public Task TheLastAssignmentBeforeTheCallDecides() => CallVerifier.Verify("""
        class Use
        {
            void M(Norm a, Norm b, float[] x, float[] y)
            {
                a.Training = false;
                a.Training = true;
                a.Forward(x, y, {|#0:1|});
                b.Training = true;
                b.Training = false;
                b.Forward(x, y, 1);
            }
        }
        """,
        new DiagnosticResult(Descriptors.SingleValuePerChannel).WithLocation(0)
            .WithArguments("Norm", "Forward", "batch 1", "set Training = false before the call for single-sample inference"));

    [Fact]
    public Task Branches_EveryPathMustEndWithFalse() => CallVerifier.Verify("""
        class Use
        {
            void OneBranch(Norm a, float[] x, float[] y, bool c)
            {
                if (c) a.Training = false;
                a.Forward(x, y, {|BNG0008:1|});
            }

            void BothBranches(Norm a, float[] x, float[] y, bool c)
            {
                if (c) { a.Training = false; } else { a.Training = false; }
                a.Forward(x, y, 1);
            }

            void ABranchThatLeaves(Norm a, float[] x, float[] y, bool c)
            {
                a.Training = false;
                if (c) { a.Training = true; return; }
                a.Forward(x, y, 1);
            }

            void InsideTheBranches(Norm a, float[] x, float[] y, bool c)
            {
                a.Training = false;
                if (c) { a.Forward(x, y, 1); } else { a.Training = true; a.Forward(x, y, {|BNG0008:1|}); }
            }

            void InAConditionalExpression(Norm a, float[] x, float[] y, bool c)
            {
                a.Training = false;
                _ = c && (a.Training = true);
                a.Forward(x, y, {|BNG0008:1|});
            }

            void FalseInAConditionalExpression(Norm a, float[] x, float[] y, bool c)
            {
                _ = c || !(a.Training = false);
                a.Forward(x, y, {|BNG0008:1|});
            }

            void NotAConstant(Norm a, float[] x, float[] y, bool c)
            {
                a.Training = false;
                a.Training = c;
                a.Forward(x, y, {|BNG0008:1|});
            }
        }
        """);

    [Fact]
    public Task LoopsTryAndLocalFunctions() => CallVerifier.Verify("""
        class Use
        {
            void TrueLaterInTheLoop(Norm a, float[][] xs, float[] y)
            {
                a.Training = false;
                foreach (float[] x in xs)
                {
                    a.Forward(x, y, {|BNG0008:1|});
                    a.Training = true;
                }
            }

            void FalseAfterTheCallInTheLoop(Norm a, float[][] xs, float[] y)
            {
                foreach (float[] x in xs)
                {
                    a.Forward(x, y, {|BNG0008:1|});
                    a.Training = false;
                }
            }

            void FalseBeforeTheLoop(Norm a, float[][] xs, float[] y)
            {
                a.Training = false;
                for (int k = 0; k < xs.Length; k++)
                {
                    a.Forward(xs[k], y, 1);
                }
            }

            void FalseInTheLoopOnly(Norm a, float[][] xs, float[] y)
            {
                while (xs.Length > 0)
                {
                    a.Training = false;
                }
                a.Forward(y, y, {|BNG0008:1|});
            }

            void TrueInATryBlock(Norm a, float[] x, float[] y)
            {
                a.Training = false;
                try { a.Training = true; } finally { a.Forward(x, y, {|BNG0008:1|}); }
            }

            void FalseInATryBlock(Norm a, float[] x, float[] y)
            {
                try { a.Training = false; } finally { }
                a.Forward(x, y, 1);
            }

            void InALambda(Norm a, float[] x, float[] y)
            {
                a.Training = false;
                System.Action run = () => a.Forward(x, y, 1);
                System.Action set = () => a.Training = true;
                a.Forward(x, y, 1);
            }

            void InALocalFunction(Norm a, float[] x, float[] y)
            {
                a.Training = false;
                Run();
                void Run() => a.Forward(x, y, {|BNG0008:1|});
            }
        }
        """);

    [Fact]
    public Task TheReceiverReplaced_IsANewLayerInTrainingMode() => CallVerifier.Verify("""
        class Holder { public Norm Layer = new(); }
        class Use
        {
            void Reassigned(float[] x, float[] y)
            {
                var norm = new Norm { Training = false };
                norm = new Norm();
                norm.Forward(x, y, {|BNG0008:1|});
            }

            void ReassignedWithAnInitializer(Norm norm, float[] x, float[] y)
            {
                norm = new Norm { Training = false };
                norm.Forward(x, y, 1);
            }

            void ThroughAFieldChain(Holder h, float[] x, float[] y)
            {
                h.Layer.Training = false;
                h.Layer = new Norm();
                h.Layer.Forward(x, y, {|BNG0008:1|});
            }

            void TheHolderReplaced(Holder h, float[] x, float[] y)
            {
                h.Layer.Training = false;
                h = new Holder();
                h.Layer.Forward(x, y, {|BNG0008:1|});
            }
        }
        """);

    [Fact]
    public Task ElementAccessReceivers_MatchTheSameConstantOrLocalIndex() => CallVerifier.Verify("""
        class Model
        {
            public Norm[] Norms = new Norm[4];
            public System.Collections.Generic.List<Norm> List = new();
        }
        class Use
        {
            const int Last = 3;

            void SameLocalIndex(Norm[] layers, int i, float[] x, float[] y)
            {
                layers[i].Training = false;
                layers[i].Forward(x, y, 1);
            }

            void SameConstantIndex(Model model, float[] x, float[] y)
            {
                model.Norms[2].Training = false;
                model.Norms[2].Forward(x, y, 1);
                model.List[0].Training = false;
                model.List[0].Forward(x, y, 1);
                model.Norms[Last].Training = false;
                model.Norms[3].Forward(x, y, 1);
            }

            void OtherIndex(Norm[] layers, int i, int j, Model model, float[] x, float[] y)
            {
                layers[i].Training = false;
                layers[j].Forward(x, y, {|BNG0008:1|});
                model.Norms[1].Training = false;
                model.Norms[2].Forward(x, y, {|BNG0008:1|});
                model.Norms[1].Forward(x, y, 1);
                layers[i + 1].Training = false;
                layers[i + 1].Forward(x, y, {|BNG0008:1|});
            }

            void TheIndexChanged(Norm[] layers, int i, float[] x, float[] y)
            {
                layers[i].Training = false;
                i++;
                layers[i].Forward(x, y, {|BNG0008:1|});
            }

            void TheArrayReplaced(Norm[] layers, Norm[] others, float[] x, float[] y)
            {
                layers[0].Training = false;
                layers = others;
                layers[0].Forward(x, y, {|BNG0008:1|});
            }

            void ALoopOverTheLayers(Norm[] layers, float[] x, float[] y)
            {
                for (int i = 0; i < layers.Length; i++)
                {
                    layers[i].Training = false;
                    layers[i].Forward(x, y, 1);
                }
                for (int i = 0; i < layers.Length; i++)
                {
                    layers[i].Forward(x, y, {|BNG0008:1|});
                }
            }
        }
        """);

    [Theory]
    [InlineData("norm.Forward(x, y, batch: {|BNG0008:1|})")]
    [InlineData("norm2d.Forward(x, y, {|BNG0008:1|}, 1, 1)")]
    [InlineData("norm2d.Forward(output: y, width: 1, height: 1, batch: {|BNG0008:1|}, input: x)")]
    public Task EveryDimensionTheConstantOne_IsReported(string call) => CallVerifier.Verify($$"""
        class Use
        {
            void M(Norm norm, Norm2d norm2d, float[] x, float[] y) => {{call}};
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
