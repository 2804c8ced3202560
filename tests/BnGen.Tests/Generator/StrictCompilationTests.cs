using System.Collections.Generic;
using System.Linq;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// Generated code compiles without a single diagnostic for every configuration under the strictest consumer settings:
/// nullable enabled, every warning wave, warnings as errors, documentation diagnosed, no implicit usings, and user types
/// that shadow every BCL name the emitted code uses (<c>Vector</c>, <c>Span</c>, <c>Math</c>, <c>Unsafe</c>, even a class
/// named <c>System</c>) in the layer's own namespace: the emitter must write <c>global::</c> everywhere.
/// </summary>
public class StrictCompilationTests
{
    /// <summary>Types that break any emitted name that is not fully qualified with <c>global::</c>.</summary>
    internal const string Shadows = """
        public class Vector { }
        public class Vector<T> { }
        public class Span<T> { }
        public class ReadOnlySpan<T> { }
        public class Span { }
        public static class Math { public static int Sqrt(int value) => value; public static int FusedMultiplyAdd(int a, int b, int c) => a; }
        public static class Unsafe { }
        public static class MemoryMarshal { }
        public static class MathF { }
        public class Array { }
        public class ArgumentException { }
        public class InvalidOperationException { }
        public class GeneratedCodeAttribute : global::System.Attribute { }
        public class MethodImplAttribute : global::System.Attribute { }
        public class System { }
        public class BnGen { }
        public class Internal { }
        public class ThrowHelper { }
        public class Simd { }
        public class Numerics { }
        public class Runtime { }
        public static class Features { }
        """;

    public static IEnumerable<object[]> AllConfigurations()
    {
        foreach (int features in new[] { 1, 7, 16, 33, 513 })
        {
            foreach (LayerConfig config in LayerConfig.Matrix(features))
            {
                yield return [features, config.Nchw, config.Double, config.Affine, config.Track, false];
            }
            yield return [features, false, false, true, true, true];
            yield return [features, true, true, false, true, true];
        }
    }

    [Theory]
    [MemberData(nameof(AllConfigurations))]
    public void EveryConfiguration_CompilesCleanly_WithShadowingUserTypes(int features, bool nchw, bool isDouble, bool affine, bool track, bool cumulative)
    {
        var config = new LayerConfig(features, nchw, isDouble, affine, track, cumulative);
        string source = $$"""
            namespace Shadowed.App
            {
                {{Shadows.Replace("\n", "\n    ")}}

                {{config.Attribute()}}
                public partial class Norm { }
            }
            """;
        GeneratorRun run = GeneratorRunner.Run(TestCompilation.Create(source)).AssertCompilesCleanly();
        Assert.Single(run.Result.GeneratedSources);
    }

    [Fact]
    public void ShadowingTypes_ReallyShadow_UnqualifiedNames()
    {
        // Guards the test above: with the shadows in scope, code that writes System.Math or Span<float> without global::
        // does not compile, so a generated file that did so would fail there.
        string source = $$"""
            namespace Shadowed.App
            {
                {{Shadows}}

                public static class Probe
                {
                    public static double Root(double x) => System.Math.Sqrt(x);
                    public static int Length(Span<float> span) => span.Length;
                }
            }
            """;
        Compilation compilation = TestCompilation.Create(source);
        string[] errors = TestCompilation.Complaints(compilation).Select(d => d.Id).Distinct().Order().ToArray();
        Assert.Contains("CS0117", errors);   // 'System' does not contain a definition for 'Math'
        Assert.Contains("CS1061", errors);   // 'Span<float>' does not contain a definition for 'Length'
    }

    [Fact]
    public void StrictOptions_ReportWarningsAsErrors()
    {
        // Guards every test that relies on StrictOptions: a warning-wave warning (CS8981, lower-case type name) and a
        // nullable warning (CS8618) are both reported, as errors.
        Compilation compilation = TestCompilation.Create("""
            public class lowercase { }
            public class Holder { public string Name { get; set; } }
            """);
        Diagnostic[] complaints = TestCompilation.Complaints(compilation).ToArray();
        Assert.Contains(complaints, d => d.Id == "CS8981" && d.Severity == DiagnosticSeverity.Error);
        Assert.Contains(complaints, d => d.Id == "CS8618" && d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void NullableDisabledConsumer_CompilesCleanly()
    {
        // The generated file declares #nullable enable itself, so a consumer with nullable off sees no warning either.
        CSharpCompilation compilation = TestCompilation.Create("""
            namespace Legacy
            {
                [global::BnGen.BatchNormLayer(12, global::BnGen.BatchNormLayout.NCHW, ElementType = typeof(double))]
                public partial class Norm { }
            }
            """);
        compilation = compilation.WithOptions(compilation.Options.WithNullableContextOptions(NullableContextOptions.Disable));
        GeneratorRunner.Run(compilation).AssertCompilesCleanly();
    }

    [Fact]
    public void OlderLanguageVersion_CSharp12_CompilesCleanly()
    {
        // net8.0 consumers default to C# 12: the emitted code must not need a newer language version.
        CSharpParseOptions parse = TestCompilation.ParseOptions.WithLanguageVersion(LanguageVersion.CSharp12);
        CSharpCompilation compilation = TestCompilation.Create(
        [
            ("Older.cs", """
                namespace Older
                {
                    [global::BnGen.BatchNormLayer(20, ElementType = typeof(double), CumulativeAverage = true)]
                    public partial class Norm { }

                    [global::BnGen.BatchNormLayer(3, global::BnGen.BatchNormLayout.NCHW, Affine = false)]
                    public partial class Planes { }
                }
                """),
        ], parse);
        GeneratorRun run = GeneratorRunner.Run(compilation).AssertCompilesCleanly();
        Assert.All(run.Result.GeneratedSources, s => Assert.Equal(LanguageVersion.CSharp12, ((CSharpParseOptions)s.SyntaxTree.Options).LanguageVersion));
        Assert.Equal(2, run.Result.GeneratedSources.Length);
    }
}
