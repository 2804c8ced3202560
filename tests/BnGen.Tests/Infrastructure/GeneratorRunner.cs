using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using BnGen.Generator;
using BnGen.Generator.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace BnGen.Tests.Infrastructure;

/// <summary>The outcome of one generator run over a compilation.</summary>
/// <param name="Driver">The driver after the run: run it again on an edited compilation to test caching.</param>
/// <param name="Output">The input compilation plus every generated file.</param>
/// <param name="Result">The generator's own result: generated sources, exception, tracked steps.</param>
/// <param name="Diagnostics">Diagnostics the driver reported (a generator exception shows up here as CS8785).</param>
internal sealed record GeneratorRun(GeneratorDriver Driver, Compilation Output, GeneratorRunResult Result, ImmutableArray<Diagnostic> Diagnostics)
{
    /// <summary>Generated text by hint name, in the generator's order.</summary>
    public IReadOnlyDictionary<string, string> Sources
        => Result.GeneratedSources.ToDictionary(s => s.HintName, s => s.SourceText.ToString(), StringComparer.Ordinal);

    /// <summary>The one generated file whose hint name is <paramref name="hintName"/>.</summary>
    public string Source(string hintName)
    {
        GeneratedSourceResult[] matches = Result.GeneratedSources.Where(s => s.HintName == hintName).ToArray();
        Assert.True(matches.Length == 1,
            $"expected one generated file named {hintName}; got: {string.Join(", ", Result.GeneratedSources.Select(s => s.HintName))}");
        return matches[0].SourceText.ToString();
    }

    /// <summary>The generator did not throw and the driver reported nothing (the generator never reports: the analyzers do, once).</summary>
    public GeneratorRun AssertNoGeneratorFailure()
    {
        Assert.Null(Result.Exception);
        Assert.Empty(Diagnostics);
        return this;
    }

    /// <summary>
    /// The output compilation has no error, warning or info (with <see cref="TestCompilation.StrictOptions"/> every warning
    /// is an error) and emits to IL, which also runs the emit-time checks.
    /// </summary>
    public GeneratorRun AssertCompilesCleanly()
    {
        AssertNoGeneratorFailure();
        ImmutableArray<Diagnostic> complaints = TestCompilation.Complaints(Output);
        Assert.True(complaints.IsEmpty, "the output compilation has diagnostics:\n" + Describe(complaints, Output));
        using var pe = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emit = Output.Emit(pe);
        ImmutableArray<Diagnostic> emitted = emit.Diagnostics.Where(static d => d.Severity != DiagnosticSeverity.Hidden).ToImmutableArray();
        Assert.True(emit.Success && emitted.IsEmpty, "emit failed:\n" + Describe(emitted, Output));
        return this;
    }

    /// <summary>
    /// Runs both BnGen analyzers over the output compilation. Compiler and analyzer diagnostics come from one pass
    /// (<see cref="CompilationWithAnalyzers.GetAllDiagnosticsAsync()"/>), so the generated code is bound once. Asserts what
    /// must hold for every input: the generator threw nothing and reported nothing, no analyzer threw (no AD0001), and the
    /// generated files have no warning or error of their own.
    /// </summary>
    public AnalyzedRun Analyze()
    {
        AssertNoGeneratorFailure();
        var exceptions = new ConcurrentQueue<Exception>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: (exception, _, _) => exceptions.Enqueue(exception),
            concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        CompilationWithAnalyzers withAnalyzers = Output.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(new LayerDeclarationAnalyzer(), new ForwardCallAnalyzer()), options);
        ImmutableArray<Diagnostic> all = withAnalyzers.GetAllDiagnosticsAsync().GetAwaiter().GetResult();

        Assert.Empty(exceptions);
        Assert.DoesNotContain(all, static d => d.Id == "AD0001");
        var generatedTrees = new HashSet<SyntaxTree>(Result.GeneratedSources.Select(static g => g.SyntaxTree));
        Diagnostic[] inGenerated = all.Where(d => d.Severity >= DiagnosticSeverity.Warning
            && d.Location.SourceTree is { } tree && generatedTrees.Contains(tree)).ToArray();
        Assert.True(inGenerated.Length == 0, "the generated code has diagnostics:\n" + Describe(inGenerated, Output));
        bool IsBnGen(Diagnostic d) => d.Id.StartsWith("BNG", StringComparison.Ordinal);
        return new AnalyzedRun(Result.GeneratedSources, all.Where(d => !IsBnGen(d)).ToImmutableArray(), all.Where(IsBnGen).ToImmutableArray());
    }

    /// <summary>Diagnostics with the offending line, so that a failure in generated code can be read in the test log.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics, Compilation compilation)
    {
        var text = new StringBuilder();
        foreach (Diagnostic d in diagnostics.Take(30))
        {
            text.Append(d.ToString()).Append('\n');
            if (d.Location.IsInSource)
            {
                int line = d.Location.GetLineSpan().StartLinePosition.Line;
                Microsoft.CodeAnalysis.Text.SourceText source = d.Location.SourceTree!.GetText();
                text.Append("    > ").Append(source.Lines[line].ToString().Trim()).Append('\n');
            }
        }
        return text.ToString();
    }
}

/// <summary>What one compilation gave with the analyzers: the generated files, the compiler's and BnGen's diagnostics.</summary>
internal sealed record AnalyzedRun(
    ImmutableArray<GeneratedSourceResult> Generated,
    ImmutableArray<Diagnostic> CompilerDiagnostics,
    ImmutableArray<Diagnostic> BnGenDiagnostics)
{
    /// <summary>The BNG IDs reported, sorted, with repeats.</summary>
    public IEnumerable<string> BngIds => BnGenDiagnostics.Select(static d => d.Id).OrderBy(static id => id, StringComparer.Ordinal);

    /// <summary>The compiler's error IDs, distinct and sorted.</summary>
    public IEnumerable<string> CompilerErrorIds => CompilerDiagnostics.Where(static d => d.Severity == DiagnosticSeverity.Error)
        .Select(static d => d.Id).Distinct().OrderBy(static id => id, StringComparer.Ordinal);

    public IEnumerable<string> GeneratedHintNames => Generated.Select(static g => g.HintName).OrderBy(static n => n, StringComparer.Ordinal);

    public string Describe() => string.Join("\n", CompilerDiagnostics.Concat(BnGenDiagnostics).Select(static d => d.ToString()));
}

/// <summary>
/// The one way the tests run <see cref="BatchNormGenerator"/>: through <see cref="CSharpGeneratorDriver"/>, with the
/// parse options of the compilation it runs on and (unless told otherwise) every pipeline step tracked.
/// </summary>
internal static class GeneratorRunner
{
    /// <summary>
    /// A fresh driver. Generated files are parsed with <paramref name="parseOptions"/> (default:
    /// <see cref="TestCompilation.ParseOptions"/>); with <paramref name="trackSteps"/> every named pipeline step
    /// (<see cref="TrackingNames"/>) is recorded.
    /// </summary>
    public static GeneratorDriver CreateDriver(CSharpParseOptions? parseOptions = null, bool trackSteps = true)
        => CSharpGeneratorDriver.Create(
            [new BatchNormGenerator().AsSourceGenerator()],
            parseOptions: parseOptions ?? TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs a fresh driver over <paramref name="compilation"/>, parsing generated files as its first file was parsed.</summary>
    public static GeneratorRun Run(Compilation compilation)
        => Run(CreateDriver(compilation.SyntaxTrees.FirstOrDefault()?.Options as CSharpParseOptions), compilation);

    /// <summary>Runs <paramref name="driver"/> (fresh, or from an earlier run to test caching) over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        return new GeneratorRun(driver, output, result, diagnostics);
    }

    /// <summary>Generates from <paramref name="sources"/> and returns the single generated file (after checking it compiles cleanly).</summary>
    public static string GenerateSingle(params string[] sources)
    {
        GeneratorRun run = Run(TestCompilation.Create(sources)).AssertCompilesCleanly();
        Assert.Single(run.Result.GeneratedSources);
        return run.Result.GeneratedSources[0].SourceText.ToString();
    }

    /// <summary>
    /// Generator and both analyzers over a consumer compilation of <paramref name="sources"/> (warnings stay warnings, so
    /// the compiler's own complaints about user code can be told apart): see <see cref="GeneratorRun.Analyze"/>.
    /// </summary>
    public static AnalyzedRun Analyze(IEnumerable<string> sources, bool referenceBnGen = true)
        => Run(CreateDriver(TestCompilation.ConsumerParseOptions, trackSteps: false), TestCompilation.Consumer(sources, referenceBnGen)).Analyze();
}
