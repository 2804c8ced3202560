// Quickstart: two generated layers, a few training steps on generated data, then inference.
using System;
using System.Globalization;
using System.Linq;
using BnGen.Samples.Quickstart;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var random = new Random(42);
static string Show(ReadOnlySpan<float> values) => string.Join(", ", values.ToArray().Select(v => v.ToString("F4")));

// A dense layer's output: batch 8, 4 features with different means and spreads.
var hidden = new HiddenNorm();
const int batch = 8;
float[] x = new float[batch * HiddenNorm.Features];
float[] y = new float[x.Length];
float[] dy = new float[x.Length];
float[] dx = new float[x.Length];
for (int step = 1; step <= 5; step++)
{
    for (int n = 0; n < batch; n++)
    {
        for (int f = 0; f < HiddenNorm.Features; f++)
        {
            x[n * HiddenNorm.Features + f] = (float)(10 * f + (f + 1) * NextGaussian(random));
        }
    }
    hidden.Forward(x, y, batch);
    // Loss = Σ y · target with a fixed target: its gradient with respect to y is the target itself.
    for (int i = 0; i < dy.Length; i++) dy[i] = (i % 3) - 1;
    hidden.Backward(x, dy, dx, batch);
    // A plain SGD step on γ and β.
    for (int f = 0; f < HiddenNorm.Features; f++)
    {
        hidden.Weight[f] -= 0.1f * hidden.WeightGrad[f];
        hidden.Bias[f] -= 0.1f * hidden.BiasGrad[f];
    }
    Console.WriteLine($"step {step}: first row y = [{Show(y.AsSpan(0, HiddenNorm.Features))}]");
}
Console.WriteLine($"HiddenNorm running mean = [{Show(hidden.RunningMean)}]");
Console.WriteLine($"HiddenNorm running var  = [{Show(hidden.RunningVar)}]  after {hidden.NumBatchesTracked} batches");
Console.WriteLine($"HiddenNorm weight       = [{Show(hidden.Weight)}]");

// Inference on a single sample uses the running statistics.
hidden.Training = false;
float[] one = [0f, 10f, 20f, 30f];
float[] oneOut = new float[4];
hidden.Forward(one, oneOut, 1);
Console.WriteLine($"HiddenNorm eval of [0, 10, 20, 30] = [{Show(oneOut)}]");

// Images: batch 2, 3 channels, 4x4.
var image = new ImageNorm();
float[] img = new float[2 * ImageNorm.Features * 4 * 4];
for (int i = 0; i < img.Length; i++) img[i] = (float)(100 + NextGaussian(random));
float[] imgOut = new float[img.Length];
for (int step = 0; step < 3; step++) image.Forward(img, imgOut, 2, 4, 4);
Console.WriteLine($"ImageNorm running mean = [{Show(image.RunningMean)}], running var = [{Show(image.RunningVar)}]");
Console.WriteLine($"ImageNorm output mean of channel 0 = {imgOut.Take(16).Concat(imgOut.Skip(48).Take(16)).Average():F6} (≈ 0)");

static double NextGaussian(Random random)
    => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
