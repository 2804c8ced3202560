using System.Threading.Tasks;
using BnGen.CodeFixes;
using BnGen.Generator.Analyzers;
using BnGen.Tests.Analyzers;
using Xunit;

namespace BnGen.Tests.CodeFixes;

public class MakePartialCodeFixTests
{
    private static Task Verify(string source, string fixedSource, int iterations = 1)
    {
        var test = new LayerCodeFixTest<LayerDeclarationAnalyzer, MakePartialCodeFix>(source, fixedSource)
        {
            NumberOfIncrementalIterations = iterations,
            NumberOfFixAllIterations = 1,
        };
        return test.RunAsync();
    }

    [Fact]
    public Task ClassWithModifiers_GetsPartialBeforeTheKeyword() => Verify("""
        [BnGen.BatchNormLayer(8)]
        public sealed class {|BNG0001:Norm|} { }
        """, """
        [BnGen.BatchNormLayer(8)]
        public sealed partial class Norm { }
        """);

    [Fact]
    public Task ClassWithoutModifiers_KeepsItsTrivia() => Verify("""
        namespace Vision
        {
            // The stem's normalization.
            [BnGen.BatchNormLayer(8)]
            class {|BNG0001:Norm|} { }
        }
        """, """
        namespace Vision
        {
            // The stem's normalization.
            [BnGen.BatchNormLayer(8)]
            partial class Norm { }
        }
        """);

    [Fact]
    public Task Record_GetsPartial() => Verify("""
        [BnGen.BatchNormLayer(8)]
        internal record {|BNG0001:Norm|}(int Tag);
        """, """
        [BnGen.BatchNormLayer(8)]
        internal partial record Norm(int Tag);
        """);

    [Fact]
    public Task OneFixMakesTheWholeChainPartial() => Verify("""
        public static class {|BNG0001:A|}
        {
            public partial class B
            {
                internal class {|BNG0001:C|}
                {
                    [BnGen.BatchNormLayer(8)]
                    internal sealed class {|BNG0001:Norm|} { }
                }
            }
        }
        """, """
        public static partial class A
        {
            public partial class B
            {
                internal partial class C
                {
                    [BnGen.BatchNormLayer(8)]
                    internal sealed partial class Norm { }
                }
            }
        }
        """);

    [Fact]
    public Task FixAll_TwoLayersInOneContainer() => Verify("""
        public class {|BNG0001:Outer|}
        {
            [BnGen.BatchNormLayer(8)] public class {|BNG0001:First|} { }
            [BnGen.BatchNormLayer(4)] public class {|BNG0001:Second|} { }
        }
        """, """
        public partial class Outer
        {
            [BnGen.BatchNormLayer(8)] public partial class First { }
            [BnGen.BatchNormLayer(4)] public partial class Second { }
        }
        """);
}
