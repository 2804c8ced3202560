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
            plot.Axes.SetLimits(-0.6, results.Shapes.Count - 0.4, low, high);
            plot.Title($"{Ops.Title(op)} (roof: {Ops.Roof(op)})");
            plot.YLabel("effective GB/s");
            plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
        }

        // A header row (title and the one legend) above a 2 × 2 grid of panels: 11 grid rows, 1 for the header.
        var header = new Plot();
        header.Axes.Frameless();
        header.HideGrid();
        header.Title($"BnGen, libtorch, ONNX Runtime and the memory roof: effective GB/s (median, log scale)\n{subtitle}");
        foreach (var s in series)
        {
            header.Legend.ManualItems.Add(new LegendItem { LabelText = s.Label, FillColor = s.Color });
        }
        header.ShowLegend(Alignment.LowerCenter, Orientation.Horizontal);
        var layout = new ScottPlot.MultiplotLayouts.CustomGrid();
        var multiplot = new Multiplot(header);
        layout.Set(header, new GridCell(0, 0, 11, 2, 1, 2));
        for (int panel = 0; panel < plots.Count; panel++)
        {
            multiplot.AddPlot(plots[panel]);
            layout.Set(plots[panel], new GridCell(1 + panel / 2 * 5, panel % 2, 11, 2, 5, 1));
        }
        multiplot.Layout = layout;
        multiplot.SavePng(path, 1600, 1100);
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
