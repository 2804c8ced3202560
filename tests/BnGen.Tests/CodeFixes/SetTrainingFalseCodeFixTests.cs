using System.Threading.Tasks;
using BnGen.CodeFixes;
using BnGen.Generator.Analyzers;
using BnGen.Tests.Analyzers;
using Xunit;

namespace BnGen.Tests.CodeFixes;

public class SetTrainingFalseCodeFixTests
{
    private static Task Verify(string source, string fixedSource)
        => new LayerCodeFixTest<ForwardCallAnalyzer, SetTrainingFalseCodeFix>(
            CallVerifier.Layers + source, CallVerifier.Layers + fixedSource, runGenerator: true).RunAsync();

    [Fact]
    public Task InsertsTheAssignmentBeforeTheCallStatement() => Verify("""
        class Use
        {
            void M(Norm norm, float[] x, float[] y)
            {
                // One sample at a time.
                norm.Forward(x, y, {|BNG0008:1|});
            }
        }
        """, """
        class Use
        {
            void M(Norm norm, float[] x, float[] y)
            {
                norm.Training = false;
                // One sample at a time.
                norm.Forward(x, y, 1);
            }
        }
        """);

    [Fact]
    public Task MemberChainReceiver_InASwitchSection() => Verify("""
        class Holder { public Norm2d Layer = new(); }
        class Use
        {
            Holder _holder = new();
            void M(int k, float[] x, float[] y)
            {
                switch (k)
                {
                    case 0:
                        this._holder.Layer.Forward(x, y, {|BNG0008:1|}, 1, 1);
                        break;
                }
            }
        }
        """, """
        class Holder { public Norm2d Layer = new(); }
        class Use
        {
            Holder _holder = new();
            void M(int k, float[] x, float[] y)
            {
                switch (k)
                {
                    case 0:
                        this._holder.Layer.Training = false;
                        this._holder.Layer.Forward(x, y, 1, 1, 1);
                        break;
                }
            }
        }
        """);

    [Fact]
    public Task InsideTheLayer_ImplicitThis() => Verify("""
        partial class Norm
        {
            float M(float[] x, float[] y)
            {
                float sum = 0;
                Forward(x, y, {|BNG0008:1|});
                return sum;
            }
        }
        """, """
        partial class Norm
        {
            float M(float[] x, float[] y)
            {
                float sum = 0;
                Training = false;
                Forward(x, y, 1);
                return sum;
            }
        }
        """);

    [Fact]
    public Task TwoCallsOnOneReceiver_OneAssignment_TwoReceivers_Two() => Verify("""
        class Use
        {
            void M(Norm a, Norm b, float[] x, float[] y)
            {
                a.Forward(x, y, {|BNG0008:1|});
                b.Forward(x, y, {|BNG0008:1|});
                a.Forward(y, x, {|BNG0008:1|});
            }
        }
        """, """
        class Use
        {
            void M(Norm a, Norm b, float[] x, float[] y)
            {
                a.Training = false;
                a.Forward(x, y, 1);
                b.Training = false;
                b.Forward(x, y, 1);
                a.Forward(y, x, 1);
            }
        }
        """);

    [Fact]
    public Task ElementAccessReceivers() => Verify("""
        class Model { public Norm[] Norms = new Norm[4]; }
        class Use
        {
            void M(Norm[] layers, int i, Model model, float[] x, float[] y)
            {
                layers[i].Forward(x, y, {|BNG0008:1|});
                model.Norms[2].Forward(x, y, {|BNG0008:1|});
            }
        }
        """, """
        class Model { public Norm[] Norms = new Norm[4]; }
        class Use
        {
            void M(Norm[] layers, int i, Model model, float[] x, float[] y)
            {
                layers[i].Training = false;
                layers[i].Forward(x, y, 1);
                model.Norms[2].Training = false;
                model.Norms[2].Forward(x, y, 1);
            }
        }
        """);

    [Fact]
    public Task ReceiverTheAnalyzerCannotMatch_NoFixIsOffered()
    {
        const string source = """
            class Use
            {
                Norm[] _layers = new Norm[2];
                Norm Make() => new();
                void M(Norm[] layers, int i, float[] x, float[] y)
                {
                    layers[i + 1].Forward(x, y, {|BNG0008:1|});
                    layers[_layers.Length].Forward(x, y, {|BNG0008:1|});
                    Make().Forward(x, y, {|BNG0008:1|});
                }
            }
            """;
        return Verify(source, source);
    }

    [Fact]
    public Task FixAll_ALineWhereTheFirstDoesNotSurelyReach()
    {
        // One at a time, the second fix makes both branches end in evaluation mode, so the later calls are no longer
        // flagged; Fix All decides from the text and adds a line before the call after the if, and one after the index moved.
        var test = new LayerCodeFixTest<ForwardCallAnalyzer, SetTrainingFalseCodeFix>(CallVerifier.Layers + """
            class Use
            {
                void M(Norm a, Norm[] layers, int i, float[] x, float[] y, bool c)
                {
                    if (c)
                    {
                        a.Forward(x, y, {|BNG0008:1|});
                    }
                    else
                    {
                        a.Forward(y, x, {|BNG0008:1|});
                    }
                    a.Forward(x, y, {|BNG0008:1|});
                    a.Forward(y, x, {|BNG0008:1|});
                    layers[i].Forward(x, y, {|BNG0008:1|});
                    i++;
                    layers[i].Forward(x, y, {|BNG0008:1|});
                }
            }
            """, CallVerifier.Layers + """
            class Use
            {
                void M(Norm a, Norm[] layers, int i, float[] x, float[] y, bool c)
                {
                    if (c)
                    {
                        a.Training = false;
                        a.Forward(x, y, 1);
                    }
                    else
                    {
                        a.Training = false;
                        a.Forward(y, x, 1);
                    }
                    a.Forward(x, y, 1);
                    a.Forward(y, x, 1);
                    layers[i].Training = false;
                    layers[i].Forward(x, y, 1);
                    i++;
                    layers[i].Training = false;
                    layers[i].Forward(x, y, 1);
                }
            }
            """, runGenerator: true);
        test.BatchFixedCode = CallVerifier.Layers + """
            class Use
            {
                void M(Norm a, Norm[] layers, int i, float[] x, float[] y, bool c)
                {
                    if (c)
                    {
                        a.Training = false;
                        a.Forward(x, y, 1);
                    }
                    else
                    {
                        a.Training = false;
                        a.Forward(y, x, 1);
                    }
                    a.Training = false;
                    a.Forward(x, y, 1);
                    a.Forward(y, x, 1);
                    layers[i].Training = false;
                    layers[i].Forward(x, y, 1);
                    i++;
                    layers[i].Training = false;
                    layers[i].Forward(x, y, 1);
                }
            }
            """;
        return test.RunAsync();
    }

    [Fact]
    public Task TopLevelStatements()
    {
        var test = new LayerCodeFixTest<ForwardCallAnalyzer, SetTrainingFalseCodeFix>("""
            var norm = new Norm();
            float[] x = new float[4];
            norm.Forward(x, x, {|BNG0008:1|});

            [BnGen.BatchNormLayer(4)] public partial class Norm { }
            """, """
            var norm = new Norm();
            float[] x = new float[4];
            norm.Training = false;
            norm.Forward(x, x, 1);

            [BnGen.BatchNormLayer(4)] public partial class Norm { }
            """, runGenerator: true);
        test.TestState.OutputKind = Microsoft.CodeAnalysis.OutputKind.ConsoleApplication;
        return test.RunAsync();
    }

    [Fact]
    public Task WithoutRunningStatistics_NoFixIsOffered()
    {
        const string source = """
            class Use
            {
                void M(Untracked norm, float[] x, float[] y)
                {
                    norm.Forward(x, y, {|BNG0008:1|});
                }
            }
            """;
        return Verify(source, source);
    }

    [Fact]
    public Task EmbeddedStatement_NoFixIsOffered()
    {
        const string source = """
            class Use
            {
                void M(Norm norm, float[] x, float[] y, bool go)
                {
                    if (go) norm.Forward(x, y, {|BNG0008:1|});
                }
            }
            """;
        return Verify(source, source);
    }
}
