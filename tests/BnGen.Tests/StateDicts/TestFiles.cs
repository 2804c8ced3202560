using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace BnGen.Tests.StateDicts;

/// <summary>Builds safetensors bytes by hand (never through BnGen's writer) and reads them back in both stream modes.</summary>
internal static class TestFiles
{
    /// <summary>8-byte little-endian size of the header as given (no padding added), the header's UTF-8, then the data.</summary>
    public static byte[] Build(string header, params byte[] data) => Build(Encoding.UTF8.GetBytes(header), data);

    public static byte[] Build(byte[] header, byte[] data)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    /// <summary>Bytes written by BnGen's writer.</summary>
    public static byte[] Save(StateDict state)
    {
        using var stream = new MemoryStream();
        state.Save(stream);
        return stream.ToArray();
    }

    public static StateDict LoadSeekable(byte[] file) => StateDict.Load(new MemoryStream(file, writable: false));

    public static StateDict LoadNonSeekable(byte[] file, int maxChunk = int.MaxValue) => StateDict.Load(new ForwardOnlyStream(file, maxChunk));

    /// <summary>Loads through a seekable and a non-seekable stream; both must agree on the exception's type and message.</summary>
    public static InvalidDataException AssertInvalid(byte[] file)
    {
        var seekable = Assert.Throws<InvalidDataException>(() => LoadSeekable(file));
        var forward = Assert.Throws<InvalidDataException>(() => LoadNonSeekable(file, 3));
        Assert.Equal(seekable.Message, forward.Message);
        return seekable;
    }

    /// <summary>The same names, dtypes, shapes, bytes (in order) and metadata.</summary>
    public static void AssertSame(StateDict expected, StateDict actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (string key in expected.Keys)
        {
            Assert.Equal(expected[key].DTypeName, actual[key].DTypeName);
            Assert.Equal(expected[key].Shape, actual[key].Shape);
            Assert.Equal(expected[key].Data.ToArray(), actual[key].Data.ToArray());
        }

        Assert.Equal(expected.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    public static byte[] Bytes(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }

        return bytes;
    }
}

/// <summary>A read-only stream over bytes that cannot seek and hands out at most <c>maxChunk</c> bytes per read.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes, int maxChunk = int.MaxValue) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = Math.Min(Math.Min(buffer.Length, maxChunk), bytes.Length - _position);
        bytes.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
