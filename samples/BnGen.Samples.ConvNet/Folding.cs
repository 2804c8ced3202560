using System;
using System.Collections.Generic;
using System.Diagnostics;
using BnGen.Samples.Mnist;

namespace BnGen.Samples.ConvNet;

/// <summary>
/// The folding part of the sample: the trained network in evaluation mode against its folded copy (<see cref="LeNet.Fold"/>)
/// on the held-out images, value by value, then both timed per image.
/// </summary>
internal static class Folding
{
    /// <summary>The largest difference allowed between the two networks' logits, relative to the image's largest logit.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>Prints the comparison and the timing; false when the logits differ by more than <see cref="Tolerance"/>.</summary>
    public static bool CompareAndTime(LeNet net, LabeledImages test, int batchSize, int rounds)
    {
        net.Training = false;
        FoldedLeNet folded = net.Fold(batchSize);
        Console.WriteLine("Folded: each batch norm's evaluation transform folded into the layer before it (FoldInto: conv1, conv2, fc1, fc2;");
        Console.WriteLine("PyTorch's fuse_conv_bn_eval / fuse_linear_bn_eval), the ReLU applied as that layer writes its output.");

        // 1. The same logits, image by image: the largest difference relative to the image's largest |logit|.
        double maxDiff = 0, maxRelative = 0;
        int disagreements = 0;
        for (int first = 0; first < test.Count; first += batchSize)
        {
            int batch = Math.Min(batchSize, test.Count - first);
            ReadOnlySpan<float> pixels = test.Pixels.AsSpan(first * LeNet.InputSize, batch * LeNet.InputSize);
            float[] reference = net.Forward(pixels, batch).ToArray();
            ReadOnlySpan<float> logits = folded.Forward(pixels, batch);
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<float> a = reference.AsSpan(n * LeNet.Classes, LeNet.Classes), b = logits.Slice(n * LeNet.Classes, LeNet.Classes);
                double diff = 0, scale = 0;
                for (int k = 0; k < LeNet.Classes; k++)
                {
                    diff = Math.Max(diff, Math.Abs((double)a[k] - b[k]));
                    scale = Math.Max(scale, Math.Abs(a[k]));
                }
                maxDiff = Math.Max(maxDiff, diff);
                maxRelative = Math.Max(maxRelative, diff == 0 ? 0 : diff / scale);
                disagreements += ArgMax(a) == ArgMax(b) ? 0 : 1;
            }
        }
        bool ok = maxRelative <= Tolerance;
        Console.WriteLine($"  {test.Count} held-out images: max |logit difference| {maxDiff:G3}, relative to the image's largest |logit| {maxRelative:G3} (allowed {Tolerance:G1}): {(ok ? "OK" : "FAIL")}");
        Console.WriteLine($"  predicted classes that differ: {disagreements}");

        // 2. Time per image, the two networks interleaved round by round on the same images; medians.
        int images = Math.Min(test.Count, 512) / batchSize * batchSize;
        if (images == 0)
        {
            net.Training = true;
            return ok;
        }
        var unfoldedMs = new List<double>();
        var foldedMs = new List<double>();
        Run(net.Forward, test, images, batchSize); // warm-up, both
        Run(folded.Forward, test, images, batchSize);
        for (int r = 0; r < rounds; r++)
        {
            unfoldedMs.Add(Run(net.Forward, test, images, batchSize) / images);
            foldedMs.Add(Run(folded.Forward, test, images, batchSize) / images);
        }
        double unfolded = Median(unfoldedMs), foldedMedian = Median(foldedMs);
        Console.WriteLine($"  inference, batch {batchSize}, {images} images x {rounds} rounds (interleaved, medians): trained network {unfolded:F4} ms/image, folded {foldedMedian:F4} ms/image, speed-up {unfolded / foldedMedian:F2}x");
        net.Training = true;
        return ok;
    }

    private delegate ReadOnlySpan<float> Network(ReadOnlySpan<float> images, int batch);

    /// <summary>Milliseconds for one pass over the first <paramref name="images"/> images.</summary>
    private static double Run(Network forward, LabeledImages test, int images, int batchSize)
    {
        long start = Stopwatch.GetTimestamp();
        float sink = 0;
        for (int first = 0; first < images; first += batchSize)
        {
            sink += forward(test.Pixels.AsSpan(first * LeNet.InputSize, batchSize * LeNet.InputSize), batchSize)[0];
        }
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return float.IsNaN(sink) ? double.NaN : ms;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best]) best = k;
        }
        return best;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
