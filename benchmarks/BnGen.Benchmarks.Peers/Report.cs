using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;

namespace BnGen.Benchmarks.Peers;

/// <summary>All samples of a run, by shape, operation and contender name.</summary>
public sealed class Results
{
    public List<Shape> Shapes { get; } = new();
    public Dictionary<(Shape Shape, Op Op), Dictionary<string, Samples>> Samples { get; } = new();

    /// <summary>Contenders that did not run, with the reason (printed under the tables).</summary>
    public SortedDictionary<string, string> Skipped { get; } = new(StringComparer.Ordinal);

    public Samples? Get(Shape shape, Op op, string contender)
        => Samples.TryGetValue((shape, op), out var byName) && byName.TryGetValue(contender, out Samples? s) ? s : null;

    public double Median(Shape shape, Op op, string contender) => Get(shape, op, contender)?.Median ?? double.NaN;
    public double Min(Shape shape, Op op, string contender) => Get(shape, op, contender)?.Min ?? double.NaN;

    /// <summary>Effective GB/s: the bytes docs/benchmarks.md counts for the operation, over the time.</summary>
    public static double GigabytesPerSecond(Shape shape, Op op, double nanoseconds)
        => (double)shape.Count * Ops.BytesPerElement(op) / nanoseconds;
}

/// <summary>The markdown summary: per-call times and GB/s, time ratios, their geometric means per operation.</summary>
public static class Report
{
    /// <summary>Table columns, in this order, for the contenders that ran.</summary>
    public static readonly string[] ContenderOrder =
        { "BnGen", "BnGen 2T", "libtorch 1T", "libtorch 2T", "ONNX Runtime", "roof", "roof 2T" };

    /// <summary>Time ratios (lower: the first is faster), then two-thread gains (time on 1 thread / time on 2; higher is better).</summary>
    private static readonly (string Label, string Numerator, string Denominator)[] Ratios =
    {
        ("BnGen / libtorch 1T", "BnGen", "libtorch 1T"),
        ("BnGen / libtorch 2T", "BnGen", "libtorch 2T"),
        ("BnGen / ORT", "BnGen", "ONNX Runtime"),
        ("BnGen / roof", "BnGen", "roof"),
        ("libtorch 1T / roof", "libtorch 1T", "roof"),
        ("BnGen 2T / libtorch 2T", "BnGen 2T", "libtorch 2T"),
        ("BnGen 2T / roof 2T", "BnGen 2T", "roof 2T"),
        ("2T gain BnGen", "BnGen", "BnGen 2T"),
        ("2T gain libtorch", "libtorch 1T", "libtorch 2T"),
        ("2T gain roof", "roof", "roof 2T"),
    };

    /// <summary>The names in <see cref="ContenderOrder"/> first, any other (e.g. "BnGen 4T") after them.</summary>
    public static IEnumerable<string> Ordered(IEnumerable<string> names)
    {
        var present = names.Distinct().ToList();
        return ContenderOrder.Where(present.Contains).Concat(present.Where(name => !ContenderOrder.Contains(name)));
    }

    public static string Build(Results results, Settings settings, string header)
    {
        string[] contenders = Ordered(results.Samples.Values.SelectMany(s => s.Keys)).ToArray();
        var ratios = Ratios.Where(r => contenders.Contains(r.Numerator) && contenders.Contains(r.Denominator)).ToArray();
        var sb = new StringBuilder();
        sb.AppendLine(header);
        sb.AppendLine();
        sb.AppendLine($"Mode: {settings.Mode} ({settings.Rounds} rounds of ~{Number(settings.BatchMilliseconds)} ms batches per contender, "
            + $"≥ {Number(settings.WarmupMilliseconds)} ms warm-up). GB/s = elements × bytes the operation must move "
            + "(12 / 8 / 20 / 20 B per float element for training forward / eval forward / training backward / eval backward) / time. "
            + "Roof: the pass of the main benchmarks for the operation (r2w1 / copy / r2r2w1 / r2r2w1); roof 2T: the same pass, "
            + "each of two threads on one half.");
        sb.AppendLine();

        sb.AppendLine("### Median ns per call (effective GB/s)");
        sb.AppendLine();
        AppendTimes(sb, results, contenders, (shape, op, name) => results.Median(shape, op, name));
        sb.AppendLine();
        sb.AppendLine("### Time ratios of the medians (lower: the first is faster; 2T gain = time on 1 thread / time on 2, higher is better)");
        sb.AppendLine();
        AppendRatios(sb, results, ratios, (shape, op, name) => results.Median(shape, op, name));
        sb.AppendLine();
        sb.AppendLine("### Minimum ns per call (effective GB/s): the fastest batch, less sensitive to the machine's load");
        sb.AppendLine();
        AppendTimes(sb, results, contenders, (shape, op, name) => results.Min(shape, op, name));
        sb.AppendLine();
        sb.AppendLine("### Time ratios of the minimums");
        sb.AppendLine();
        AppendRatios(sb, results, ratios, (shape, op, name) => results.Min(shape, op, name));
        sb.AppendLine();
        sb.AppendLine("### Managed bytes allocated per call (calling thread, timed batches; the largest over the shapes)");
        sb.AppendLine();
        sb.AppendLine("| Op | " + string.Join(" | ", contenders) + " |");
        sb.AppendLine("|---|" + string.Concat(contenders.Select(_ => "---:|")));
        foreach (Op op in Ops.All)
        {
            var cells = contenders.Select(name =>
            {
                var values = results.Shapes.Select(shape => results.Get(shape, op, name)).Where(s => s is not null).ToArray();
                return values.Length == 0 ? "–" : Number(values.Max(s => s!.AllocatedPerCall));
            });
            sb.AppendLine($"| {Ops.Label(op)} | " + string.Join(" | ", cells) + " |");
        }
        if (results.Skipped.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Not measured:");
            foreach (var (name, reason) in results.Skipped)
            {
                sb.AppendLine($"- {name}: {reason}");
            }
        }
        return sb.ToString();
    }

    private static void AppendTimes(StringBuilder sb, Results results, string[] contenders, Func<Shape, Op, string, double> time)
    {
        sb.AppendLine("| Shape | Op | Roof pass | " + string.Join(" | ", contenders) + " |");
        sb.AppendLine("|---|---|---|" + string.Concat(contenders.Select(_ => "---:|")));
        foreach (Op op in Ops.All)
        {
            foreach (Shape shape in results.Shapes)
            {
                var cells = contenders.Select(name =>
                {
                    double ns = time(shape, op, name);
                    return double.IsNaN(ns) ? "–" : $"{Number(ns)} ({Number(Results.GigabytesPerSecond(shape, op, ns))})";
                });
                sb.AppendLine($"| {shape.Name} | {Ops.Label(op)} | {Ops.Roof(op)} | " + string.Join(" | ", cells) + " |");
            }
        }
    }

    private static void AppendRatios(StringBuilder sb, Results results, (string Label, string Numerator, string Denominator)[] ratios,
        Func<Shape, Op, string, double> time)
    {
        sb.AppendLine("| Shape | Op | " + string.Join(" | ", ratios.Select(r => r.Label)) + " |");
        sb.AppendLine("|---|---|" + string.Concat(ratios.Select(_ => "---:|")));
        foreach (Op op in Ops.All)
        {
            var perRatio = ratios.Select(_ => new List<double>()).ToArray();
            foreach (Shape shape in results.Shapes)
            {
                var cells = new List<string>();
                for (int i = 0; i < ratios.Length; i++)
                {
                    double ratio = time(shape, op, ratios[i].Numerator) / time(shape, op, ratios[i].Denominator);
                    if (double.IsFinite(ratio))
                    {
                        perRatio[i].Add(ratio);
                    }
                    cells.Add(Ratio(ratio));
                }
                sb.AppendLine($"| {shape.Name} | {Ops.Label(op)} | " + string.Join(" | ", cells) + " |");
            }
            var means = perRatio.Select(values => values.Count == 0 ? "–"
                : $"**{Ratio(Math.Exp(values.Average(Math.Log)))}**" + (values.Count < results.Shapes.Count ? $" ({values.Count} shapes)" : ""));
            sb.AppendLine($"| geometric mean | {Ops.Label(op)} | " + string.Join(" | ", means) + " |");
        }
    }

    private static string Number(double value) => double.IsNaN(value) ? "–"
        : value.ToString(Math.Abs(value) >= 100 ? "F0" : Math.Abs(value) >= 10 ? "F1" : "F2", CultureInfo.InvariantCulture);

    private static string Ratio(double value) => double.IsFinite(value) ? value.ToString("F3", CultureInfo.InvariantCulture) : "–";

    /// <summary>Machine, runtime, peers' versions, time and load: the first lines of the summary.</summary>
    public static string Header(DateTime started, string loadAtStart)
    {
        string cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':', 2)[1].Trim() ?? cpu;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{cpu}, {Environment.ProcessorCount} cores, Vector<float>.Count = {Vector<float>.Count}, .NET {Environment.Version}; "
            + "libtorch 2.10 CPU (TorchSharp-cpu 0.107.0), ONNX Runtime 1.31.1 CPU. "
            + $"Run of {started:yyyy-MM-dd HH:mm}–{DateTime.UtcNow:HH:mm} UTC, load average {loadAtStart} at the start and {LoadAverage()} at the end.";
    }

    public static string LoadAverage()
    {
        try
        {
            return string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
