using System.Threading.Tasks;
using BnGen.CodeFixes;
using BnGen.Generator.Analyzers;
using BnGen.Tests.Analyzers;
using Xunit;

namespace BnGen.Tests.CodeFixes;

public class RemoveStaticCodeFixTests
{
    [Fact]
    public Task StaticLayer_BecomesAnInstanceClass_InEveryFile()
    {
        var test = new LayerCodeFixTest<LayerDeclarationAnalyzer, RemoveStaticCodeFix>("""
            namespace N;
            [BnGen.BatchNormLayer(8)]
            public static partial class {|BNG0007:Norm|}
            {
                public static int Created;
            }
            """, """
            namespace N;
            [BnGen.BatchNormLayer(8)]
            public partial class Norm
            {
                public static int Created;
            }
            """, runGenerator: true);
        test.TestState.Sources.Add(("Other.cs", "namespace N;\n    static partial class Norm { }\n"));
        test.FixedState.Sources.Add(("Other.cs", "namespace N;\n    partial class Norm { }\n"));
        return test.RunAsync();
    }

    [Fact]
    public Task GenericLayer_NoFixIsOffered()
    {
        const string source = "[BnGen.BatchNormLayer(8)] public partial class {|BNG0007:Norm|}<T> { }";
        return new LayerCodeFixTest<LayerDeclarationAnalyzer, RemoveStaticCodeFix>(source, source).RunAsync();
    }
}
