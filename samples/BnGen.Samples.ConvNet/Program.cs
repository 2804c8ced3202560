using System;
using System.Diagnostics;
using System.Globalization;
using BnGen.Samples.ConvNet;
using BnGen.Samples.Training;

// LeNet-5 with generated BatchNorm2d/BatchNorm1d layers on generated 3x32x32 glyph images: train, then evaluate in
// inference mode; per epoch the accuracy, the time per step, and the share of the step spent in batch norm.
//
//   dotnet run -c Release --project samples/BnGen.Samples.ConvNet [-- --epochs N] [--train N] [--quick]

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int epochs = 4, trainCount = 4000, batchSize = 32;
double learningRate = 0.02, momentum = 0.9;
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--epochs" when int.TryParse(value, CultureInfo.InvariantCulture, out int e) && e > 0: epochs = e; i++; break;
        case "--train" when int.TryParse(value, CultureInfo.InvariantCulture, out int t) && t >= batchSize: trainCount = t; i++; break;
        case "--lr" when double.TryParse(value, CultureInfo.InvariantCulture, out double lr) && lr > 0: learningRate = lr; i++; break;
        case "--quick": epochs = 2; trainCount = 2000; break;
        default:
            Console.Error.WriteLine("usage: BnGen.Samples.ConvNet [--epochs N] [--train N] [--lr X] [--quick]");
            return 1;
    }
}

const int Seed = 5, TestCount = 1000;
var train = new ImageData(trainCount, seed: 1);
var test = new ImageData(TestCount, seed: 2);
var net = new LeNet(batchSize, Seed);
var optimizer = new Sgd(learningRate, momentum);
net.AddParametersTo(optimizer);

Console.WriteLine($"BnGen ConvNet sample: LeNet-5 with BatchNorm2d(6), BatchNorm2d(16), BatchNorm1d(120), BatchNorm1d(84) (all generated)");
Console.WriteLine($"data: {train.Count} training and {test.Count} held-out 3x32x32 images of 10 glyph classes; batch {batchSize}, SGD lr {learningRate} momentum {momentum}, {epochs} epoch(s)");
Console.WriteLine();
Console.WriteLine(" epoch |  loss    train  held-out | ms/step  batch norm ms/step (share)");
Console.WriteLine("-------+--------------------------+-------------------------------------");

var shuffle = new Random(Seed);
int[] order = new int[train.Count];
for (int i = 0; i < order.Length; i++) order[i] = i;
float[] x = new float[batchSize * ImageData.ImageSize];
int[] labels = new int[batchSize];
bool interactive = !Console.IsOutputRedirected;
int stepsPerEpoch = train.Count / batchSize;
for (int epoch = 1; epoch <= epochs; epoch++)
{
    shuffle.Shuffle(order);
    net.Training = true;
    net.BatchNormTicks = 0;
    double lossSum = 0;
    int correct = 0;
    long start = Stopwatch.GetTimestamp();
    for (int step = 0; step < stepsPerEpoch; step++)
    {
        for (int n = 0; n < batchSize; n++)
        {
            int i = order[step * batchSize + n];
            train.X.AsSpan(i * ImageData.ImageSize, ImageData.ImageSize).CopyTo(x.AsSpan(n * ImageData.ImageSize));
            labels[n] = train.Labels[i];
        }
        lossSum += net.ForwardBackward(x, labels, batchSize, out int batchCorrect);
        optimizer.Step();
        correct += batchCorrect;
        if (interactive && step % 10 == 0)
            Console.Write($"\r  epoch {epoch}/{epochs}: step {step}/{stepsPerEpoch}, loss {lossSum / (step + 1):F4}   ");
    }
    double elapsedMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    double normMs = net.BatchNormTicks * 1000.0 / Stopwatch.Frequency;
    double heldOut = Evaluate(net, test, batchSize);
    if (interactive) Console.Write("\r" + new string(' ', 70) + "\r");
    Console.WriteLine($" {epoch,5} | {lossSum / stepsPerEpoch,6:F4}  {(double)correct / (stepsPerEpoch * batchSize),6:P1}  {heldOut,6:P1} | {elapsedMs / stepsPerEpoch,7:F2}  {normMs / stepsPerEpoch,7:F3} ({normMs / elapsedMs,5:P1})");
}
Console.WriteLine("(held-out: accuracy in inference mode, batch norm using its running statistics)");
Console.WriteLine();
Console.WriteLine($"final held-out accuracy (inference mode): {Evaluate(net, test, batchSize):P1}");
return 0;

// Accuracy over a data set with the batch-norm layers in inference mode.
static double Evaluate(LeNet net, ImageData data, int batchSize)
{
    net.Training = false;
    int correct = 0;
    for (int first = 0; first < data.Count; first += batchSize)
    {
        int batch = Math.Min(batchSize, data.Count - first);
        ReadOnlySpan<float> logits = net.Forward(data.X.AsSpan(first * ImageData.ImageSize, batch * ImageData.ImageSize), batch);
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * LeNet.Classes, LeNet.Classes);
            int best = 0;
            for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
            if (best == data.Labels[first + n]) correct++;
        }
    }
    net.Training = true;
    return (double)correct / data.Count;
}
