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

    private static GeneratorDriver Driver() => GeneratorRunner.CreateDriver(trackSteps: false);

    [Fact]
    public void FiveHundredLayers_FullAndIncrementalRuns()
    {
        CSharpCompilation compilation = Consumer();
        // Binding and the syntax trees are the compiler's cost, not the generator's: make them ready before timing.
        _ = compilation.GetDiagnostics();
        // Warm up the JIT on a small consumer, so that the figures are not the first call's.
        Driver().RunGenerators(TestCompilation.Create(LayerFile(1), LayerFile(2)));

        var full = new Timings();
        GeneratorDriver driver = Driver();
        for (int r = 0; r < Repeats; r++)
        {
            GeneratorDriver fresh = Driver();
            using (full.Measure())
            {
                fresh = fresh.RunGenerators(compilation);
            }
            full.Generator(fresh);
            Assert.Equal(Layers, fresh.GetRunResult().GeneratedTrees.Length);
            driver = fresh;
        }

        // The same compilation again: the fixed cost of a run in which nothing changed.
        var again = new Timings();
        for (int r = 0; r < Repeats; r++)
        {
            using (again.Measure())
            {
                driver = driver.RunGenerators(compilation);
            }
            again.Generator(driver);
        }

        // One-line edits, each applied to the compilation of the previous run: a method body in a layer's class, then the
        // feature count of one layer. "Cold": the edited compilation is new, and the generator's run is the first thing
        // that builds its declarations (binding the attributes needs them). "Warm": the compiler built them first, as it
        // has in an IDE by the time generators run, so the figure is the generator's own work.
        var bodyCold = new Timings();
        var bodyWarm = new Timings();
        var featuresCold = new Timings();
        var featuresWarm = new Timings();
        CSharpCompilation current = compilation;
        for (int r = 0; r < Repeats; r++)
        {
            foreach (bool warm in new[] { false, true })
            {
                int file = (warm ? 150 : 100) + r;
                current = Edit(current, file, $"=> {file};", $"=> {file} + 1;");
                driver = TimedRun(driver, current, warm, warm ? bodyWarm : bodyCold);

                int layer = (warm ? 350 : 300) + r;
                int features = 1 + (layer * 37 % 1100);
                current = Edit(current, layer, $"BatchNormLayer({features},", $"BatchNormLayer({features + 1},");
                driver = TimedRun(driver, current, warm, warm ? featuresWarm : featuresCold);
                string regenerated = driver.GetRunResult().GeneratedTrees
                    .Single(t => t.FilePath.EndsWith($"Norm{layer}.BatchNorm.g.cs", StringComparison.Ordinal)).ToString();
                Assert.Contains($"public const int Features = {features + 1};", regenerated, StringComparison.Ordinal);
            }
        }

        // What the driver does with the output after the generator ran: parse every generated file into a syntax tree.
        string[] texts = driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()).ToArray();
        var parse = new Timings();
        for (int r = 0; r < Repeats; r++)
        {
            using (parse.Measure())
            {
                foreach (string text in texts)
                {
                    _ = CSharpSyntaxTree.ParseText(text, TestCompilation.ParseOptions).GetRoot();
                }
            }
            parse.Generator(driver);   // keeps ToString simple; not printed for this row
        }

        long bytes = texts.Sum(t => (long)t.Length);
        output.WriteLine($"{Layers} layers, {bytes / 1024} KiB of generated source, {Environment.ProcessorCount} cores, {Repeats} runs each.");
        output.WriteLine("Wall-clock min / median / max, then the median CPU time of the process (all threads) during a run:");
        output.WriteLine($"  full run (fresh driver):                  {full}");
        output.WriteLine($"  same compilation again (nothing changed): {again}");
        output.WriteLine($"  method body edit in a layer, cold:        {bodyCold}");
        output.WriteLine($"  method body edit in a layer, warm:        {bodyWarm}");
        output.WriteLine($"  Features of one layer changed, cold:      {featuresCold}");
        output.WriteLine($"  Features of one layer changed, warm:      {featuresWarm}");
        output.WriteLine($"  baseline: parsing all generated files:    {parse.ToString()[..parse.ToString().IndexOf(" CPU", StringComparison.Ordinal)]} CPU");
    }

    private static GeneratorDriver TimedRun(GeneratorDriver driver, CSharpCompilation compilation, bool warm, Timings timings)
    {
        if (warm)
        {
            _ = compilation.GetDeclarationDiagnostics();
        }
        using (timings.Measure())
        {
            driver = driver.RunGenerators(compilation);
        }
        timings.Generator(driver);
        return driver;
    }

    /// <summary>Wall-clock and process CPU time of repeated measurements.</summary>
    private sealed class Timings
    {
        private readonly List<double> _wall = [];
        private readonly List<double> _cpu = [];

        private readonly List<double> _generator = [];

        public IDisposable Measure() => new Measurement(this);

        /// <summary>Adds the time Roslyn reports for the generator itself (its pipeline and outputs, without parsing them).</summary>
        public void Generator(GeneratorDriver driver) => _generator.Add(driver.GetTimingInfo().GeneratorTimes.Single().ElapsedTime.TotalMilliseconds);

        public override string ToString()
        {
            double[] wall = [.. _wall.Order()];
            double[] cpu = [.. _cpu.Order()];
            double[] generator = [.. _generator.Order()];
            return string.Create(CultureInfo.InvariantCulture,
                $"{wall[0],7:F1} / {wall[wall.Length / 2],7:F1} / {wall[^1],7:F1} ms wall, {cpu[cpu.Length / 2],7:F1} ms CPU, {generator[generator.Length / 2],7:F1} ms in the generator");
        }

        private sealed class Measurement : IDisposable
        {
            private readonly Timings _owner;
            private readonly long _start = Stopwatch.GetTimestamp();
            private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

            public Measurement(Timings owner) => _owner = owner;

            public void Dispose()
            {
                _owner._wall.Add(Stopwatch.GetElapsedTime(_start).TotalMilliseconds);
                _owner._cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMilliseconds);
            }
        }
    }
}

/// <summary>Timing runs alone, after the parallel tests, so that its figures measure the generator rather than the neighbours.</summary>
[CollectionDefinition(nameof(GeneratorTimingTests), DisableParallelization = true)]
public sealed class GeneratorTimingCollection;
