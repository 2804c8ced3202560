using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using BnGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
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

    /// <summary>The generator did not throw and the driver reported nothing.</summary>
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

/// <summary>Runs <see cref="BatchNormGenerator"/> through <see cref="CSharpGeneratorDriver"/>, with step tracking on.</summary>
internal static class GeneratorRunner
{
    /// <summary>A fresh driver that records every named pipeline step (<see cref="TrackingNames"/>).</summary>
    public static GeneratorDriver CreateDriver(bool trackSteps = true)
        => CSharpGeneratorDriver.Create(
            [new BatchNormGenerator().AsSourceGenerator()],
            parseOptions: TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs a fresh driver over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(Compilation compilation) => Run(CreateDriver(), compilation);

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
}
