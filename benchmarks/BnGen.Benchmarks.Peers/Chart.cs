using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ScottPlot;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// The chart docs/benchmarks.md opens with (ScottPlot 5, as the samples use): effective GB/s (median) per shape, one
/// panel per operation, a bar per contender, on a log scale so that a 100× gap reads as two decades.
/// </summary>
public static class Chart
{
    private static readonly (string Name, string Label, Color Color)[] Series =
    {
        ("BnGen", "BnGen", Color.FromHex("#1f5fbf")),
        ("BnGen 2T", "BnGen, 2 threads", Color.FromHex("#7fa8e6")),
        ("libtorch 1T", "libtorch, 1 thread", Color.FromHex("#e07b00")),
        ("libtorch 2T", "libtorch, 2 threads", Color.FromHex("#f5bd6e")),
        ("ONNX Runtime", "ONNX Runtime (eval forward)", Color.FromHex("#2e9e4f")),
        ("roof", "memory roof (1 thread)", Color.FromHex("#9a9a9a")),
    };

    public static void Save(Results results, string path, string subtitle)
    {
        var series = Series.Where(s => results.Samples.Values.Any(byName => byName.ContainsKey(s.Name))).ToArray();
        var gbs = new List<double>();
        foreach (var ((shape, op), byName) in results.Samples)
        {
            gbs.AddRange(byName.Where(kv => series.Any(s => s.Name == kv.Key))
                .Select(kv => Results.GigabytesPerSecond(shape, op, kv.Value.Median)));
        }
        if (gbs.Count == 0)
        {
            return;
        }
        // Decades from below the slowest to above the fastest; bars start at the bottom decade.
        int low = (int)Math.Floor(Math.Log10(gbs.Min()));
        int high = (int)Math.Ceiling(Math.Log10(gbs.Max()));

        var plots = new List<Plot>();
        for (int panel = 0; panel < Ops.All.Length; panel++)
        {
            Op op = Ops.All[panel];
            var plot = new Plot();
            plots.Add(plot);
            double groupWidth = 0.8, barWidth = groupWidth / series.Length;
            for (int i = 0; i < series.Length; i++)
            {
                var bars = new List<Bar>();
                for (int g = 0; g < results.Shapes.Count; g++)
                {
                    double ns = results.Median(results.Shapes[g], op, series[i].Name);
                    if (double.IsNaN(ns))
                    {
                        continue;
                    }
                    bars.Add(new Bar
                    {
                        Position = g - groupWidth / 2 + barWidth * (i + 0.5),
                        Value = Math.Log10(Results.GigabytesPerSecond(results.Shapes[g], op, ns)),
                        ValueBase = low,
                        Size = barWidth * 0.92,
                        FillColor = series[i].Color,
                        LineWidth = 0,
                    });
                }
                if (bars.Count > 0)
                {
                    plot.Add.Bars(bars);
                }
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                Enumerable.Range(0, results.Shapes.Count).Select(g => (double)g).ToArray(),
                results.Shapes.Select(s => s.ShortName.Replace(' ', '\n')).ToArray());
            plot.Axes.Left.TickGenerator = LogTicks(low, high);
            // Half a decade of headroom above the highest bar for the legend.
            plot.Axes.SetLimits(-0.6, results.Shapes.Count - 0.4, low, high + 0.5);
            plot.Title($"{Ops.Title(op)} (roof: {Ops.Roof(op)})");
            plot.YLabel("effective GB/s (log scale)");
            plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
            if (panel == 0)
            {
                foreach (var s in series)
                {
                    plot.Legend.ManualItems.Add(new LegendItem { LabelText = s.Label, FillColor = s.Color });
                }
                plot.Legend.Orientation = Orientation.Horizontal;
                plot.ShowLegend(Alignment.UpperCenter);
            }
        }
        plots[0].Title($"{Ops.Title(Ops.All[0])} (roof: {Ops.Roof(Ops.All[0])})\n{subtitle}");
        // The multiplot starts with its first plot; the other three join it in a 2 × 2 grid.
        var multiplot = new Multiplot(plots[0]);
        foreach (Plot plot in plots.Skip(1))
        {
            multiplot.AddPlot(plot);
        }
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        multiplot.SavePng(path, 1600, 1000);
    }

    private static ScottPlot.TickGenerators.NumericManual LogTicks(int low, int high)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int decade = low; decade <= high; decade++)
        {
            double value = Math.Pow(10, decade);
            ticks.AddMajor(decade, value.ToString(value >= 1 ? "0" : "0.##########", CultureInfo.InvariantCulture));
            for (int k = 2; k < 10 && decade < high; k++)
            {
                ticks.AddMinor(decade + Math.Log10(k));
            }
        }
        return ticks;
    }
}
