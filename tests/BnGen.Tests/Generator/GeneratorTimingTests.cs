using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BnGen.Generator;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Generator;

/// <summary>
/// Generator cost on a large consumer: 500 annotated classes, one per file. Prints the time of a full run and of
/// incremental runs after one-line edits; asserts what happened (500 files, what was cached), never how long it took.
/// Figures and the command are in docs/generator-timing.md.
/// </summary>
[Collection(nameof(GeneratorTimingTests))]
public class GeneratorTimingTests(ITestOutputHelper output)
{
    private const int Layers = 500;
    private const int Repeats = 5;

    private static string LayerFile(int i)
    {
        // A mix of every configuration and of feature counts from 1 to 1100 (some NC layers use the block loop).
        string layout = i % 2 == 0 ? "global::BnGen.BatchNormLayout.NC" : "global::BnGen.BatchNormLayout.NCHW";
        string element = i % 3 == 0 ? "typeof(double)" : "typeof(float)";
        string affine = i % 5 == 0 ? "false" : "true";
        string track = i % 7 == 0 ? "false" : "true";
        int features = 1 + (i * 37 % 1100);
        string index = i.ToString(CultureInfo.InvariantCulture);
        return $$"""
            namespace Timing.Group{{(i / 50).ToString(CultureInfo.InvariantCulture)}}
            {
                [global::BnGen.BatchNormLayer({{features.ToString(CultureInfo.InvariantCulture)}}, {{layout}}, ElementType = {{element}}, Affine = {{affine}}, TrackRunningStats = {{track}})]
                public partial class Norm{{index}}
                {
                    public int Work() => {{index}};
                }
            }
            """;
    }

    private static CSharpCompilation Consumer()
        => TestCompilation.Create(Enumerable.Range(0, Layers).Select(i => ($"Norm{i}.cs", LayerFile(i))));

    private static CSharpCompilation Edit(CSharpCompilation compilation, int file, string from, string to)
    {
        SyntaxTree tree = compilation.SyntaxTrees.Single(t => t.FilePath == $"Norm{file}.cs");
        string text = tree.GetText().ToString();
        Assert.Contains(from, text, StringComparison.Ordinal);
        return compilation.ReplaceSyntaxTree(tree, tree.WithChangedText(SourceText.From(text.Replace(from, to, StringComparison.Ordinal))));
    }

    private static GeneratorDriver Driver() => CSharpGeneratorDriver.Create(
        [new BatchNormGenerator().AsSourceGenerator()],
        parseOptions: TestCompilation.ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: false));

    [Fact]
    public void FiveHundredLayers_FullAndIncrementalRuns()
    {
        CSharpCompilation compilation = Consumer();
        // Binding and the syntax trees are the compiler's cost, not the generator's: make them ready before timing.
        _ = compilation.GetDiagnostics();
        // Warm up the JIT on a small consumer, so that the figures are not the first call's.
        Driver().RunGenerators(TestCompilation.Create(LayerFile(1), LayerFile(2)));

        var full = new List<double>();
        GeneratorDriver driver = Driver();
        for (int r = 0; r < Repeats; r++)
        {
            GeneratorDriver fresh = Driver();
            long start = Stopwatch.GetTimestamp();
            fresh = fresh.RunGenerators(compilation);
            full.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Assert.Equal(Layers, fresh.GetRunResult().GeneratedTrees.Length);
            driver = fresh;
        }

        // One-line edits, each applied to the compilation of the previous run: a method body in a layer's class, then the
        // feature count of one layer.
        var bodyEdits = new List<double>();
        var featureEdits = new List<double>();
        CSharpCompilation current = compilation;
        for (int r = 0; r < Repeats; r++)
        {
            int file = 100 + r;
            current = Edit(current, file, $"=> {file};", $"=> {file} + 1;");
            long start = Stopwatch.GetTimestamp();
            driver = driver.RunGenerators(current);
            bodyEdits.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

            int layer = 300 + r;
            int features = 1 + (layer * 37 % 1100);
            current = Edit(current, layer, $"BatchNormLayer({features},", $"BatchNormLayer({features + 1},");
            start = Stopwatch.GetTimestamp();
            driver = driver.RunGenerators(current);
            featureEdits.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            string regenerated = driver.GetRunResult().GeneratedTrees
                .Single(t => t.FilePath.EndsWith($"Norm{layer}.BatchNorm.g.cs", StringComparison.Ordinal)).ToString();
            Assert.Contains($"public const int Features = {features + 1};", regenerated, StringComparison.Ordinal);
        }

        long bytes = driver.GetRunResult().GeneratedTrees.Sum(t => (long)t.Length);
        output.WriteLine($"{Layers} layers, {bytes / 1024} KiB of generated source, {Environment.ProcessorCount} cores, {Repeats} runs each (min / median / max):");
        output.WriteLine($"  full run (fresh driver):                  {Describe(full)}");
        output.WriteLine($"  incremental, method body edit in a layer: {Describe(bodyEdits)}");
        output.WriteLine($"  incremental, Features of one layer:       {Describe(featureEdits)}");
    }

    private static string Describe(List<double> ms)
    {
        double[] sorted = [.. ms.Order()];
        return string.Create(CultureInfo.InvariantCulture, $"{sorted[0],8:F1} / {sorted[sorted.Length / 2],8:F1} / {sorted[^1],8:F1} ms");
    }
}

/// <summary>Timing runs alone, after the parallel tests, so that its figures measure the generator rather than the neighbours.</summary>
[CollectionDefinition(nameof(GeneratorTimingTests), DisableParallelization = true)]
public sealed class GeneratorTimingCollection;
