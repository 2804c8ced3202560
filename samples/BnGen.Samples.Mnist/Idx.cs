using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace BnGen.Samples.Mnist;

/// <summary>
/// Reads the IDX files of the MNIST database, raw or gzipped (recognized by the gzip signature 1F 8B, whatever the
/// file is called). An IDX file is a big-endian header — two zero bytes, a type code (0x08 = unsigned byte), the
/// number of dimensions, then each dimension as a 32-bit integer — followed by the values, last dimension fastest.
/// Images are magic 0x00000803 with dimensions [count, rows, columns]; labels are magic 0x00000801 with [count].
/// Every length is checked against the header: a wrong magic, a zero dimension, a truncated file or bytes after the
/// declared data give an <see cref="InvalidDataException"/> naming the file and the numbers.
/// </summary>
public static class Idx
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;

    /// <summary>The most (decompressed) bytes a file may hold: a corrupt or hostile gzip stream cannot exhaust memory.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Reads an image file; grey levels k (0..255) become k / 255f, in [0, 1].</summary>
    public static IdxImages ReadImages(string path)
    {
        using FileStream file = File.OpenRead(path);
        return ReadImages(file, path);
    }

    /// <summary>Reads an image file from a stream (raw or gzipped); <paramref name="name"/> is used in error messages.</summary>
    public static IdxImages ReadImages(Stream stream, string name)
    {
        byte[] content = ReadContent(stream, name);
        ReadOnlySpan<int> dims = ReadHeader(content, name, ImagesMagic, "image", expectedDimensions: 3, out int headerLength);
        int count = dims[0], rows = dims[1], columns = dims[2];
        // rows·columns < 2^62 cannot overflow; the product with count is only formed when it stays below MaxBytes.
        long perImage = (long)rows * columns;
        long expected = perImage <= MaxBytes / count ? perImage * count : long.MaxValue;
        CheckLength(content, headerLength, expected, name, $"{count} images of {rows}x{columns} pixels");
        ReadOnlySpan<byte> grey = content.AsSpan(headerLength);
        float[] pixels = GC.AllocateUninitializedArray<float>(grey.Length);
        // Division, not multiplication by 1/255: the same floats as torchvision's ToTensor() and Keras' x / 255.
        for (int i = 0; i < grey.Length; i++) pixels[i] = grey[i] / 255f;
        return new IdxImages(count, rows, columns, pixels);
    }

    /// <summary>Reads a label file: one byte per item.</summary>
    public static byte[] ReadLabels(string path)
    {
        using FileStream file = File.OpenRead(path);
        return ReadLabels(file, path);
    }

    /// <summary>Reads a label file from a stream (raw or gzipped); <paramref name="name"/> is used in error messages.</summary>
    public static byte[] ReadLabels(Stream stream, string name)
    {
        byte[] content = ReadContent(stream, name);
        ReadOnlySpan<int> dims = ReadHeader(content, name, LabelsMagic, "label", expectedDimensions: 1, out int headerLength);
        CheckLength(content, headerLength, dims[0], name, $"{dims[0]} labels");
        return content.AsSpan(headerLength).ToArray();
    }

    // The whole (decompressed) file. A MemoryStream grows with the bytes that really arrive, so a header that lies
    // about the size allocates nothing before the length check.
    private static byte[] ReadContent(Stream stream, string name)
    {
        byte[] signature = new byte[2];
        int got = stream.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        bool gzip = got == 2 && signature[0] == 0x1F && signature[1] == 0x8B;
        var content = new MemoryStream();
        try
        {
            if (gzip)
            {
                // The signature is part of the gzip stream: decompress from a stream that puts it back in front.
                using var decompressed = new GZipStream(new PrefixedStream(signature, stream), CompressionMode.Decompress);
                CopyBounded(decompressed, content, name);
            }
            else
            {
                content.Write(signature, 0, got);
                CopyBounded(stream, content, name);
            }
        }
        catch (InvalidDataException e) when (gzip)
        {
            throw new InvalidDataException($"'{name}' is not a valid gzip file: {e.Message}", e);
        }
        return content.ToArray();
    }

    private static void CopyBounded(Stream source, MemoryStream target, string name)
    {
        byte[] buffer = new byte[81920];
        int read;
        while ((read = source.Read(buffer)) > 0)
        {
            if (target.Length + read > MaxBytes)
                throw new InvalidDataException($"'{name}' holds more than {MaxBytes} bytes (decompressed): not an MNIST file.");
            target.Write(buffer, 0, read);
        }
    }

    private static ReadOnlySpan<int> ReadHeader(ReadOnlySpan<byte> content, string name, int magic, string kind,
        int expectedDimensions, out int headerLength)
    {
        if (content.Length < 4)
            throw new InvalidDataException($"'{name}' is not an IDX {kind} file: {content.Length} bytes, shorter than the 4-byte magic number.");
        int actual = BinaryPrimitives.ReadInt32BigEndian(content);
        if (actual != magic)
        {
            string hint = actual switch
            {
                ImagesMagic => " (that is an image file)",
                LabelsMagic => " (that is a label file)",
                _ when content[0] == (byte)'<' => " (it looks like an HTML page: was the download redirected?)",
                _ when (actual & unchecked((int)0xFFFF0000)) == 0 && content[2] != 0x08 => $" (values of type 0x{content[2]:X2}, not unsigned bytes)",
                _ => "",
            };
            throw new InvalidDataException(
                $"'{name}' is not an IDX {kind} file: magic number 0x{actual:X8}{hint}, expected 0x{magic:X8} " +
                $"(unsigned bytes, {expectedDimensions} dimension{(expectedDimensions == 1 ? "" : "s")}).");
        }
        headerLength = 4 + 4 * expectedDimensions;
        if (content.Length < headerLength)
            throw new InvalidDataException($"'{name}': the file ends inside the header ({content.Length} of {headerLength} bytes).");
        int[] dims = new int[expectedDimensions];
        for (int d = 0; d < dims.Length; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(content.Slice(4 + 4 * d));
            if (dims[d] <= 0)
                throw new InvalidDataException($"'{name}': dimension {d} of the header is {dims[d]}; every dimension must be positive.");
        }
        return dims;
    }

    private static void CheckLength(byte[] content, int headerLength, long expected, string name, string what)
    {
        long actual = content.Length - headerLength;
        if (expected > MaxBytes)
            throw new InvalidDataException($"'{name}': the header declares {what}, more than the {MaxBytes} bytes this reader accepts.");
        if (actual < expected)
            throw new InvalidDataException($"'{name}' is truncated: the header declares {what} ({expected} bytes), the file holds {actual}.");
        if (actual > expected)
            throw new InvalidDataException($"'{name}' has {actual - expected} bytes after the {what} ({expected} bytes) its header declares.");
    }

    /// <summary>A read-only stream that yields a few bytes already read, then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - _position);
                prefix.AsSpan(_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Images read from an IDX file: row-major [Count, Rows, Columns] grey levels in [0, 1].</summary>
public sealed class IdxImages(int count, int rows, int columns, float[] pixels)
{
    public int Count { get; } = count;
    public int Rows { get; } = rows;
    public int Columns { get; } = columns;
    public int PixelsPerImage => Rows * Columns;
    public float[] Pixels { get; } = pixels;

    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
}
