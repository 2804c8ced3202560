using System.Collections.Generic;
using System.Linq;
using BnGen.Tests.Infrastructure;
using Xunit;

namespace BnGen.Tests.Robustness;

/// <summary>
/// Hand-written declarations that are wrong, odd or hostile. For each: the generator and analyzers do not throw, and
/// the outcome is exactly the expected one: the BNG diagnostics, the compiler's own errors (never one caused by
/// BnGen), and which layers got generated code (which then compiles without warnings).
/// </summary>
public class NastyCaseTests
{
    /// <param name="Sources">The user's files.</param>
    /// <param name="Bng">Expected BNG diagnostic IDs, sorted, with repeats.</param>
    /// <param name="Errors">Expected compiler error IDs (distinct, sorted).</param>
    /// <param name="Generated">Expected hint names of the generated files, sorted.</param>
    /// <param name="ReferenceBnGen">Whether the consumer references BnGen.dll.</param>
    public sealed record Case(string[] Sources, string[] Bng, string[] Errors, string[] Generated, bool ReferenceBnGen = true);

    private static Case Valid(string source, params string[] generated) => new(new[] { source }, [], [], generated);

    private static Case Invalid(string source, params string[] bng) => new(new[] { source }, bng, [], []);

    private static Case CompilerError(string source, params string[] errors) => new(new[] { source }, [], errors, []);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // Arguments the compiler rejects: it reports them; BnGen adds nothing and generates nothing.
        ["MissingFeatures"] = CompilerError("[BnGen.BatchNormLayer] public partial class Norm { }", "CS7036"),
        ["ExtraPositionalArgument"] = CompilerError("[BnGen.BatchNormLayer(8, BnGen.BatchNormLayout.NC, 3)] public partial class Norm { }", "CS1729"),
        ["StringFeatures"] = CompilerError("[BnGen.BatchNormLayer(\"8\")] public partial class Norm { }", "CS1503"),
        ["DoubleFeatures"] = CompilerError("[BnGen.BatchNormLayer(8.5)] public partial class Norm { }", "CS1503"),
        ["StringEpsilon"] = CompilerError("[BnGen.BatchNormLayer(8, Epsilon = \"small\")] public partial class Norm { }", "CS0029"),
        // An unknown named argument is dropped by the compiler, which reports it; the rest of the attribute is valid, so
        // the layer keeps its generated code (no flash of errors in user code while a named argument is being typed).
        ["UnknownNamedArgument"] = new(new[] { "[BnGen.BatchNormLayer(8, Dropout = 0.5)] public partial class Norm { }" }, [], ["CS0246"], ["Norm.BatchNorm.g.cs"]),
        ["NonConstantFeatures"] = CompilerError("public static class K { public static int N = 8; }\n[BnGen.BatchNormLayer(K.N)] public partial class Norm { }", "CS0182"),
        ["TypeofErrorType"] = CompilerError("[BnGen.BatchNormLayer(8, ElementType = typeof(Missing))] public partial class Norm { }", "CS0246"),
        ["TypeofErrorTypeNotPartial"] = new(new[] { "[BnGen.BatchNormLayer(8, ElementType = typeof(Missing))] public class Norm { }" }, ["BNG0001"], ["CS0246"], []),
        ["AttributeTwice"] = CompilerError("[BnGen.BatchNormLayer(8)][BnGen.BatchNormLayer(4)] public partial class Norm { }", "CS0579"),
        ["AttributeOnTwoPartialParts"] = new(
            new[] { "[BnGen.BatchNormLayer(8)] public partial class Norm { }", "[BnGen.BatchNormLayer(8)] public partial class Norm { }" },
            [], ["CS0579"], []),
        ["OnStruct"] = CompilerError("[BnGen.BatchNormLayer(8)] public partial struct Norm { }", "CS0592"),
        ["OnRecordStruct"] = CompilerError("[BnGen.BatchNormLayer(8)] public partial record struct Norm;", "CS0592"),
        ["OnInterface"] = CompilerError("[BnGen.BatchNormLayer(8)] public partial interface INorm { }", "CS0592"),
        ["OnEnum"] = CompilerError("[BnGen.BatchNormLayer(8)] public enum Norm { A }", "CS0592"),
        ["OnMethod"] = CompilerError("public class C { [BnGen.BatchNormLayer(8)] public void M() { } }", "CS0592"),
        ["LookalikeAttributeWithOtherConstructor"] = new(new[] { """
            namespace BnGen { public sealed class BatchNormLayerAttribute : System.Attribute { public BatchNormLayerAttribute(string name) { } } }
            [BnGen.BatchNormLayer("eight")] public partial class Norm { }
            """ }, [], [], [], ReferenceBnGen: false),
        ["NoBnGenReference"] = CompilerError("[BnGen.BatchNormLayer(8)] public partial class Norm { }", "CS0246") with { ReferenceBnGen = false },

        // Declarations BnGen rejects: exactly its diagnostic, no generated code, no other error.
        ["NotPartial"] = Invalid("[BnGen.BatchNormLayer(8)] public class Norm { }", "BNG0001"),
        ["ContainersNotPartial"] = Invalid("public class A { public class B { [BnGen.BatchNormLayer(8)] public partial class Norm { } } }", "BNG0001", "BNG0001"),
        ["StaticClass"] = Invalid("[BnGen.BatchNormLayer(8)] public static partial class Norm { }", "BNG0007"),
        ["GenericClass"] = Invalid("[BnGen.BatchNormLayer(8)] public partial class Norm<T> { }", "BNG0007"),
        ["NestedInGenericType"] = Invalid("public partial class Outer<T> { [BnGen.BatchNormLayer(8)] public partial class Norm { } }", "BNG0007"),
        ["UserDeclaresFeatures"] = Invalid("[BnGen.BatchNormLayer(8)] public partial class Norm { public const int Features = 8; }", "BNG0007"),
        ["UserDeclaresForward"] = Invalid(
            "[BnGen.BatchNormLayer(8)] public partial class Norm { public void Forward(System.ReadOnlySpan<float> a, System.Span<float> b, int c) { } }", "BNG0007"),
        ["EveryArgumentWrong"] = Invalid(
            "[BnGen.BatchNormLayer(-1, (BnGen.BatchNormLayout)4, Epsilon = double.NaN, Momentum = -0.1, ElementType = typeof(decimal))] public class Norm { }",
            "BNG0001", "BNG0002", "BNG0003", "BNG0004", "BNG0005", "BNG0006"),
        // A file-local type: a partial part in the generated file would be a different, unrelated type.
        ["FileLocalClass"] = Invalid("[BnGen.BatchNormLayer(4)] file partial class Norm { }", "BNG0007"),
        ["NestedInFileLocalClass"] = Invalid("file partial class Outer { [BnGen.BatchNormLayer(4)] public partial class Norm { } }", "BNG0007"),
        ["HugeFeatures"] = Invalid("[BnGen.BatchNormLayer(int.MaxValue)] public partial class Norm { }", "BNG0002"),
        ["InfiniteEpsilonFromDivision"] = Invalid("[BnGen.BatchNormLayer(8, Epsilon = 1.0 / 0.0)] public partial class Norm { }", "BNG0004"),
        ["InvalidUsedByOtherCode"] = new(new[] { """
            [BnGen.BatchNormLayer(0)] public partial class Norm { }
            public static class Use { public static int Count() => new Norm().ToString()!.Length; }
            """ }, ["BNG0002"], [], []),

        // Odd call sites for the call analyzer: lambdas in field initializers, local functions, a look-alike method on a
        // class that is not a layer, stackalloc as an argument, non-positive or huge dimensions, calls that do not bind.
        ["HostileCallSites"] = new(new[] { """
            [BnGen.BatchNormLayer(4)] public partial class Norm { }
            [BnGen.BatchNormLayer(2, BnGen.BatchNormLayout.NCHW)] public partial class Img { }
            public class NotALayer { public void Forward(System.ReadOnlySpan<float> input, System.Span<float> output, int batch) { } }
            public static class Use
            {
                static readonly System.Action<float[]> Lambda = x => new Norm().Forward(x, x, 1);
                public static void Run(float[] x)
                {
                    new NotALayer().Forward(x, x, 1);
                    new NotALayer().Forward(new float[3], x, 2);
                    void Local() => new Img().Forward(x, x, 1, 1, 1);
                    Local();
                    new Norm().Forward(stackalloc float[3], new float[4], 1);
                    new Norm().Forward(x, x, batch: 1 + 1);
                    new Norm().Forward(new float[4], x, int.MaxValue);
                    new Img().Forward(new float[0], x, -1, 1, 1);
                    new Img().Forward(new float[7], new float[8], 1, 2, 2);
                    new Norm().Forward(x, x, "one");
                    new Norm().Forward(x);
                    Lambda(x);
                }
            }
            """ }, ["BNG0008", "BNG0008", "BNG0008", "BNG0009", "BNG0009", "BNG0009", "BNG0012"], ["CS1503", "CS7036"], ["Img.BatchNorm.g.cs", "Norm.BatchNorm.g.cs"]),

        // The decision for uses of an invalid layer (documented in docs/diagnostics): it has no generated members, so each
        // use of one is the compiler's CS1061/CS0117 at that use, and nothing at the declaration besides the BNG error.
        ["InvalidLayerMembersUsed"] = new(new[] { """
            [BnGen.BatchNormLayer(8, Epsilon = 0)] public partial class Norm { }
            public static class Use
            {
                public static void Run(float[] x) { var norm = new Norm(); norm.Forward(x, x, 1); _ = Norm.Features; }
            }
            """ }, ["BNG0004"], ["CS0117", "CS1061"], []),

        // Odd but valid: generated code that compiles without a warning.
        ["KeywordNames"] = Valid("namespace @event.@class { public static partial class @static { [BnGen.BatchNormLayer(3)] public partial class @class { } } }",
            "event.class.static.class.BatchNorm.g.cs"),
        ["UnicodeIdentifiers"] = Valid("namespace Données; [BnGen.BatchNormLayer(5, BnGen.BatchNormLayout.NCHW)] public partial class Größe_Нормализация { }",
            "Données.Größe_Нормализация.BatchNorm.g.cs"),
        ["SplitAcrossFiles"] = new(new[]
        {
            "namespace N; [BnGen.BatchNormLayer(4)] public sealed partial class Norm { }",
            "namespace N; public sealed partial class Norm { public int Channels => Features; }",
            "namespace N; partial class Norm { public float Scale(int i) => Weight[i]; }",
        }, [], [], ["N.Norm.BatchNorm.g.cs"]),
        ["RecordClassWithPrimaryConstructor"] = Valid("[BnGen.BatchNormLayer(4)] public partial record class Norm(string Tag);", "Norm.BatchNorm.g.cs"),
        ["PositionalRecord"] = Valid("[BnGen.BatchNormLayer(4, ElementType = typeof(double))] internal sealed partial record Norm(int A, int B);", "Norm.BatchNorm.g.cs"),
        ["NestedInStructAndRecord"] = Valid(
            "namespace N { public partial struct S { internal partial record R { [BnGen.BatchNormLayer(6)] private partial class Norm { } } } }",
            "N.S.R.Norm.BatchNorm.g.cs"),
        ["AliasAndFullName"] = Valid("""
            using BN = BnGen.BatchNormLayerAttribute;
            [BN(2)] public partial class A { }
            [BnGen.BatchNormLayerAttribute(features: 3, layout: BnGen.BatchNormLayout.NCHW)] public partial class B { }
            """, "A.BatchNorm.g.cs", "B.BatchNorm.g.cs"),
        ["ConstantExpressions"] = Valid("""
            static class K { public const int C = 4; public const double E = 1e-3; }
            [BnGen.BatchNormLayer(K.C * 2, (BnGen.BatchNormLayout)(K.C - 3), Epsilon = K.E / 10, Momentum = 1.0 / 3)] public partial class Norm { }
            """, "Norm.BatchNorm.g.cs"),
        ["UserTypesShadowingSystemNames"] = Valid("""
            namespace N
            {
                public class Span { } public class Vector { } public class Math { } public class Unsafe { } public class Array { }
                public class ReadOnlySpan<T> { } public class ArgumentException { } public class Vector<T> { }
                public class System { } public class BnGen { }
                [global::BnGen.BatchNormLayer(7, global::BnGen.BatchNormLayout.NCHW)] public partial class Norm { }
                [global::BnGen.BatchNormLayer(5, ElementType = typeof(double), TrackRunningStats = false)] public partial class Norm1d { }
            }
            """, "N.Norm.BatchNorm.g.cs", "N.Norm1d.BatchNorm.g.cs"),
        ["AbstractAndDerived"] = Valid("[BnGen.BatchNormLayer(4)] public abstract partial class Norm { public abstract void Hook(); }", "Norm.BatchNorm.g.cs"),
        ["OneAndMaxFeatures"] = Valid("[BnGen.BatchNormLayer(1)] public partial class One { } [BnGen.BatchNormLayer(1 << 20, Affine = false)] public partial class Max { }",
            "Max.BatchNorm.g.cs", "One.BatchNorm.g.cs"),
        ["KerasMomentumStillGenerates"] = new(new[] { "[BnGen.BatchNormLayer(4, Momentum = 0.9)] public partial class Norm { }" }, ["BNG0010"], [], ["Norm.BatchNorm.g.cs"]),
        ["RefStructContainer"] = Valid("public ref partial struct S { [BnGen.BatchNormLayer(4)] public partial class Norm { } }", "S.Norm.BatchNorm.g.cs"),
        ["InterfaceContainer"] = Valid("public partial interface I { [BnGen.BatchNormLayer(4)] public partial class Norm { } }", "I.Norm.BatchNorm.g.cs"),
        ["HidesInheritedNestedClass"] = Valid("public class Base { public class Norm { } } public partial class D : Base { [BnGen.BatchNormLayer(4)] new partial class Norm { } }",
            "D.Norm.BatchNorm.g.cs"),
        ["ReadonlyRecordStructContainer"] = Valid("public readonly partial record struct S(int A) { [BnGen.BatchNormLayer(4)] public partial class Norm { } }",
            "S.Norm.BatchNorm.g.cs"),
        ["UserOverloadOfForward"] = Valid("[BnGen.BatchNormLayer(4)] public partial class Norm { public void Forward(float[] x) => Forward(x, x, x.Length / Features); }",
            "Norm.BatchNorm.g.cs"),
    };

    public static TheoryData<string> Names() => new(Cases.Keys.OrderBy(static k => k, System.StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Names))]
    public void NastyCase_NoExceptionAndExactlyTheExpectedOutcome(string name)
    {
        Case expected = Cases[name];
        AnalyzedRun outcome = GeneratorRunner.Analyze(expected.Sources, expected.ReferenceBnGen);
        string context = name + ":\n" + outcome.Describe();
        Assert.True(expected.Bng.SequenceEqual(outcome.BngIds), context);
        Assert.True(expected.Errors.SequenceEqual(outcome.CompilerErrorIds), context);
        Assert.True(expected.Generated.SequenceEqual(outcome.GeneratedHintNames), context + "\ngenerated: " + string.Join(", ", outcome.GeneratedHintNames));
    }
}
