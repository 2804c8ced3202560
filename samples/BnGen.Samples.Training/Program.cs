using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BnGen;
using BnGen.Samples.Mnist;
using BnGen.Samples.Training;

// Trains the MLP of the Keras write-up on MNIST twice, without and with a generated BatchNorm layer (same initial
// weights, same batches), prints a per-epoch table, charts the loss curves, evaluates on held-out digits in inference
// mode (accuracy and macro-F1) and saves the trained model (with BatchNorm) as a PyTorch state dict in a safetensors file
// for the Inference sample (the same file loads into the equivalent PyTorch model: see Checkpoint.cs).
//
//   dotnet run -c Release --project samples/BnGen.Samples.Training [-- --epochs N] [--lr X] [--batch N] [--train N]
//       [--data DIR] [--out DIR] [--quick]
//
// --data DIR: train on the official MNIST files in DIR (train-images-idx3-ubyte[.gz] etc.: 60,000 training images,
// the 10,000 test images held out) instead of the 10,000 digits shipped in samples/data (8,000 / 2,000).

var options = Options.Parse(args);
if (options is null) return 1;

const int Seed = 7;
int BatchSize = options.BatchSize;
const double Momentum = 0.9;
MnistSplit data;
try
{
    data = MnistData.Load(options.DataDirectory);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
LabeledImages train = data.Train.Take(options.TrainCount), test = data.Test;
const int Classes = MnistData.Classes;

Console.WriteLine($"BnGen training sample: {data.Description}");
Console.WriteLine($"{train.Count} training and {test.Count} held-out {MnistData.Size}x{MnistData.Size} images, {Classes} classes, grey levels scaled to [0, 1]");
Console.WriteLine($"MLP {MnistData.Pixels} -> Dense {Mlp.Hidden} -> ReLU -> [BatchNorm1d({Mlp.Hidden})] -> Dense {Classes}, softmax cross-entropy, SGD lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)} momentum {Momentum}, batch {BatchSize}, {options.Epochs} epoch{(options.Epochs == 1 ? "" : "s")}, seed {Seed}");
Console.WriteLine($"Run A: without BatchNorm.  Run B: the same MLP (same initial weights, same batches) with a generated BatchNorm1d({Mlp.Hidden}) after the ReLU.");
Console.WriteLine();

var runs = new[]
{
    new Run("without BatchNorm", new Mlp(MnistData.Pixels, Classes, useBatchNorm: false, BatchSize, Seed), options.LearningRate, Momentum),
    new Run("with BatchNorm", new Mlp(MnistData.Pixels, Classes, useBatchNorm: true, BatchSize, Seed), options.LearningRate, Momentum),
};

Console.WriteLine("       |        without BatchNorm         |          with BatchNorm");
Console.WriteLine(" epoch |  loss    train  held-out   time  |  loss    train  held-out   time");
Console.WriteLine("-------+----------------------------------+----------------------------------");
var progress = new Progress(options.Epochs * runs.Length);
for (int epoch = 1; epoch <= options.Epochs; epoch++)
{
    foreach (Run run in runs)
    {
        run.TrainEpoch(train, BatchSize);
        run.Model.Training = false;
        (double testLoss, ConfusionMatrix testConfusion) = run.Model.Evaluate(test, BatchSize);
        run.TestLosses.Add(testLoss);
        run.TestAccuracies.Add(testConfusion.Accuracy);
        progress.Advance($"epoch {epoch}/{options.Epochs} {run.Name}");
    }
    progress.Clear();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $" {epoch,5} | {runs[0].Losses[^1],6:F4}  {runs[0].Accuracies[^1],6:P1}  {runs[0].TestAccuracies[^1],6:P1}  {runs[0].Times[^1],6:F0} ms | {runs[1].Losses[^1],6:F4}  {runs[1].Accuracies[^1],6:P1}  {runs[1].TestAccuracies[^1],6:P1}  {runs[1].Times[^1],6:F0} ms"));
}
Console.WriteLine("(loss and train: mean over the epoch's batches in training mode; held-out: accuracy on the held-out set in inference mode)");
Console.WriteLine();

// Held-out evaluation: the BatchNorm layer switches to inference mode (running statistics, nothing updated).
Console.WriteLine("Held-out evaluation (inference mode: BatchNorm uses its running statistics):");
var confusions = new ConfusionMatrix[runs.Length];
for (int r = 0; r < runs.Length; r++)
{
    Run run = runs[r];
    run.Model.Training = false;
    (double loss, confusions[r]) = run.Model.Evaluate(test, BatchSize);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {run.Name,-18}  loss {loss:F4}  accuracy {confusions[r].Accuracy:P1}  macro-F1 {confusions[r].MacroF1:P1}  (training time {run.TotalSeconds:F2} s)"));
}
Console.WriteLine();
Console.WriteLine("  F1 per digit        " + string.Concat(Enumerable.Range(0, Classes).Select(c => $"{c,7}")));
for (int r = 0; r < runs.Length; r++)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {runs[r].Name,-18}  {string.Concat(Enumerable.Range(0, Classes).Select(c => $"{confusions[r].F1(c),7:P1}"))}"));

Directory.CreateDirectory(options.OutputDirectory);
string chartPath = Path.GetFullPath(Path.Combine(options.OutputDirectory, "training-loss.png"));
Chart.SaveLossCurves(chartPath, runs[0].Losses, runs[0].TestLosses, runs[1].Losses, runs[1].TestLosses, options.LearningRate, BatchSize);
Console.WriteLine();
Console.WriteLine($"Loss chart:  {chartPath}");

// Save the trained model with BatchNorm as a PyTorch state dict (safetensors), and a probe the Inference sample replays.
Mlp model = runs[1].Model;
StateDict state = Checkpoint.NewModelState();
Checkpoint.SaveLinear(state, Checkpoint.HiddenName, model.HiddenLayer);
model.Norm!.SaveStateDict(state, Checkpoint.NormName);          // norm.weight, .bias, .running_mean, .running_var, .num_batches_tracked
Checkpoint.SaveLinear(state, Checkpoint.OutputName, model.OutputLayer);
string checkpointPath = Checkpoint.DefaultPath(options.OutputDirectory);
state.Save(checkpointPath);
const int ProbeBatch = 8;
ReadOnlySpan<float> probeImages = test.Pixels.AsSpan(0, ProbeBatch * MnistData.Pixels);
ReadOnlySpan<float> probeLogits = model.Forward(probeImages, ProbeBatch); // still in inference mode
Checkpoint.Probe(ProbeBatch, probeImages, model.PreNorm(ProbeBatch), model.PostNorm(ProbeBatch), probeLogits, MnistData.Pixels, Mlp.Hidden, Classes)
    .Save(Checkpoint.ProbePath(checkpointPath));
Console.WriteLine($"Checkpoint:  {checkpointPath}");
Console.WriteLine($"             the model with BatchNorm as a PyTorch state dict: {string.Join(", ", state.Keys)}");
Console.WriteLine($"             (safetensors; loads into {Checkpoint.ModelDescription}; used by samples/BnGen.Samples.Inference)");
return 0;

/// <summary>One network, its optimizer and its per-epoch history.</summary>
internal sealed class Run
{
    private readonly Sgd _optimizer;
    private readonly Random _shuffle = new(11); // both runs see the batches in the same order
    private int[] _order = [];
    private float[] _x = [];
    private byte[] _labels = [];

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
    public List<double> TestLosses { get; } = new();
    public List<double> TestAccuracies { get; } = new();
    public double TotalSeconds { get; private set; }

    public void TrainEpoch(LabeledImages data, int batchSize)
    {
        if (_order.Length != data.Count)
        {
            _order = new int[data.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
            _x = new float[batchSize * MnistData.Pixels];
            _labels = new byte[batchSize];
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
                data.Image(i).CopyTo(_x.AsSpan(n * MnistData.Pixels));
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
}

/// <summary>Command-line options.</summary>
internal sealed record Options(int Epochs, double LearningRate, string OutputDirectory, int BatchSize, int TrainCount,
    string? DataDirectory)
{
    public static Options? Parse(string[] args)
    {
        int epochs = 10;
        double learningRate = 0.05;
        string output = Path.Combine("artifacts", "samples");
        string? data = null;
        int batch = 64, trainCount = int.MaxValue;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--epochs" when int.TryParse(value, CultureInfo.InvariantCulture, out int e) && e > 0: epochs = e; i++; break;
                case "--lr" when double.TryParse(value, CultureInfo.InvariantCulture, out double lr) && lr > 0: learningRate = lr; i++; break;
                case "--out" when value is not null: output = value; i++; break;
                case "--data" when value is not null: data = value; i++; break;
                case "--batch" when int.TryParse(value, CultureInfo.InvariantCulture, out int b) && b > 1: batch = b; i++; break;
                case "--train" when int.TryParse(value, CultureInfo.InvariantCulture, out int t) && t > 1: trainCount = t; i++; break;
                case "--quick": epochs = 3; trainCount = 2000; break;
                default:
                    Console.Error.WriteLine("usage: BnGen.Samples.Training [--epochs N] [--lr X] [--batch N] [--train N] [--data DIR] [--out DIR] [--quick]");
                    return null;
            }
        }
        return new Options(epochs, learningRate, output, batch, trainCount, data);
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
