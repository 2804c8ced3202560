using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using BnGen.Samples.Mnist;
using Xunit;

namespace BnGen.Tests.Samples;

/// <summary>
/// The samples' MNIST data: the committed files in samples/data (checksums as in samples/data/README.md and
/// make-mnist.sh), the IDX reader on them and on broken files, the fixed 8,000 / 2,000 split, the official-file
/// layout behind --data, and macro-F1.
/// </summary>
public class MnistDataTests
{
    private static readonly int[] DigitsPerClass = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

    [Theory]
    [InlineData("images-idx3-ubyte.gz", "6147811c070e77823b67d8be7963f6ab00af77f5660c687bbdc8a3a1bc7b7459",
        "4e3355b0dd14bc12e53353f1d2789806361e6ef7350c92a8c5e778a74ea77696")]
    [InlineData("labels-idx1-ubyte.gz", "4098cd2f8985372bfe9d2755e944398058f46893cb54c15631c6343ae14199a9",
        "364de413ea4102745aa4d08a168e3501716cb789ace0f8b3033481882a00e25f")]
    public void Shipped_files_have_the_documented_checksums(string name, string gzipSha256, string idxSha256)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(DataDirectory(), name));
        Assert.Equal(gzipSha256, Convert.ToHexStringLower(SHA256.HashData(file)));
        Assert.Equal(idxSha256, Convert.ToHexStringLower(SHA256.HashData(Gunzip(file))));
        // The deterministic gzip header of mnist_to_idx.py: deflate, no flags, mtime 0, XFL 2, OS 255.
        Assert.Equal(new byte[] { 0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xFF }, file[..10]);
    }

    [Fact]
    public void Shipped_images_read_as_10000_digits_in_the_package_order()
    {
        LabeledImages all = MnistData.Read(Path.Combine(DataDirectory(), MnistData.ShippedImages),
            Path.Combine(DataDirectory(), MnistData.ShippedLabels));

        Assert.Equal(10_000, all.Count);
        Assert.Equal(10_000 * 784, all.Pixels.Length);
        Assert.Equal(DigitsPerClass, all.ClassCounts());
        // The package stores the digits class by class: 1001 zeros, then 1127 ones, ...
        Assert.True(all.Labels.AsSpan().SequenceEqual(DigitsPerClass.SelectMany((count, digit) => Enumerable.Repeat((byte)digit, count)).ToArray()));
        // Every pixel is a grey level k / 255 in [0, 1]; the totals are those of the IDX bytes (computed with Python).
        long sum = 0, nonZero = 0;
        foreach (float p in all.Pixels)
        {
            Assert.InRange(p, 0f, 1f);
            int k = (int)MathF.Round(p * 255f);
            Assert.Equal(k / 255f, p);
            sum += k;
            if (k != 0) nonZero++;
        }
        Assert.Equal(262_146_600, sum);
        Assert.Equal(1_502_215, nonZero);
        Assert.Equal(31_095, GreySum(all.Image(0)));
        Assert.Equal(19_255, GreySum(all.Image(9_999)));
    }

    [Fact]
    public void Raw_and_gzipped_files_read_the_same()
    {
        string images = Path.Combine(DataDirectory(), MnistData.ShippedImages);
        IdxImages fromGzip = Idx.ReadImages(images);
        IdxImages fromRaw = Idx.ReadImages(new MemoryStream(Gunzip(File.ReadAllBytes(images))), "raw");
        Assert.Equal((10_000, 28, 28), (fromRaw.Count, fromRaw.Rows, fromRaw.Columns));
        Assert.True(fromGzip.Pixels.AsSpan().SequenceEqual(fromRaw.Pixels));

        string labels = Path.Combine(DataDirectory(), MnistData.ShippedLabels);
        Assert.Equal(Idx.ReadLabels(labels), Idx.ReadLabels(new MemoryStream(Gunzip(File.ReadAllBytes(labels))), "raw"));
    }

    [Fact]
    public void Shipped_split_is_8000_and_2000_disjoint_complete_and_fixed()
    {
        MnistSplit split = MnistData.LoadShipped(DataDirectory());
        MnistSplit again = MnistData.LoadShipped(DataDirectory());

        Assert.Equal(8_000, split.Train.Count);
        Assert.Equal(2_000, split.Test.Count);
        int[] together = split.Train.ClassCounts().Zip(split.Test.ClassCounts(), (a, b) => a + b).ToArray();
        Assert.Equal(DigitsPerClass, together);
        // The seeded shuffle (seed 1) holds out these digits per class (samples/data/README.md).
        Assert.Equal([174, 236, 180, 218, 197, 197, 195, 208, 196, 199], split.Test.ClassCounts());
        Assert.True(split.Train.Pixels.AsSpan().SequenceEqual(again.Train.Pixels));
        Assert.Equal(split.Test.Labels, again.Test.Labels);

        // The two parts hold exactly the shipped images (as a multiset): nothing lost, nothing repeated.
        LabeledImages all = MnistData.Read(Path.Combine(DataDirectory(), MnistData.ShippedImages),
            Path.Combine(DataDirectory(), MnistData.ShippedLabels));
        var remaining = new Dictionary<string, int>();
        for (int i = 0; i < all.Count; i++) remaining[Key(all, i)] = remaining.GetValueOrDefault(Key(all, i)) + 1;
        foreach (LabeledImages part in new[] { split.Train, split.Test })
        {
            for (int i = 0; i < part.Count; i++)
            {
                string key = Key(part, i);
                Assert.True(remaining.GetValueOrDefault(key) > 0, $"image {i} of a split part is not (or no longer) in the shipped set");
                remaining[key]--;
            }
        }
        Assert.All(remaining.Values, count => Assert.Equal(0, count));
    }

    [Fact]
    public void Official_layout_loads_raw_or_gzipped_files_and_names_what_is_missing()
    {
        string directory = Directory.CreateTempSubdirectory("bngen-mnist-").FullName;
        try
        {
            var missing = Assert.Throws<FileNotFoundException>(() => MnistData.LoadOfficial(directory));
            Assert.Contains("train-images-idx3-ubyte.gz nor train-images-idx3-ubyte", missing.Message);

            File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), ImageFile(3, 28, 28));
            File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte.gz"), Gzip(LabelFile(3)));
            File.WriteAllBytes(Path.Combine(directory, "t10k-images-idx3-ubyte.gz"), Gzip(ImageFile(2, 28, 28)));
            missing = Assert.Throws<FileNotFoundException>(() => MnistData.LoadOfficial(directory));
            Assert.Contains("t10k-labels-idx1-ubyte.gz nor t10k-labels-idx1-ubyte", missing.Message);

            File.WriteAllBytes(Path.Combine(directory, "t10k-labels-idx1-ubyte"), LabelFile(2));
            MnistSplit split = MnistData.LoadOfficial(directory);
            Assert.Equal(3, split.Train.Count);
            Assert.Equal(2, split.Test.Count);
            Assert.Equal([0, 1, 2], split.Train.Labels);
            Assert.Equal(ImagePixel(2, 27, 27) / 255f, split.Train.Pixels[2 * 784 + 27 * 28 + 27]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Broken_files_give_clear_errors()
    {
        byte[] images = ImageFile(2, 28, 28);
        byte[] labels = LabelFile(2);

        Assert.Contains("(that is a label file), expected 0x00000803", ReadImagesError(labels));
        Assert.Contains("(that is an image file), expected 0x00000801", ReadLabelsError(images));
        Assert.Contains("looks like an HTML page", ReadImagesError("<!DOCTYPE html><html></html>"u8.ToArray()));
        Assert.Contains("values of type 0x0D", ReadImagesError([0, 0, 0x0D, 3, 0, 0, 0, 1]));
        Assert.Contains("shorter than the 4-byte magic number", ReadImagesError([0, 0]));
        Assert.Contains("ends inside the header (12 of 16 bytes)", ReadImagesError(images[..12]));
        Assert.Contains("is truncated: the header declares 2 images of 28x28 pixels (1568 bytes), the file holds 1567",
            ReadImagesError(images[..^1]));
        Assert.Contains("has 1 bytes after the 2 labels (2 bytes)", ReadLabelsError([.. labels, 7]));

        byte[] zeroRows = (byte[])images.Clone();
        BinaryPrimitives.WriteInt32BigEndian(zeroRows.AsSpan(8), 0);
        Assert.Contains("dimension 1 of the header is 0", ReadImagesError(zeroRows));

        // A header that declares far more than the file holds: a clear error, and no allocation of the declared size.
        byte[] lying = (byte[])images.Clone();
        BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(4), int.MaxValue);
        Assert.Contains($"declares {int.MaxValue} images of 28x28 pixels, more than the", ReadImagesError(lying));
        BinaryPrimitives.WriteInt32BigEndian(lying.AsSpan(4), 1_000_000);
        Assert.Contains("is truncated: the header declares 1000000 images of 28x28 pixels (784000000 bytes), the file holds 1568",
            ReadImagesError(Gzip(lying)));

        byte[] corrupt = Gzip(images);
        corrupt[^5] ^= 0xFF; // the CRC-32 no longer matches
        Assert.Contains("'test' is not a valid gzip file", ReadImagesError(corrupt));
    }

    [Fact]
    public void Mnist_checks_that_images_and_labels_belong_together()
    {
        string directory = Directory.CreateTempSubdirectory("bngen-mnist-").FullName;
        try
        {
            string images = Path.Combine(directory, "images"), labels = Path.Combine(directory, "labels");
            File.WriteAllBytes(images, ImageFile(3, 28, 28));
            File.WriteAllBytes(labels, LabelFile(2));
            Assert.Contains("holds 2 labels but", Assert.Throws<InvalidDataException>(() => MnistData.Read(images, labels)).Message);

            byte[] badLabel = LabelFile(3);
            badLabel[^1] = 10;
            File.WriteAllBytes(labels, badLabel);
            Assert.Contains("label 2 is 10; MNIST labels are 0..9", Assert.Throws<InvalidDataException>(() => MnistData.Read(images, labels)).Message);

            File.WriteAllBytes(images, ImageFile(3, 32, 32));
            File.WriteAllBytes(labels, LabelFile(3));
            Assert.Contains("holds 32x32 images; MNIST digits are 28x28", Assert.Throws<InvalidDataException>(() => MnistData.Read(images, labels)).Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Macro_F1_is_the_mean_of_the_per_class_F1_scores()
    {
        // y_true = [0, 0, 1, 1, 2, 2], y_pred = [0, 1, 1, 1, 2, 0]; class 3 never occurs and is never predicted.
        var confusion = new ConfusionMatrix(4);
        int[] actual = [0, 0, 1, 1, 2, 2], predicted = [0, 1, 1, 1, 2, 0];
        for (int i = 0; i < actual.Length; i++) confusion.Add(actual[i], predicted[i]);

        Assert.Equal(4.0 / 6, confusion.Accuracy, 15);
        Assert.Equal(2.0 / 4, confusion.F1(0), 15);   // TP 1, FP 1, FN 1
        Assert.Equal(4.0 / 5, confusion.F1(1), 15);   // TP 2, FP 1, FN 0
        Assert.Equal(2.0 / 3, confusion.F1(2), 15);   // TP 1, FP 0, FN 1
        Assert.Equal(0.0, confusion.F1(3));
        Assert.Equal((0.5 + 0.8 + 2.0 / 3 + 0) / 4, confusion.MacroF1, 15);

        var batch = new ConfusionMatrix(3);
        batch.AddBatch([0.1f, 0.7f, 0.2f, 0.9f, 0.0f, 0.9f], [1, 2]); // arg-max 1 and, on a tie, the first: 0
        Assert.Equal((1, 1, 2), (batch[1, 1], batch[2, 0], batch.Total));
    }

    private static string ReadImagesError(byte[] content) =>
        Assert.Throws<InvalidDataException>(() => Idx.ReadImages(new MemoryStream(content), "test")).Message;

    private static string ReadLabelsError(byte[] content) =>
        Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(new MemoryStream(content), "test")).Message;

    private static byte ImagePixel(int image, int row, int column) => (byte)((image * 31 + row * 7 + column * 3) % 256);

    private static byte[] ImageFile(int count, int rows, int columns)
    {
        byte[] file = new byte[16 + count * rows * columns];
        BinaryPrimitives.WriteInt32BigEndian(file, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(12), columns);
        int i = 16;
        for (int n = 0; n < count; n++)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                    file[i++] = ImagePixel(n, r, c);
        return file;
    }

    private static byte[] LabelFile(int count)
    {
        byte[] file = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(file, 0x00000801);
        BinaryPrimitives.WriteInt32BigEndian(file.AsSpan(4), count);
        for (int n = 0; n < count; n++) file[8 + n] = (byte)(n % 10);
        return file;
    }

    private static long GreySum(ReadOnlySpan<float> image)
    {
        long sum = 0;
        foreach (float p in image) sum += (int)MathF.Round(p * 255f);
        return sum;
    }

    private static string Key(LabeledImages data, int index) =>
        data.Labels[index] + ":" + Convert.ToHexString(SHA256.HashData(MemoryMarshal.AsBytes(data.Image(index))));

    private static byte[] Gzip(byte[] data)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static string DataDirectory([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "samples", "data"));
}
