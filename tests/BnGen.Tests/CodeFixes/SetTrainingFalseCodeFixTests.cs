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
