using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using BnGen.Generator;
using BnGen.Generator.Analyzers;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace BnGen.Tests.Robustness;

/// <summary>What one compilation gave: the generated files and every diagnostic, after checking nothing threw.</summary>
internal sealed record RunOutcome(
    ImmutableArray<GeneratedSourceResult> Generated,
    ImmutableArray<Diagnostic> CompilerDiagnostics,
    ImmutableArray<Diagnostic> AnalyzerDiagnostics)
{
    public IEnumerable<string> BngIds => AnalyzerDiagnostics.Where(static d => d.Id.StartsWith("BNG", StringComparison.Ordinal))
        .Select(static d => d.Id).OrderBy(static id => id, StringComparer.Ordinal);

    public IEnumerable<string> CompilerErrorIds => CompilerDiagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error)
        .Select(static d => d.Id).Distinct().OrderBy(static id => id, StringComparer.Ordinal);

    public IEnumerable<string> GeneratedHintNames => Generated.Select(static g => g.HintName).OrderBy(static n => n, StringComparer.Ordinal);

    public string Describe() => string.Join("\n", CompilerDiagnostics.Concat(AnalyzerDiagnostics).Select(static d => d.ToString()));
}

/// <summary>
/// Runs the BnGen generator (CSharpGeneratorDriver) and both analyzers (CompilationWithAnalyzers) on sources, in a
/// strict consumer: nullable enabled, every warning wave on. Asserts what must hold for every input: the generator
/// throws nothing and reports nothing itself, no analyzer throws (no AD0001), and the generated files compile without
/// any warning.
/// </summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference BnGenReference =
        MetadataReference.CreateFromFile(typeof(BatchNormLayerAttribute).Assembly.Location);

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static RunOutcome Run(IEnumerable<string> sources, bool referenceBnGen = true)
    {
        IEnumerable<MetadataReference> references = referenceBnGen
            ? Net100.References.All.Append(BnGenReference)
            : Net100.References.All;
        CSharpCompilation compilation = CSharpCompilation.Create("Consumer",
            sources.Select((text, i) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"User{i}.cs")),
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            new[] { new BatchNormGenerator().AsSourceGenerator() }, parseOptions: ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);
        GeneratorDriverRunResult run = driver.GetRunResult();
        Assert.All(run.Results, static result => Assert.Null(result.Exception));
        Assert.Empty(generatorDiagnostics);   // the generator never reports: the analyzers do, once

        var exceptions = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, _, _) => exceptions.Enqueue(exception),
            concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        CompilationWithAnalyzers withAnalyzers = output.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(new LayerDeclarationAnalyzer(), new ForwardCallAnalyzer()), options);
        ImmutableArray<Diagnostic> analyzerDiagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        ImmutableArray<Diagnostic> compilerDiagnostics = output.GetDiagnostics();

        Assert.Empty(exceptions);
        Assert.DoesNotContain(analyzerDiagnostics, static d => d.Id == "AD0001");
        ImmutableArray<GeneratedSourceResult> generated = run.Results.SelectMany(static r => r.GeneratedSources).ToImmutableArray();
        var generatedTrees = new HashSet<SyntaxTree>(generated.Select(static g => g.SyntaxTree));
        Assert.Empty(compilerDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning
            && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree)));
        return new RunOutcome(generated, compilerDiagnostics, analyzerDiagnostics);
    }
}
