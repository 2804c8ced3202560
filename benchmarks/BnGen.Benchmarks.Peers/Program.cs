using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// BnGen against libtorch (1 and 2 threads), ONNX Runtime and the memory roofs, side by side in one process.
/// <c>--quick</c>: every contender on every shape a few times, with the checks (seconds). Default: the full measurement.
/// <c>--shape TEXT</c>: only shapes whose name contains TEXT. <c>--out DIR</c>: where the summary goes
/// (artifacts/peers). <c>--chart FILE</c>: the chart (full: docs/images/peers.png of the repository; quick: DIR/peers.png).
/// <c>--contenders A,B</c>: only these contenders besides BnGen (a development aid). <c>--allow-missing</c>: a full
/// run even when a peer does not load. See docs/benchmarks-peers.md.
/// </summary>
public static class Program
{
    /// <summary>
    /// The contenders, in table order, one line each. A contender that throws <see cref="ContenderUnavailableException"/>
    /// is skipped with its reason; <c>Required</c> ones make a full run fail instead (unless --allow-missing).
    /// </summary>
    private static readonly (string Name, bool Required, Func<ShapeData, Contender> Create)[] Contenders =
    {
        ("BnGen", true, data => new BnGenContender(data)),
        ("BnGen 2T", false, data => new BnGenContender(data, degree: 2)),
        ("libtorch 1T", true, data => new TorchContender(data, threads: 1)),
        ("libtorch 2T", true, data => new TorchContender(data, threads: 2)),
        ("ONNX Runtime", true, data => new OrtContender(data)),
        ("roof", true, data => new RoofContender(data, threads: 1)),
        ("roof 2T", true, data => new RoofContender(data, threads: 2)),
    };

    public static int Main(string[] args)
    {
        bool quick = args.Contains("--quick");
        bool allowMissing = quick || args.Contains("--allow-missing");
        string? shapeFilter = Option(args, "--shape");
        string[]? only = Option(args, "--contenders")?.Split(',', StringSplitOptions.TrimEntries);
        string outDir = Option(args, "--out") ?? Path.Combine("artifacts", "peers");
        string chartPath = Option(args, "--chart")
            ?? (quick ? Path.Combine(outDir, "peers.png") : Path.Combine(RepositoryRoot(), "docs", "images", "peers.png"));
        Settings settings = quick ? Settings.Quick : Settings.Full;
        DateTime started = DateTime.UtcNow;
        string loadAtStart = Report.LoadAverage();
        var watch = Stopwatch.StartNew();

        Shape[] shapes = Shape.All.Where(s => shapeFilter is null || s.Name.Contains(shapeFilter, StringComparison.Ordinal)).ToArray();
        Console.WriteLine($"BnGen peers benchmark, {settings.Mode} mode: {shapes.Length} shapes, load average {loadAtStart}.");
        var results = new Results();
        var failures = new List<string>();
        foreach (Shape shape in shapes)
        {
            var data = new ShapeData(shape);
            List<Contender> contenders = Create(data, results, failures, allowMissing, only);
            try
            {
                if (!quick && failures.Count > 0)
                {
                    // A full run that cannot write its summary stops at once; the quick mode goes on to show everything.
                    break;
                }
                if (contenders.FirstOrDefault(c => c is BnGenContender { Name: "BnGen" }) is not BnGenContender bngen)
                {
                    failures.Add($"{shape.Name}: BnGen itself is unavailable, nothing to check the peers against");
                    continue;
                }
                List<string> mismatches = Checks.Verify(bngen, contenders.Where(c => c != bngen));
                foreach (string mismatch in mismatches)
                {
                    Console.Error.WriteLine($"FAIL {mismatch}");
                }
                failures.AddRange(mismatches);
                if (mismatches.Count > 0)
                {
                    continue;
                }
                Console.WriteLine($"ok   {shape.Name}: checked against BnGen: "
                    + string.Join(", ", contenders.Where(c => c != bngen && !c.IsRoof).Select(c => c.Name).DefaultIfEmpty("no peer")));
                results.Shapes.Add(shape);
                foreach (Op op in Ops.All)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    var samples = Measurement.Run(op, contenders.Where(c => c.Supports(op)).ToList(), settings);
                    results.Samples[(shape, op)] = samples;
                    Console.WriteLine($"     {Ops.Label(op),-8} " + string.Join("  ", Report.Ordered(samples.Keys).Select(name => $"{name} {samples[name].Median.ToString("F0", CultureInfo.InvariantCulture)}")) + " ns");
                }
            }
            finally
            {
                foreach (Contender contender in contenders)
                {
                    contender.Dispose();
                }
            }
        }

        if (quick)
        {
            PrintWorstErrors();
        }
        if (failures.Count > 0)
        {
            Console.Error.WriteLine($"{failures.Count} failure(s); no summary written.");
            foreach (string failure in failures.Distinct())
            {
                Console.Error.WriteLine($"  {failure}");
            }
            return 1;
        }

        string header = Report.Header(started, loadAtStart);
        string table = Report.Build(results, settings, header);
        Console.WriteLine();
        Console.WriteLine(table);
        Directory.CreateDirectory(outDir);
        string tablePath = Path.Combine(outDir, "peers-summary.md");
        File.WriteAllText(tablePath, table);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(chartPath))!);
        Chart.Save(results, chartPath, $"{settings.Mode} run, {started:yyyy-MM-dd} — {header.Split(',')[0]}, {Environment.ProcessorCount} cores");
        Console.WriteLine($"Summary: {Path.GetFullPath(tablePath)}");
        Console.WriteLine($"Chart:   {Path.GetFullPath(chartPath)}");
        Console.WriteLine($"Done in {watch.Elapsed.TotalSeconds:F0} s.");
        return 0;
    }

    private static List<Contender> Create(ShapeData data, Results results, List<string> failures, bool allowMissing, string[]? only)
    {
        var contenders = new List<Contender>();
        foreach (var (name, required, create) in Contenders)
        {
            if (only is not null && name != "BnGen" && !only.Contains(name))
            {
                continue;
            }
            try
            {
                contenders.Add(create(data));
            }
            catch (ContenderUnavailableException e)
            {
                string key = e.NotApplicable ? $"{name} on {data.Shape.Name}" : name;
                if (results.Skipped.TryAdd(key, e.Message))
                {
                    Console.WriteLine($"skip {key}: {e.Message}");
                }
                if (required && !e.NotApplicable && !allowMissing)
                {
                    failures.Add($"{name} is required in a full run (--allow-missing to run without it): {e.Message}");
                }
            }
        }
        return contenders;
    }

    private static void PrintWorstErrors()
    {
        Console.WriteLine();
        Console.WriteLine("Per peer and quantity, the error / scale closest to its tolerance over the shapes [that tolerance]:");
        foreach (var group in Checks.Worst.GroupBy(kv => (kv.Key.Contender, kv.Key.Op)).OrderBy(g => g.Key.Contender).ThenBy(g => g.Key.Op))
        {
            Console.WriteLine($"  {group.Key.Contender,-13} {Ops.Label(group.Key.Op),-8} " + string.Join("  ", group.Select(kv
                => $"{kv.Key.Quantity} {E(kv.Value.Error)} [{E(kv.Value.Tolerance)}]")));
        }

        static string E(double value) => value.ToString("0.0E+0", CultureInfo.InvariantCulture);
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The folder holding BnGen.sln above the program, else the current folder.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BnGen.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
