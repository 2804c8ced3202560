using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using BnGen.Samples.Training;

// Trains the same hand-written MLP twice on the same spirals, without and with generated BatchNorm layers,
// prints a per-epoch table, charts the loss curves, evaluates on held-out data in inference mode and saves the
// trained BatchNorm state for the Inference sample.
//
//   dotnet run -c Release --project samples/BnGen.Samples.Training [-- --epochs N] [--lr X] [--batch N] [--train N] [--out DIR] [--quick]

var options = Options.Parse(args);
if (options is null) return 1;

const int Seed = 7;
int BatchSize = options.BatchSize;
const double Momentum = 0.9;
var train = new DigitData(options.TrainCount, noise: 0.25, seed: 1);
var test = new DigitData(2000, noise: 0.25, seed: 2);
int Classes = train.Classes;

Console.WriteLine($"BnGen training sample: noisy {DigitData.Size}x{DigitData.Size} digit-like glyphs, {Classes} classes, {train.Count} training and {test.Count} held-out images");
Console.WriteLine($"MLP {DigitData.Inputs} -> [{Mlp.Hidden} -> ReLU] x {Mlp.HiddenLayers} -> {Classes}, softmax cross-entropy, SGD lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)} momentum {Momentum}, batch {BatchSize}, {options.Epochs} epochs, seed {Seed}");
Console.WriteLine($"Run A: plain MLP.  Run B: the same MLP (same initial weights) with a generated BatchNorm1d({Mlp.Hidden}) after each hidden Linear.");
Console.WriteLine();

var runs = new[]
{
    new Run("without BatchNorm", new Mlp(DigitData.Inputs, Classes, useBatchNorm: false, BatchSize, Seed), options.LearningRate, Momentum),
    new Run("with BatchNorm", new Mlp(DigitData.Inputs, Classes, useBatchNorm: true, BatchSize, Seed), options.LearningRate, Momentum),
};

Console.WriteLine("       |        without BatchNorm         |          with BatchNorm");
Console.WriteLine(" epoch |  loss    train  held-out   time  |  loss    train  held-out   time");
Console.WriteLine("-------+----------------------------------+----------------------------------");
var progress = new Progress(options.Epochs * runs.Length);
for (int epoch = 1; epoch <= options.Epochs; epoch++)
{
    foreach (Run run in runs)
    {
        run.TrainEpoch(train, BatchSize, epoch);
        run.Model.Training = false;
        run.TestAccuracies.Add(Run.Evaluate(run.Model, test, BatchSize).Accuracy);
        progress.Advance($"epoch {epoch}/{options.Epochs} {run.Name}");
    }
    progress.Clear();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $" {epoch,5} | {runs[0].Losses[^1],6:F4}  {runs[0].Accuracies[^1],6:P1}  {runs[0].TestAccuracies[^1],6:P1}  {runs[0].Times[^1],6:F0} ms | {runs[1].Losses[^1],6:F4}  {runs[1].Accuracies[^1],6:P1}  {runs[1].TestAccuracies[^1],6:P1}  {runs[1].Times[^1],6:F0} ms"));
}
Console.WriteLine("(loss and train: mean over the epoch's batches in training mode; held-out: accuracy on the held-out set in inference mode)");
Console.WriteLine();

// Held-out evaluation: the BatchNorm layers switch to inference mode (running statistics, nothing updated).
Console.WriteLine("Held-out evaluation (inference mode: BatchNorm uses its running statistics):");
foreach (Run run in runs)
{
    run.Model.Training = false;
    (double loss, double accuracy) = Run.Evaluate(run.Model, test, BatchSize);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {run.Name,-18}  loss {loss:F4}  accuracy {accuracy:P1}  (training time {run.TotalSeconds:F2} s)"));
}

Directory.CreateDirectory(options.OutputDirectory);
string chartPath = Path.GetFullPath(Path.Combine(options.OutputDirectory, "training-loss.png"));
Chart.SaveLossCurves(chartPath, runs[0].Losses, runs[1].Losses, options.LearningRate);
Console.WriteLine();
Console.WriteLine($"Loss chart:  {chartPath}");

// Save the trained BatchNorm layers, and a probe the Inference sample replays.
Mlp model = runs[1].Model;
HiddenNorm[] norms = model.Norms!;
const int ProbeBatch = 8;
model.Forward(test.X.AsSpan(0, ProbeBatch * DigitData.Inputs), ProbeBatch); // still in inference mode
var checkpoint = new Checkpoint
{
    Features = HiddenNorm.Features,
    Epsilon = 1e-5,
    Momentum = 0.1,
    ProbeBatch = ProbeBatch,
    ProbeInput = model.PreNorm(0, ProbeBatch).ToArray(),
    ProbeOutput = model.PostNorm(0, ProbeBatch).ToArray(),
};
for (int l = 0; l < norms.Length; l++)
{
    HiddenNorm norm = norms[l];
    checkpoint.Layers.Add(NormState.From($"hidden{l + 1}", norm.Weight, norm.Bias, norm.RunningMean, norm.RunningVar,
        norm.NumBatchesTracked));
}
string checkpointPath = Checkpoint.DefaultPath(options.OutputDirectory);
checkpoint.Save(checkpointPath);
Console.WriteLine($"Checkpoint:  {checkpointPath}  (BatchNorm weight, bias, running mean/var of {norms.Length} layers; used by samples/BnGen.Samples.Inference)");
return 0;

/// <summary>One network, its optimizer and its per-epoch history.</summary>
internal sealed class Run
{
    private readonly Sgd _optimizer;
    private readonly Random _shuffle = new(11); // both runs see the batches in the same order
    private int[] _order = [];
    private float[] _x = [];
    private int[] _labels = [];

    public Run(string name, Mlp model, double learningRate, double momentum)
    {
        Name = name;
        Model = model;
        _optimizer = new Sgd(learningRate, momentum);
        model.AddParametersTo(_optimizer);
    }

    public string Name { get; }
    public Mlp Model { get; }
    public List<double> Losses { get; } = new();
    public List<double> Accuracies { get; } = new();
    public List<double> Times { get; } = new();
    public List<double> TestAccuracies { get; } = new();
    public double TotalSeconds { get; private set; }

    public void TrainEpoch(DigitData data, int batchSize, int epoch)
    {
        if (_order.Length != data.Count)
        {
            _order = new int[data.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _x = new float[batchSize * DigitData.Inputs];
            _labels = new int[batchSize];
        }
        _shuffle.Shuffle(_order);
        Model.Training = true;
        long start = Stopwatch.GetTimestamp();
        double lossSum = 0;
        int correct = 0, seen = 0, batches = 0;
        // Drop the last incomplete batch, as a DataLoader with drop_last does.
        for (int first = 0; first + batchSize <= data.Count; first += batchSize)
        {
            for (int n = 0; n < batchSize; n++)
            {
                int i = _order[first + n];
                data.X.AsSpan(i * DigitData.Inputs, DigitData.Inputs).CopyTo(_x.AsSpan(n * DigitData.Inputs));
                _labels[n] = data.Labels[i];
            }
            lossSum += Model.ForwardBackward(_x, _labels, batchSize, out int batchCorrect);
            _optimizer.Step();
            correct += batchCorrect;
            seen += batchSize;
            batches++;
        }
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        TotalSeconds += elapsed.TotalSeconds;
        Losses.Add(lossSum / batches);
        Accuracies.Add((double)correct / seen);
        Times.Add(elapsed.TotalMilliseconds);
    }

    /// <summary>Mean loss and accuracy over a whole data set, in chunks of <paramref name="batchSize"/>.</summary>
    public static (double Loss, double Accuracy) Evaluate(Mlp model, DigitData data, int batchSize)
    {
        double lossSum = 0;
        int correct = 0;
        float[] grad = new float[batchSize * data.Classes];
        for (int first = 0; first < data.Count; first += batchSize)
        {
            int batch = Math.Min(batchSize, data.Count - first);
            ReadOnlySpan<float> logits = model.Forward(data.X.AsSpan(first * DigitData.Inputs, batch * DigitData.Inputs), batch);
            lossSum += batch * Loss.SoftmaxCrossEntropy(logits, data.Labels.AsSpan(first, batch), grad, batch, data.Classes,
                out int batchCorrect);
            correct += batchCorrect;
        }
        return (lossSum / data.Count, (double)correct / data.Count);
    }
}

/// <summary>Command-line options.</summary>
internal sealed record Options(int Epochs, double LearningRate, string OutputDirectory, int BatchSize, int TrainCount)
{
    public static Options? Parse(string[] args)
    {
        int epochs = 15;
        double learningRate = 0.15;
        string output = Path.Combine("artifacts", "samples");
        int batch = 64, trainCount = 20000;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--epochs" when int.TryParse(value, CultureInfo.InvariantCulture, out int e) && e > 0: epochs = e; i++; break;
                case "--lr" when double.TryParse(value, CultureInfo.InvariantCulture, out double lr) && lr > 0: learningRate = lr; i++; break;
                case "--out" when value is not null: output = value; i++; break;
                case "--batch" when int.TryParse(value, CultureInfo.InvariantCulture, out int b) && b > 1: batch = b; i++; break;
                case "--train" when int.TryParse(value, CultureInfo.InvariantCulture, out int t) && t > 1: trainCount = t; i++; break;
                case "--quick": epochs = 3; trainCount = 5000; break;
                default:
                    Console.Error.WriteLine("usage: BnGen.Samples.Training [--epochs N] [--lr X] [--batch N] [--train N] [--out DIR] [--quick]");
                    return null;
            }
        }
        return new Options(epochs, learningRate, output, batch, trainCount);
    }
}

/// <summary>A one-line progress indicator on the terminal (silent when the output is redirected).</summary>
internal sealed class Progress(int total)
{
    private readonly bool _enabled = !Console.IsOutputRedirected;
    private int _done;

    public void Advance(string what)
    {
        _done++;
        if (!_enabled) return;
        int width = 30, filled = _done * width / total;
        Console.Write($"\r  [{new string('#', filled)}{new string('.', width - filled)}] {_done * 100 / total,3}%  {what,-40}");
    }

    public void Clear()
    {
        if (_enabled) Console.Write("\r" + new string(' ', 90) + "\r");
    }
}
