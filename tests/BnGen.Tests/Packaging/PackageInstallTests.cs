using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Packaging;

/// <summary>
/// The install path, end to end: the packed BnGen package, added by version to brand-new console projects, generates
/// a working layer whose printed numbers match PyTorch's golden values and an independent double-precision
/// reference, and rejects a non-partial layer class with BNG0001. Slow (it packs, restores and builds): run alone with
/// <c>dotnet test tests/BnGen.Tests -c Release --filter Category=Packaging</c>.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class PackageInstallTests : IClassFixture<PackageFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private const string GoldenCase = "nc_10x6_f32_three_steps_eps1e-3_momentum0.2";
    private readonly PackageFixture _fixture;
    private readonly ITestOutputHelper _output;

    public PackageInstallTests(PackageFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
        _output.WriteLine($"set-up (pack + 2x add package + shared restore): {fixture.SetUpTime.TotalSeconds:F1} s " +
            $"(pack {fixture.Pack.Elapsed.TotalSeconds:F1} s, restore {fixture.Restore.Elapsed.TotalSeconds:F1} s), version {fixture.Version}");
    }

    [Fact]
    public void Package_HoldsLibrariesAnalyzersReadmeAndNothingElse()
    {
        using ZipArchive zip = ZipFile.OpenRead(_fixture.Package);
        string[] files = zip.Entries.Select(e => e.FullName)
            .Where(name => !name.StartsWith("_rels/", StringComparison.Ordinal)
                && !name.StartsWith("package/", StringComparison.Ordinal)
                && name != "[Content_Types].xml" && name != "BnGen.nuspec")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
        [
            "README.md",
            "analyzers/dotnet/cs/BnGen.CodeFixes.dll",
            "analyzers/dotnet/cs/BnGen.Generator.dll",
            "lib/net10.0/BnGen.dll",
            "lib/net10.0/BnGen.xml",
            "lib/net8.0/BnGen.dll",
            "lib/net8.0/BnGen.xml",
        ], files);

        using Stream nuspecStream = zip.GetEntry("BnGen.nuspec")!.Open();
        XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal("BnGen", Value("id"));
        Assert.Equal(_fixture.Version, Value("version"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        Assert.Equal("https://github.com/bngen/bngen", Value("projectUrl"));
        Assert.Equal("https://github.com/bngen/bngen",
            metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")?.Value);
        // Two framework groups and no dependency at all: Roslyn is the compiler's, never the consumer's.
        XElement dependencies = metadata.Elements().Single(e => e.Name.LocalName == "dependencies");
        Assert.Equal(["net10.0", "net8.0"], dependencies.Elements()
            .Select(g => g.Attribute("targetFramework")!.Value).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(dependencies.Descendants(), e => e.Name.LocalName == "dependency");

        using ZipArchive symbols = ZipFile.OpenRead(_fixture.SymbolPackage);
        Assert.Contains("lib/net8.0/BnGen.pdb", symbols.Entries.Select(e => e.FullName));
        Assert.Contains("lib/net10.0/BnGen.pdb", symbols.Entries.Select(e => e.FullName));
    }

    [Fact]
    public void InstalledPackage_BuildsRunsAndMatchesGoldenAndReference()
    {
        string folder = Path.GetDirectoryName(_fixture.ConsumerProject)!;
        using JsonDocument golden = JsonDocument.Parse(File.ReadAllText(GoldenPath()));
        JsonElement[] steps = golden.RootElement.GetProperty("steps").EnumerateArray().ToArray();
        (float[] x, float[] target) = TrainingData();
        File.WriteAllText(Path.Combine(folder, "Layers.cs"), LayersSource);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), ProgramSource(steps, x, target));

        // The consumer restored against exactly our package, from the temporary feed, with nothing else.
        string assets = File.ReadAllText(Path.Combine(folder, "obj", "project.assets.json"));
        using (JsonDocument assetsJson = JsonDocument.Parse(assets))
        {
            Assert.Equal([$"BnGen/{_fixture.Version}"],
                assetsJson.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name));
        }

        CliResult build = _fixture.Run(Timeout, "build", _fixture.ConsumerProject, "-c", "Release", "--no-restore",
            "--disable-build-servers");
        _output.WriteLine($"consumer build: {build.Elapsed.TotalSeconds:F1} s");
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("0 Warning(s)", build.Output, StringComparison.Ordinal);

        CliResult run = _fixture.Run(Timeout, "run", "--project", _fixture.ConsumerProject, "-c", "Release", "--no-build");
        _output.WriteLine($"consumer run: {run.Elapsed.TotalSeconds:F1} s");
        _output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Dictionary<string, double[]> printed = PackageFixture.ParseValues(run.Output);

        // PyTorch's values for four steps (three training, one evaluation) of one layer.
        for (int s = 0; s < steps.Length; s++)
        {
            foreach (string field in new[] { "output", "grad_input", "grad_weight", "grad_bias", "running_mean_after", "running_var_after" })
                AssertClose(Doubles(steps[s].GetProperty(field)), printed[$"golden{s}.{field}"], 1e-5, $"step {s} {field}");
            Assert.Equal(steps[s].GetProperty("num_batches_tracked_after").GetInt64(), (long)printed[$"golden{s}.num_batches_tracked"].Single());
        }

        // Five SGD steps on gamma/beta against a plain double-precision reference computed here.
        Reference reference = Reference.Train(x, target, Steps, LearningRate);
        for (int step = 0; step < Steps; step++)
            AssertClose([reference.Losses[step]], printed[$"train{step}.loss"], 1e-5, $"loss at step {step}");
        AssertClose(reference.Weight, printed["train.weight"], 1e-5, "trained weight");
        AssertClose(reference.Bias, printed["train.bias"], 1e-5, "trained bias");
        AssertClose(reference.RunningMean, printed["train.running_mean"], 1e-5, "running mean");
        AssertClose(reference.RunningVar, printed["train.running_var"], 1e-5, "running var");
        Assert.Equal(Steps, (int)printed["train.num_batches_tracked"].Single());
        Assert.True(reference.Losses[^1] < 0.5 * reference.Losses[0], "training reduces the loss");
    }

    [Fact]
    public void InstalledPackage_NonPartialLayer_FailsWithBNG0001()
    {
        string folder = Path.GetDirectoryName(_fixture.NotPartialProject)!;
        File.WriteAllText(Path.Combine(folder, "Layers.cs"), """
            namespace E2E;

            [BnGen.BatchNormLayer(8)]
            public class PlainNorm { }
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """Console.WriteLine("unreachable");""" + "\n");

        // The analyzer inside the package itself (not the generator this test project references) reports BNG0001.
        AssertPackedAnalyzerReportsNotPartial();

        CliResult build = _fixture.Run(Timeout, "build", _fixture.NotPartialProject, "-c", "Release", "--no-restore",
            "--disable-build-servers");
        _output.WriteLine($"non-partial build: {build.Elapsed.TotalSeconds:F1} s");
        _output.WriteLine(build.Output);
        Assert.NotEqual(0, build.ExitCode);
        // Reported once per build pass, at the class name (line 4, column 14), naming the class.
        Assert.Contains("Layers.cs(4,14): error BNG0001: 'PlainNorm'", build.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("error CS", build.Output, StringComparison.Ordinal);
    }

    private const int Steps = 5;
    private const float LearningRate = 0.5f;

    private const string LayersSource = """
        using BnGen;

        namespace E2E;

        [BatchNormLayer(6, Epsilon = 1e-3, Momentum = 0.2)]
        public partial class GoldenNorm { }

        [BatchNormLayer(4)]
        public sealed partial class TrainedNorm { }
        """;

    private static string ProgramSource(JsonElement[] steps, float[] x, float[] target)
    {
        var source = new StringBuilder();
        source.AppendLine("using System.Globalization;");
        source.AppendLine("using E2E;");
        source.AppendLine();
        source.AppendLine("CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;");
        source.AppendLine($"bool[] training = [{string.Join(", ", steps.Select(s => s.GetProperty("training").GetBoolean() ? "true" : "false"))}];");
        foreach (string field in new[] { "input", "weight", "bias", "grad_output" })
        {
            source.AppendLine($"float[][] {field.Replace("_", "", StringComparison.Ordinal)} = [");
            foreach (JsonElement step in steps)
                source.AppendLine($"    {FloatArray(Doubles(step.GetProperty(field)).Select(v => (float)v))},");
            source.AppendLine("];");
        }
        source.AppendLine("""
            var golden = new GoldenNorm();
            for (int s = 0; s < input.Length; s++)
            {
                golden.Training = training[s];
                weight[s].CopyTo(golden.Weight, 0);
                bias[s].CopyTo(golden.Bias, 0);
                int batch = input[s].Length / GoldenNorm.Features;
                float[] y = new float[input[s].Length], dx = new float[input[s].Length];
                golden.Forward(input[s], y, batch);
                golden.Backward(input[s], gradoutput[s], dx, batch);
                Print($"golden{s}.output", y);
                Print($"golden{s}.grad_input", dx);
                Print($"golden{s}.grad_weight", golden.WeightGrad);
                Print($"golden{s}.grad_bias", golden.BiasGrad);
                Print($"golden{s}.running_mean_after", golden.RunningMean);
                Print($"golden{s}.running_var_after", golden.RunningVar);
                Console.WriteLine($"golden{s}.num_batches_tracked: {golden.NumBatchesTracked}");
            }
            """);
        source.AppendLine($"float[] x = {FloatArray(x)};");
        source.AppendLine($"float[] target = {FloatArray(target)};");
        source.AppendLine($"const int Steps = {Steps};");
        source.AppendLine($"const float LearningRate = {LearningRate.ToString("R", CultureInfo.InvariantCulture)}f;");
        source.AppendLine("""
            // Fit the normalized output to the target: loss = ½·mean((y − t)²), SGD on gamma and beta.
            var norm = new TrainedNorm();
            int rows = x.Length / TrainedNorm.Features;
            float[] output = new float[x.Length], gradOutput = new float[x.Length], gradInput = new float[x.Length];
            for (int step = 0; step < Steps; step++)
            {
                norm.Forward(x, output, rows);
                double loss = 0;
                for (int i = 0; i < x.Length; i++)
                {
                    float d = output[i] - target[i];
                    loss += 0.5 * d * d / x.Length;
                    gradOutput[i] = d / x.Length;
                }
                norm.Backward(x, gradOutput, gradInput, rows);
                for (int c = 0; c < TrainedNorm.Features; c++)
                {
                    norm.Weight[c] -= LearningRate * norm.WeightGrad[c];
                    norm.Bias[c] -= LearningRate * norm.BiasGrad[c];
                }
                Console.WriteLine($"train{step}.loss: {loss:R}");
            }
            Print("train.weight", norm.Weight);
            Print("train.bias", norm.Bias);
            Print("train.running_mean", norm.RunningMean);
            Print("train.running_var", norm.RunningVar);
            Console.WriteLine($"train.num_batches_tracked: {norm.NumBatchesTracked}");

            static void Print(string name, float[] values) =>
                Console.WriteLine(name + ": " + string.Join(" ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            """);
        return source.ToString();
    }

    /// <summary>Fixed data for the training part: 8 rows of 4 features with different scales and offsets.</summary>
    private static (float[] X, float[] Target) TrainingData()
    {
        const int Rows = 8, Features = 4;
        float[] x = new float[Rows * Features], target = new float[Rows * Features];
        for (int n = 0; n < Rows; n++)
        {
            for (int c = 0; c < Features; c++)
            {
                int i = n * Features + c;
                x[i] = (float)(((n * 7 + c * 3) % 11 - 5) * (c + 1) * 0.5 + 10 * c);
                target[i] = (float)(0.25 * (n % 3 - 1) + 0.5 * c);
            }
        }
        return (x, target);
    }

    /// <summary>The same training in double precision, written from the formulas (PyTorch BatchNorm1d semantics).</summary>
    private sealed record Reference(double[] Losses, double[] Weight, double[] Bias, double[] RunningMean, double[] RunningVar)
    {
        public static Reference Train(float[] xf, float[] tf, int steps, double learningRate)
        {
            const int Features = 4;
            const double Epsilon = 1e-5, Momentum = 0.1;
            int rows = xf.Length / Features, count = xf.Length;
            double[] w = Enumerable.Repeat(1.0, Features).ToArray(), b = new double[Features];
            double[] runningMean = new double[Features], runningVar = Enumerable.Repeat(1.0, Features).ToArray();
            double[] losses = new double[steps];
            for (int step = 0; step < steps; step++)
            {
                for (int c = 0; c < Features; c++)
                {
                    double mean = 0, variance = 0;
                    for (int n = 0; n < rows; n++) mean += xf[n * Features + c];
                    mean /= rows;
                    for (int n = 0; n < rows; n++) variance += Math.Pow(xf[n * Features + c] - mean, 2);
                    variance /= rows;
                    double invStd = 1 / Math.Sqrt(variance + Epsilon), gradWeight = 0, gradBias = 0;
                    for (int n = 0; n < rows; n++)
                    {
                        int i = n * Features + c;
                        double xHat = (xf[i] - mean) * invStd, y = xHat * w[c] + b[c], d = y - tf[i];
                        losses[step] += 0.5 * d * d / count;
                        gradWeight += d / count * xHat;
                        gradBias += d / count;
                    }
                    runningMean[c] = (1 - Momentum) * runningMean[c] + Momentum * mean;
                    runningVar[c] = (1 - Momentum) * runningVar[c] + Momentum * variance * rows / (rows - 1);
                    w[c] -= learningRate * gradWeight;
                    b[c] -= learningRate * gradBias;
                }
            }
            return new Reference(losses, w, b, runningMean, runningVar);
        }
    }

    /// <summary>|actual − expected| ≤ tolerance · max |expected| (at least 1), element by element.</summary>
    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance * scale,
                $"{what}[{i}]: {actual[i].ToString("R", CultureInfo.InvariantCulture)}, expected {expected[i].ToString("R", CultureInfo.InvariantCulture)}");
        }
    }

    private static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    private static string FloatArray(IEnumerable<float> values) =>
        "[" + string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture) + "f")) + "]";

    private string GoldenPath()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Golden", GoldenCase + ".json");
        return File.Exists(path)
            ? path
            : Path.Combine(_fixture.RepositoryRoot, "tests", "BnGen.Tests", "Kernels", "Golden", GoldenCase + ".json");
    }

    /// <summary>
    /// Opens analyzers/dotnet/cs/BnGen.Generator.dll from the .nupkg, loads it into its own collectible load context
    /// (Roslyn and the BCL come from this process, as the compiler provides them), checks that it is the packed build
    /// (its informational version is the package version, which no other build of the generator has) and runs its
    /// analyzers and its generator on a compilation: BNG0001 at the identifier of a non-partial layer, and code for a
    /// partial one.
    /// </summary>
    private void AssertPackedAnalyzerReportsNotPartial()
    {
        string folder = Path.Combine(_fixture.Root, "packed-analyzers-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        string dll = Path.Combine(folder, "BnGen.Generator.dll");
        using (ZipArchive zip = ZipFile.OpenRead(_fixture.Package))
        {
            zip.GetEntry("analyzers/dotnet/cs/BnGen.Generator.dll")!.ExtractToFile(dll);
        }

        var context = new PackedAnalyzerContext(folder);
        try
        {
            Assembly packed = context.LoadFromAssemblyPath(dll);
            Assert.NotSame(typeof(BnGen.Generator.BatchNormGenerator).Assembly, packed);
            string? informational = packed.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            Assert.True(informational is not null && informational.StartsWith(_fixture.Version, StringComparison.Ordinal),
                $"the packed generator's version is {informational}, not the package's {_fixture.Version}");

            DiagnosticAnalyzer[] analyzers = packed.GetTypes()
                .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
                .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
                .ToArray();
            Assert.NotEmpty(analyzers);
            const string source = "namespace E2E;\n\n[BnGen.BatchNormLayer(8)]\npublic class PlainNorm { }\n";
            CSharpCompilation compilation = TestCompilation.Consumer([source]);
            Diagnostic[] reported = compilation.WithAnalyzers([.. analyzers]).GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult()
                .Where(d => d.Id.StartsWith("BNG", StringComparison.Ordinal)).ToArray();
            Diagnostic notPartial = Assert.Single(reported);
            Assert.Equal("BNG0001", notPartial.Id);
            Assert.Equal(source.IndexOf("PlainNorm", StringComparison.Ordinal), notPartial.Location.SourceSpan.Start);
            Assert.Equal("PlainNorm".Length, notPartial.Location.SourceSpan.Length);

            // The packed generator writes a layer for the partial version of the same class.
            IIncrementalGenerator generator = (IIncrementalGenerator)Activator.CreateInstance(
                packed.GetTypes().Single(t => typeof(IIncrementalGenerator).IsAssignableFrom(t)))!;
            GeneratorDriver driver = CSharpGeneratorDriver.Create([generator.AsSourceGenerator()], parseOptions: TestCompilation.ConsumerParseOptions);
            driver = driver.RunGenerators(TestCompilation.Consumer([source.Replace("public class", "public partial class", StringComparison.Ordinal)]));
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            Assert.Null(result.Exception);
            Assert.Equal("E2E.PlainNorm.BatchNorm.g.cs", Assert.Single(result.GeneratedSources).HintName);
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Loads the packed BnGen assemblies from their folder; everything else (Roslyn, the BCL) from this process.</summary>
    private sealed class PackedAnalyzerContext(string folder) : AssemblyLoadContext("packed-bngen-analyzers", isCollectible: true)
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            string candidate = Path.Combine(folder, assemblyName.Name + ".dll");
            return assemblyName.Name is "BnGen.Generator" or "BnGen.CodeFixes" && File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
