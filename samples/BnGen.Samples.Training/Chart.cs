using System.Collections.Generic;
using System.Linq;

namespace BnGen.Samples.Training;

/// <summary>The two training-loss curves as a PNG (ScottPlot 5, rendered by SkiaSharp).</summary>
internal static class Chart
{
    public static void SaveLossCurves(string path, IReadOnlyList<double> plain, IReadOnlyList<double> withNorm,
        double learningRate)
    {
        double[] epochs = Enumerable.Range(1, plain.Count).Select(e => (double)e).ToArray();
        var plot = new ScottPlot.Plot();
        var plainLine = plot.Add.Scatter(epochs, plain.ToArray());
        plainLine.LegendText = "MLP without BatchNorm";
        plainLine.LineWidth = 2;
        var normLine = plot.Add.Scatter(epochs, withNorm.ToArray());
        normLine.LegendText = "MLP with generated BatchNorm";
        normLine.LineWidth = 2;
        plot.Title($"Digit glyphs: training loss per epoch (SGD, lr = {learningRate:0.###}, momentum 0.9)");
        plot.XLabel("epoch");
        plot.YLabel("mean cross-entropy loss");
        plot.Axes.SetLimitsY(0, System.Math.Max(plain.Max(), withNorm.Max()) * 1.05);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 900, 540);
    }
}
