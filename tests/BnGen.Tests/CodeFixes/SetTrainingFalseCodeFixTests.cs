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
