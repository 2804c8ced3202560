using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Reflection;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace BnGen.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Contains("--smoke"))
        {
            return Smoke();
        }
        if (args.Length >= 1 && args[0] == "--time")
        {
            return Time(args.Skip(1).ToArray());
        }
        if (args.Contains("--verify"))
        {
            return Verify();
        }
        // The full run: one process (in-process toolchain), a short but repeated measurement per case.
        // --filter etc. pass through to BenchmarkDotNet; "--quick" shortens it further for development.
        bool quick = args.Contains("--quick");
        string[] rest = args.Where(a => a != "--quick").ToArray();
        Job job = Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 4 : 6)
            .WithIterationCount(quick ? 3 : 9)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 25 : 60))
            .WithId(quick ? "Quick" : "Full");
        IConfig config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.JoinSummary);
        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(
            rest.Length == 0 ? new[] { "--filter", "*" } : rest, config).ToArray();
        string table = SummaryTable.Build(summaries);
        Console.WriteLine(table);
        string path = Path.Combine("BenchmarkDotNet.Artifacts", "bngen-summary.md");
        Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
        File.WriteAllText(path, table);
        Console.WriteLine($"Summary written to {Path.GetFullPath(path)}");
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    /// <summary>
    /// CI smoke run: every benchmark method on every shape, a few calls each, outputs checked finite; the generated
    /// layers are checked against the naive double reference, on ordinary data and on data with mean 1e4.
    /// </summary>
    private static int Smoke()
    {
        var watch = Stopwatch.StartNew();
        int failures = 0;
        MethodInfo[] methods = typeof(BatchNormBenchmarks).GetMethods()
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null).ToArray();
        foreach (string shape in Cases.Names.Concat(Cases.ExtraNames))
        {
            var bench = new BatchNormBenchmarks { Shape = shape };
            bench.Setup();
            foreach (MethodInfo method in methods)
            {
                try
                {
                    var call = method.CreateDelegate<Action>(bench);
                    call();
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    call();
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (method.Name.EndsWith("_Generated", StringComparison.Ordinal) && allocated > 0)
                    {
                        Console.Error.WriteLine($"FAIL {shape} {method.Name}: {allocated} bytes allocated");
                        failures++;
                    }
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"FAIL {shape} {method.Name}: {e}");
                    failures++;
                }
            }
            failures += Report(shape, Cases.Create(shape).Verify(statisticsOnly: false));
            Case offset = Cases.Create(shape);
            offset.UseOffsetData(outlierFirst: false);
            failures += Report(shape + " (mean 1e4)", offset.Verify(statisticsOnly: true));
            Case outlier = Cases.Create(shape);
            outlier.UseOffsetData(outlierFirst: true);
            failures += Report(shape + " (mean 1e4, first value +200)", outlier.Verify(statisticsOnly: true));
        }
        failures += SmokeFused();
        Console.WriteLine($"Smoke: {Cases.Names.Length + Cases.ExtraNames.Length} shapes × {methods.Length} methods and {FusedCases.Names.Length} fused-ReLU shapes, {failures} failure(s), {watch.Elapsed.TotalSeconds:F1} s.");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// The fused-ReLU contenders: every method twice (the fused and plain ones allocating nothing), then fused against
    /// unfused bit for bit and against a double reference of relu(batch_norm(x)).
    /// </summary>
    private static int SmokeFused()
    {
        int failures = 0;
        MethodInfo[] methods = typeof(FusedReluBenchmarks).GetMethods()
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null).ToArray();
        foreach (string shape in FusedCases.Names)
        {
            var bench = new FusedReluBenchmarks { Shape = shape };
            bench.Setup();
            foreach (MethodInfo method in methods)
            {
                try
                {
                    var call = method.CreateDelegate<Action>(bench);
                    call();
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    call();
                    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    if (allocated > 0)
                    {
                        Console.Error.WriteLine($"FAIL {shape} {method.Name}: {allocated} bytes allocated");
                        failures++;
                    }
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"FAIL {shape} {method.Name}: {e}");
                    failures++;
                }
            }
            List<string> errors = FusedCases.Create(shape).Verify();
            foreach (string error in errors)
            {
                Console.Error.WriteLine($"FAIL {shape} (fused ReLU): {error}");
            }
            if (errors.Count == 0)
            {
                Console.WriteLine($"ok   {shape} (fused ReLU): fused = unfused bit for bit, and matches the double reference");
            }
            failures += errors.Count;
        }
        return failures;
    }

    /// <summary>Development aid: median ns per call of the given methods on the matching shapes, by a plain timed loop.</summary>
    private static int Time(string[] patterns)
    {
        MethodInfo[] methods = typeof(BatchNormBenchmarks).GetMethods()
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && patterns.Any(p => m.Name.Contains(p, StringComparison.Ordinal))).ToArray();
        MethodInfo[] fused = typeof(FusedReluBenchmarks).GetMethods()
            .Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null && patterns.Any(p => m.Name.Contains(p, StringComparison.Ordinal))).ToArray();
        var runs = Cases.Names.Select(shape => (shape, (object)new BatchNormBenchmarks { Shape = shape }, methods))
            .Concat(FusedCases.Names.Select(shape => (shape, (object)new FusedReluBenchmarks { Shape = shape }, fused)));
        foreach (var (shape, bench, shapeMethods) in runs)
        {
            if (shapeMethods.Length == 0)
            {
                continue;
            }
            bench.GetType().GetMethod("Setup")!.Invoke(bench, null);
            foreach (MethodInfo method in shapeMethods)
            {
                var call = method.CreateDelegate<Action>(bench);
                var watch = Stopwatch.StartNew();
                int calls = 0;
                while (watch.ElapsedMilliseconds < 300)
                {
                    call();
                    calls++;
                }
                int batch = Math.Max(1, calls / 30);
                var samples = new List<double>();
                for (int i = 0; i < 21; i++)
                {
                    watch.Restart();
                    for (int j = 0; j < batch; j++)
                    {
                        call();
                    }
                    samples.Add(watch.Elapsed.TotalNanoseconds / batch);
                }
                samples.Sort();
                Console.WriteLine($"{shape,-22} {method.Name,-20} {samples[samples.Count / 2],12:F0} ns  (min {samples[0]:F0})");
            }
        }
        return 0;
    }

    private static int Verify()
    {
        int failures = 0;
        foreach (string shape in Cases.Names)
        {
            failures += Report(shape, Cases.Create(shape).Verify(statisticsOnly: false));
        }
        return failures == 0 ? 0 : 1;
    }

    private static int Report(string shape, List<string> errors)
    {
        foreach (string error in errors)
        {
            Console.Error.WriteLine($"FAIL {shape}: {error}");
        }
        if (errors.Count == 0)
        {
            Console.WriteLine($"ok   {shape}: generated layer matches the double reference");
        }
        return errors.Count;
    }
}

/// <summary>The table docs/benchmarks.md quotes: per shape and operation, the contenders' medians and the ratios.</summary>
public static class SummaryTable
{
    private static readonly (string Op, string Roof, int Bytes)[] Operations =
    {
        ("TrainFwd", "Roof_R2W1", 12), ("EvalFwd", "Roof_Copy", 8), ("TrainBwd", "Roof_R2R2W1", 20), ("EvalBwd", "Roof_R2R2W1", 20),
    };

    public static string Build(IEnumerable<Summary> summaries)
    {
        var medians = new Dictionary<(string Shape, string Method), double>();
        var minimums = new Dictionary<(string Shape, string Method), double>();
        var allocations = new Dictionary<(string Shape, string Method), long>();
        foreach (BenchmarkReport report in summaries.SelectMany(s => s.Reports))
        {
            if (report.ResultStatistics is null)
            {
                continue;
            }
            string shape = (string)report.BenchmarkCase.Parameters["Shape"];
            string method = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            medians[(shape, method)] = report.ResultStatistics.Median;
            minimums[(shape, method)] = report.ResultStatistics.Min;
            allocations[(shape, method)] = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;
        }
        var sb = new StringBuilder();
        sb.AppendLine($"Vector<float>.Count = {Vector<float>.Count}, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine();
        sb.AppendLine("Medians (ns per call). GB/s = bytes the operation must move (12/8/20/20 B per float element, twice that for double) / median.");
        sb.AppendLine("Gen/Roof = generated median / roof median (lower is better); X/Gen = how many times slower contender X is (Generic = the runtime-shaped kernels of src/BnGen). Min columns: the fastest iteration, less sensitive to the machine's load.");
        sb.AppendLine();
        sb.AppendLine("| Shape | Op | Generated | GB/s | Generic | Naive | Tensor | Roof | Roof ns | Gen/Roof | Generic/Gen | Naive/Gen | Tensor/Gen | Gen min | Gen/Roof (min) | Generic/Gen (min) | Alloc B |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        string F(double v) => double.IsNaN(v) ? "–" : v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
        string R(double v) => double.IsNaN(v) ? "–" : v.ToString("F2", CultureInfo.InvariantCulture);
        double Get(Dictionary<(string, string), double> d, string shape, string method) => d.TryGetValue((shape, method), out double v) ? v : double.NaN;
        foreach (string shape in Cases.Names)
        {
            long count = ElementCount(shape, out int size);
            foreach (var (op, roof, bytes) in Operations)
            {
                double gen = Get(medians, shape, op + "_Generated");
                if (double.IsNaN(gen))
                {
                    continue;
                }
                double generic = Get(medians, shape, op + "_Generic");
                double genericMin = Get(minimums, shape, op + "_Generic");
                double naive = Get(medians, shape, op + "_Naive");
                double tensor = Get(medians, shape, op + "_Tensor");
                double roofNs = Get(medians, shape, roof);
                double genMin = Get(minimums, shape, op + "_Generated");
                double roofMin = Get(minimums, shape, roof);
                double gbs = count * bytes * (size / 4.0) / gen;
                allocations.TryGetValue((shape, op + "_Generated"), out long alloc);
                sb.AppendLine($"| {shape} | {op} | {F(gen)} | {F(gbs)} | {F(generic)} | {F(naive)} | {F(tensor)} | {roof.Substring(5)} | {F(roofNs)} | {R(gen / roofNs)} | {R(generic / gen)} | {R(naive / gen)} | {R(tensor / gen)} | {F(genMin)} | {R(genMin / roofMin)} | {R(genericMin / genMin)} | {alloc} |");
            }
        }
        AppendFused(sb, medians, minimums);
        return sb.ToString();
    }

    /// <summary>
    /// Issue 10's table: the batch norm alone (Plain), with the ReLU fused (Fused), and followed by a separate ReLU pass
    /// (Unfused); Fused/Plain is what the ReLU costs inside the layer, Unfused/Fused what fusing saves.
    /// </summary>
    private static void AppendFused(StringBuilder sb, Dictionary<(string Shape, string Method), double> medians,
        Dictionary<(string Shape, string Method), double> minimums)
    {
        if (!medians.Keys.Any(k => k.Method.StartsWith("Relu", StringComparison.Ordinal)))
        {
            return;
        }
        string F(double v) => double.IsNaN(v) ? "–" : v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
        string R(double v) => double.IsNaN(v) ? "–" : v.ToString("F2", CultureInfo.InvariantCulture);
        double Get(Dictionary<(string, string), double> d, string shape, string method) => d.TryGetValue((shape, method), out double v) ? v : double.NaN;
        sb.AppendLine();
        sb.AppendLine("Batch norm + ReLU, training mode (medians, ns per call). Plain = the batch norm alone; Fused = Activation = ReLU;");
        sb.AppendLine("Unfused = the batch norm, then a separate ReLU pass (forward: in place over y; backward: threshold_backward into a buffer, then the batch norm's backward).");
        sb.AppendLine();
        sb.AppendLine("| Shape | Op | Plain | Fused | Unfused | Fused/Plain | Unfused/Fused | Fused/Plain (min) | Unfused/Fused (min) |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (string shape in FusedCases.Names)
        {
            foreach (string op in new[] { "ReluTrainFwd", "ReluTrainBwd" })
            {
                double plain = Get(medians, shape, op + "_Plain"), fused = Get(medians, shape, op + "_Fused"), unfused = Get(medians, shape, op + "_Unfused");
                double plainMin = Get(minimums, shape, op + "_Plain"), fusedMin = Get(minimums, shape, op + "_Fused"), unfusedMin = Get(minimums, shape, op + "_Unfused");
                if (double.IsNaN(fused))
                {
                    continue;
                }
                sb.AppendLine($"| {shape} | {op} | {F(plain)} | {F(fused)} | {F(unfused)} | {R(fused / plain)} | {R(unfused / fused)} | {R(fusedMin / plainMin)} | {R(unfusedMin / fusedMin)} |");
            }
        }
    }

    private static long ElementCount(string shape, out int size)
    {
        string[] parts = shape.Split(' ');
        size = parts[2] == "f64" ? 8 : 4;
        return parts[1].Split('x').Aggregate(1L, (p, d) => p * long.Parse(d, CultureInfo.InvariantCulture));
    }
}
