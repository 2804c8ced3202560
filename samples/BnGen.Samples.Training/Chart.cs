using System.Collections.Generic;
using System.Linq;

namespace BnGen.Samples.Training;

/// <summary>The loss curves of both runs as a PNG (ScottPlot 5, rendered by SkiaSharp).</summary>
internal static class Chart
{
    /// <summary>Solid lines: training loss (mean over each epoch's batches); dashed: held-out loss in inference mode.</summary>
    public static void SaveLossCurves(string path, IReadOnlyList<double> plainTrain, IReadOnlyList<double> plainTest,
        IReadOnlyList<double> normTrain, IReadOnlyList<double> normTest, double learningRate, int batchSize)
    {
        double[] epochs = Enumerable.Range(1, plainTrain.Count).Select(e => (double)e).ToArray();
        var plot = new ScottPlot.Plot();
        ScottPlot.Color plainColor = ScottPlot.Colors.C0, normColor = ScottPlot.Colors.C1;
        Line(plot, epochs, plainTrain, "without BatchNorm: training", plainColor, dashed: false);
        Line(plot, epochs, plainTest, "without BatchNorm: held-out", plainColor, dashed: true);
        Line(plot, epochs, normTrain, "with generated BatchNorm: training", normColor, dashed: false);
        Line(plot, epochs, normTest, "with generated BatchNorm: held-out", normColor, dashed: true);
        plot.Title($"MNIST MLP: loss per epoch (SGD, lr = {learningRate:0.###}, momentum 0.9, batch {batchSize})");
        plot.XLabel("epoch");
        plot.YLabel("mean cross-entropy loss");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1);
        double top = new[] { plainTrain, plainTest, normTrain, normTest }.Max(curve => curve.Max());
        plot.Axes.SetLimits(0.5, epochs.Length + 0.5, 0, top * 1.05);
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 900, 540);
    }

    private static void Line(ScottPlot.Plot plot, double[] epochs, IReadOnlyList<double> values, string label,
        ScottPlot.Color color, bool dashed)
    {
        var line = plot.Add.Scatter(epochs, values.ToArray());
        line.LegendText = label;
        line.LineWidth = 2;
        line.Color = color;
        if (dashed) line.LinePattern = ScottPlot.LinePattern.Dashed;
    }
}
