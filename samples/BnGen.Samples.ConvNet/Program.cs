using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using BnGen.Samples.ConvNet;
using BnGen.Samples.Mnist;
using BnGen.Samples.Training;

// LeNet-5 with generated BatchNorm2d/BatchNorm1d layers, each with its ReLU fused (Activation = ReLU), on MNIST: train,
// then evaluate in inference mode; per epoch the accuracy, the time per step, and the share of the step spent in the
// batch-norm + ReLU layers. Then fold the four batch norms into the convolutions and linear layers before them
// (FoldInto), check that the folded network computes what the trained one computes in evaluation mode (the run fails if
// the logits differ by more than 1e-5 relative), and time both.
//
//   dotnet run -c Release --project samples/BnGen.Samples.ConvNet [-- --epochs N] [--train N] [--lr X] [--data DIR] [--quick]
//
// --data DIR: the official MNIST files in DIR (60,000 training images, the 10,000 test images held out) instead of the
// 10,000 digits shipped in samples/data (8,000 / 2,000).

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int epochs = 3, trainCount = int.MaxValue, batchSize = 32;
double learningRate = 0.01, momentum = 0.9;
string? dataDirectory = null;
bool quick = false;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--epochs" when int.TryParse(value, CultureInfo.InvariantCulture, out int e) && e > 0: epochs = e; i++; break;
        case "--train" when int.TryParse(value, CultureInfo.InvariantCulture, out int t) && t >= batchSize: trainCount = t; i++; break;
        case "--lr" when double.TryParse(value, CultureInfo.InvariantCulture, out double lr) && lr > 0: learningRate = lr; i++; break;
        case "--data" when value is not null: dataDirectory = value; i++; break;
        case "--quick": epochs = 1; trainCount = 2000; quick = true; break;
        default:
            Console.Error.WriteLine("usage: BnGen.Samples.ConvNet [--epochs N] [--train N] [--lr X] [--data DIR] [--quick]");
            return 1;
    }
}

MnistSplit data;
try
{
    data = MnistData.Load(dataDirectory);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
LabeledImages train = data.Train.Take(trainCount), test = data.Test;

const int Seed = 5;
var net = new LeNet(batchSize, Seed);
var optimizer = new Sgd(learningRate, momentum);
net.AddParametersTo(optimizer);

Console.WriteLine("BnGen ConvNet sample: LeNet-5 with BatchNorm2d(6), BatchNorm2d(16), BatchNorm1d(120), BatchNorm1d(84) (all generated)");
Console.WriteLine(data.Description);
Console.WriteLine($"{train.Count} training and {test.Count} held-out 1x28x28 images (conv1 pads to 32x32); batch {batchSize}, SGD lr {learningRate} momentum {momentum}, {epochs} epoch(s), seed {Seed}");
Console.WriteLine();
Console.WriteLine(" epoch |  loss    train  held-out | ms/step  BN+ReLU ms/step (share)");
Console.WriteLine("-------+--------------------------+----------------------------------");

var shuffle = new Random(Seed);
int[] order = new int[train.Count];
for (int i = 0; i < order.Length; i++) order[i] = i;
float[] x = new float[batchSize * LeNet.InputSize];
byte[] labels = new byte[batchSize];
bool interactive = !Console.IsOutputRedirected;
int stepsPerEpoch = train.Count / batchSize; // the last incomplete batch is dropped, as a DataLoader with drop_last does
for (int epoch = 1; epoch <= epochs; epoch++)
{
    shuffle.Shuffle(order);
    net.Training = true;
    net.NormReluTicks = 0;
    double lossSum = 0;
    int correct = 0;
    long start = Stopwatch.GetTimestamp();
    for (int step = 0; step < stepsPerEpoch; step++)
    {
        for (int n = 0; n < batchSize; n++)
        {
            int i = order[step * batchSize + n];
            train.Image(i).CopyTo(x.AsSpan(n * LeNet.InputSize));
            labels[n] = train.Labels[i];
        }
        lossSum += net.ForwardBackward(x, labels, batchSize, out int batchCorrect);
        optimizer.Step();
        correct += batchCorrect;
        if (interactive && step % 10 == 0)
            Console.Write($"\r  epoch {epoch}/{epochs}: step {step}/{stepsPerEpoch}, loss {lossSum / (step + 1):F4}   ");
    }
    double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    double normMs = net.NormReluTicks * 1000.0 / Stopwatch.Frequency;
    double heldOut = Evaluate(net, test, batchSize).Accuracy;
    if (interactive) Console.Write("\r" + new string(' ', 70) + "\r");
    Console.WriteLine($" {epoch,5} | {lossSum / stepsPerEpoch,6:F4}  {(double)correct / (stepsPerEpoch * batchSize),6:P1}  {heldOut,6:P1} | {elapsedMs / stepsPerEpoch,7:F2}  {normMs / stepsPerEpoch,7:F3} ({normMs / elapsedMs,5:P1})");
}
Console.WriteLine("(held-out: accuracy in inference mode, batch norm using its running statistics; BN+ReLU: the four fused");
Console.WriteLine(" batch-norm + ReLU layers, forward and backward)");
Console.WriteLine();
ConfusionMatrix final = Evaluate(net, test, batchSize);
Console.WriteLine($"held-out (inference mode): accuracy {final.Accuracy:P1}, macro-F1 {final.MacroF1:P1}");
Console.WriteLine();
return Folding.CompareAndTime(net, test, batchSize, rounds: quick ? 5 : 15) ? 0 : 3;

// The confusion matrix over a data set with the batch-norm layers in inference mode.
static ConfusionMatrix Evaluate(LeNet net, LabeledImages data, int batchSize)
{
    net.Training = false;
    var confusion = new ConfusionMatrix(LeNet.Classes);
    for (int first = 0; first < data.Count; first += batchSize)
    {
        int batch = Math.Min(batchSize, data.Count - first);
        ReadOnlySpan<float> logits = net.Forward(data.Pixels.AsSpan(first * LeNet.InputSize, batch * LeNet.InputSize), batch);
        confusion.AddBatch(logits, data.Labels.AsSpan(first, batch));
    }
    net.Training = true;
    return confusion;
}
