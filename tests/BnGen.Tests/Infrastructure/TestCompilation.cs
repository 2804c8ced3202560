using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BnGen.Tests.Infrastructure;

/// <summary>
/// Builds in-memory compilations for generator tests: the .NET 10 reference assemblies (no NuGet, no SDK lookup), the BnGen
/// runtime assembly, nullable enabled, every warning wave on, no implicit usings. <see cref="Create(string[])"/> makes
/// every warning an error (<see cref="StrictOptions"/>); <see cref="Consumer"/> keeps warnings as warnings, for tests
/// that must tell the compiler's own complaints about user code apart.
/// </summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    /// <summary>Parse options of a consumer that does not generate documentation (no CS1591 for its own code).</summary>
    public static readonly CSharpParseOptions ConsumerParseOptions = new(LanguageVersion.Latest);

    /// <summary>The strictest options a consumer can pick: <c>Nullable=enable</c>, <c>TreatWarningsAsErrors</c>, warning level 9999.</summary>
    public static readonly CSharpCompilationOptions StrictOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithNullableContextOptions(NullableContextOptions.Enable)
        .WithGeneralDiagnosticOption(ReportDiagnostic.Error)
        .WithWarningLevel(9999)
        .WithOptimizationLevel(OptimizationLevel.Release)
        .WithDeterministic(true)
        .WithAllowUnsafe(false);

    /// <summary><c>Nullable=enable</c> and every warning wave, with warnings left as warnings.</summary>
    public static readonly CSharpCompilationOptions ConsumerOptions = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        .WithNullableContextOptions(NullableContextOptions.Enable)
        .WithWarningLevel(9999)
        .WithDeterministic(true);

    /// <summary>The BnGen runtime library (the attribute, the enums, ThrowHelper, Simd, BatchNormKernels).</summary>
    public static readonly MetadataReference BnGenRuntime = MetadataReference.CreateFromFile(typeof(BatchNormLayerAttribute).Assembly.Location);

    /// <summary>.NET 10 reference assemblies plus the BnGen runtime library.</summary>
    public static readonly ImmutableArray<MetadataReference> References = Net100.References.All
        .Cast<MetadataReference>()
        .Append(BnGenRuntime)
        .ToImmutableArray();

    /// <summary>A compilation of <paramref name="sources"/>, each its own file (<c>Source0.cs</c>, <c>Source1.cs</c>, …).</summary>
    public static CSharpCompilation Create(params string[] sources)
        => Create(sources.Select((text, i) => ($"Source{i}.cs", text)));

    /// <summary>A compilation of named files.</summary>
    public static CSharpCompilation Create(IEnumerable<(string Path, string Text)> files, CSharpParseOptions? parseOptions = null)
        => CSharpCompilation.Create(
            "BnGen.Consumer",
            files.Select(f => Parse(f.Text, f.Path, parseOptions)),
            References,
            StrictOptions);

    /// <summary>
    /// A consumer compilation of <paramref name="sources"/> as written (files <c>User0.cs</c>, <c>User1.cs</c>, …, no
    /// documentation diagnosed) with <see cref="ConsumerOptions"/>; without the BnGen runtime when
    /// <paramref name="referenceBnGen"/> is false.
    /// </summary>
    public static CSharpCompilation Consumer(IEnumerable<string> sources, bool referenceBnGen = true)
        => CSharpCompilation.Create(
            "Consumer",
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ConsumerParseOptions, path: $"User{i}.cs")),
            referenceBnGen ? References : Net100.References.All.Cast<MetadataReference>(),
            ConsumerOptions);

    /// <summary>
    /// Parses a user file. Documentation comments are diagnosed (as in a project with <c>GenerateDocumentationFile</c>), so
    /// every generated public member must be documented; the test's own sources opt out of CS1591 on their first line.
    /// </summary>
    public static SyntaxTree Parse(string text, string path, CSharpParseOptions? parseOptions = null)
        => CSharpSyntaxTree.ParseText(UndocumentedUserCode + text, parseOptions ?? ParseOptions, path);

    public const string UndocumentedUserCode = "#pragma warning disable CS1591 // test sources need no docs; generated code does\n";

    /// <summary>Errors, warnings and infos of a compilation (hidden diagnostics are IDE hints, not compiler complaints).</summary>
    public static ImmutableArray<Diagnostic> Complaints(Compilation compilation)
        => compilation.GetDiagnostics().Where(static d => d.Severity != DiagnosticSeverity.Hidden).ToImmutableArray();
}
