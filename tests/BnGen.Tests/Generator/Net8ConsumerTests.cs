using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using Basic.Reference.Assemblies;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// The runtime library targets net8.0 too, so generated code must compile for a net8.0 consumer: .NET 8 reference
/// assemblies (no API newer than .NET 8), C# 12 (the net8.0 default), the strict options, and the BnGen runtime as built
/// for net8.0 (compiled here from <c>src/BnGen</c> with the net8.0 preprocessor symbols).
/// </summary>
public class Net8ConsumerTests
{
    private static readonly Lazy<MetadataReference> Runtime = new(() => CompileRuntimeForNet8());

    private static readonly CSharpParseOptions Net8Parse = new(LanguageVersion.CSharp12, DocumentationMode.Diagnose);

    private static MetadataReference CompileRuntimeForNet8([CallerFilePath] string here = "")
    {
        string root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", ".."));
        string src = Path.Combine(root, "src", "BnGen");
        string separator = Path.DirectorySeparatorChar.ToString();
        string[] files = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains(separator + "obj" + separator, StringComparison.Ordinal)
                        && !f.Contains(separator + "bin" + separator, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();
        Assert.NotEmpty(files);
        var parse = new CSharpParseOptions(LanguageVersion.Latest, DocumentationMode.Parse,
            preprocessorSymbols: ["NET", "NET8_0", "NETCOREAPP", "RELEASE",
                "NET5_0_OR_GREATER", "NET6_0_OR_GREATER", "NET7_0_OR_GREATER", "NET8_0_OR_GREATER",
                "NETCOREAPP3_1_OR_GREATER", "NETCOREAPP3_0_OR_GREATER", "NETCOREAPP2_0_OR_GREATER"]);
        CSharpCompilation runtime = CSharpCompilation.Create(
            "BnGen",
            files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)),
            Net80.References.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithAllowUnsafe(true)
                .WithOptimizationLevel(OptimizationLevel.Release));
        Diagnostic[] errors = runtime.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "src/BnGen does not compile for net8.0:\n" + string.Join("\n", errors.Take(20)));
        return runtime.ToMetadataReference();
    }

    public static IEnumerable<object[]> Configurations()
    {
        foreach (LayerConfig config in LayerConfig.Matrix(features: 17))
        {
            yield return [config.Features, config.Nchw, config.Double, config.Affine, config.Track, false];
        }
        yield return [600, false, false, true, true, false];
        yield return [600, false, true, false, true, true];
        yield return [8, true, false, true, true, true];
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void GeneratedCode_CompilesCleanly_ForNet8(int features, bool nchw, bool isDouble, bool affine, bool track, bool cumulative)
    {
        var config = new LayerConfig(features, nchw, isDouble, affine, track, cumulative);
        string source = TestCompilation.UndocumentedUserCode + $$"""
            namespace Net8.App
            {
                {{config.Attribute()}}
                public partial class Norm { }
            }
            """;
        CSharpCompilation compilation = CSharpCompilation.Create(
            "BnGen.Net8Consumer",
            [CSharpSyntaxTree.ParseText(source, Net8Parse, "Norm.cs")],
            [.. Net80.References.All, Runtime.Value],
            TestCompilation.StrictOptions);
        GeneratorRun run = GeneratorRunner.Run(compilation).AssertCompilesCleanly();   // generated files parsed as C# 12 too
        Assert.Single(run.Result.GeneratedSources);
    }

    [Fact]
    public void Net8References_RejectNewerApis()
    {
        // Guards the theory above: an API added after .NET 8 (System.Threading.Lock, .NET 9) does not resolve.
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Probe",
            [CSharpSyntaxTree.ParseText("public static class Probe { public static object Make() => new global::System.Threading.Lock(); }", Net8Parse)],
            [.. Net80.References.All, Runtime.Value],
            TestCompilation.StrictOptions);
        Assert.Contains(compilation.GetDiagnostics(), d => d.Id == "CS0234");
    }
}
