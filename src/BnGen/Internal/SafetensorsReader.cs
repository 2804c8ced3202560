using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace BnGen.Internal;

/// <summary>
/// Reads the safetensors format with the checks of the reference reader (huggingface/safetensors, <c>tensor.rs</c>,
/// <c>SafeTensors::read_metadata</c> and <c>Metadata::validate</c>) and a few more (duplicate or unknown fields). Every
/// malformed input is an <see cref="InvalidDataException"/> whose message starts with "Invalid safetensors file:" and
/// names the key. Allocations follow the bytes that really exist: a seekable stream's length is checked before anything
/// is allocated from a size the header claims, and a non-seekable stream is read in growing chunks.
/// </summary>
internal static class SafetensorsReader
{
    /// <summary>The largest header the reference accepts (<c>MAX_HEADER_SIZE</c>: 100,000,000 bytes).</summary>
    public const int MaxHeaderSize = 100_000_000;

    /// <summary>The first allocation for data of unknown true length (non-seekable streams); it doubles as bytes arrive.</summary>
    private const int FirstChunk = 1 << 16;

    private static readonly JsonReaderOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 64,
    };

    /// <summary>One tensor of the header, then its bytes.</summary>
    private struct Entry
    {
        public string Name;
        public SafetensorsDType DType;
        public long[] Shape;
        public long ElementCount;
        public long Begin;
        public long End;
        public byte[] Data;
    }

    /// <summary>Reads a whole file from the stream's position to its end; see <see cref="StateDict.Load(Stream)"/>.</summary>
    public static StateDict Read(Stream stream)
    {
        bool seekable = stream.CanSeek;
        long available = seekable ? Math.Max(0, stream.Length - stream.Position) : -1;

        // The 8-byte little-endian header size.
        Span<byte> prefix = stackalloc byte[8];
        int got = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        if (got < 8)
        {
            throw Invalid($"the file is {got} bytes long, shorter than the 8-byte header size that starts a safetensors file.");
        }

        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerSize > MaxHeaderSize)
        {
            throw Invalid($"the header size (the first 8 bytes, little-endian) is {headerSize} bytes, more than the {MaxHeaderSize:N0} bytes the format allows.");
        }

        if (seekable && (long)headerSize > available - 8)
        {
            throw HeaderTruncated(headerSize, available - 8);
        }

        byte[]? header = ReadBlock(stream, (long)headerSize, seekable, "(the header)", out long headerRead);
        if (header is null)
        {
            throw HeaderTruncated(headerSize, headerRead);
        }

        (List<Entry> entries, List<KeyValuePair<string, string>>? metadata) = ParseHeader(header);
        header = null;   // the header's bytes are not needed once parsed: let them go before the data is read
        int[] order = OffsetOrder(entries);
        long dataSize = CheckCoverage(entries, order);
        if (seekable)
        {
            long rest = available - 8 - (long)headerSize;
            if (rest < dataSize)
            {
                throw Invalid($"the tensors' data_offsets end at byte {dataSize} of the data buffer, but only {rest} bytes follow the header: the file is truncated.");
            }

            if (rest > dataSize)
            {
                throw Invalid($"{rest} bytes follow the header, but the tensors' data_offsets end at byte {dataSize}: the last {rest - dataSize} bytes belong to no tensor.");
            }
        }

        // The data, tensor by tensor in the order of the buffer.
        Span<Entry> span = CollectionsMarshal.AsSpan(entries);
        foreach (int k in order)
        {
            ref Entry entry = ref span[k];
            long size = entry.End - entry.Begin;
            if (seekable && size > Array.MaxLength)
            {
                throw TensorTooLarge(entry.Name, size);
            }

            entry.Data = ReadBlock(stream, size, seekable, entry.Name, out long read)
                ?? throw Invalid($"the file ends {size - read} bytes before the end of tensor '{entry.Name}' (data_offsets [{entry.Begin}, {entry.End}]): it is truncated.");
        }

        if (!seekable && HasMore(stream))
        {
            throw Invalid($"more bytes follow the end of the last tensor's data (byte {dataSize} of the data buffer): they belong to no tensor.");
        }

        var state = new StateDict(entries.Count);
        foreach (ref Entry entry in span)
        {
            state.AddLoaded(entry.Name, new StateTensor(entry.DType, entry.Shape, entry.ElementCount, entry.Data));
        }

        if (metadata is not null)
        {
            foreach (KeyValuePair<string, string> pair in metadata)
            {
                state.Metadata.Add(pair.Key, pair.Value);
            }
        }

        return state;
    }

    /// <summary>
    /// Reads exactly <paramref name="size"/> bytes, or returns null (with the count read) when the stream ends first.
    /// A seekable stream's size was checked against its length: one exact allocation. Otherwise the buffer starts at
    /// <see cref="FirstChunk"/> and doubles while bytes keep arriving, so a claimed size never allocates by itself.
    /// </summary>
    private static byte[]? ReadBlock(Stream stream, long size, bool seekable, string name, out long read)
    {
        if (size == 0)
        {
            read = 0;
            return [];
        }

        int capacity = (int)(seekable ? size : Math.Min(size, FirstChunk));
        var buffer = new byte[capacity];
        int filled = 0;
        while (true)
        {
            filled += stream.ReadAtLeast(buffer.AsSpan(filled), buffer.Length - filled, throwOnEndOfStream: false);
            read = filled;
            if (filled < buffer.Length)
            {
                return null;
            }

            if (filled == size)
            {
                return buffer;
            }

            // Only reached for a non-seekable stream: the bytes are really there, so growing is bounded by them.
            if (buffer.Length == Array.MaxLength)
            {
                if (!HasMore(stream))
                {
                    return null;
                }

                throw TensorTooLarge(name, size);
            }

            Array.Resize(ref buffer, (int)Math.Min(size, Math.Min(2L * buffer.Length, Array.MaxLength)));
        }
    }

    /// <summary>Whether the stream holds another byte (which is then consumed).</summary>
    private static bool HasMore(Stream stream)
    {
        Span<byte> one = stackalloc byte[1];
        return stream.Read(one) == 1;
    }

    private static (List<Entry> Entries, List<KeyValuePair<string, string>>? Metadata) ParseHeader(byte[] header)
    {
        if (!Utf8.IsValid(header))
        {
            throw Invalid($"the header is not valid UTF-8 (the first invalid sequence is at byte {FirstInvalidUtf8(header)} of the header).");
        }

        var entries = new List<Entry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        List<KeyValuePair<string, string>>? metadata = null;
        bool sawMetadata = false;
        var shape = new List<long>();
        var reader = new Utf8JsonReader(header, JsonOptions);
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid($"the header is not a JSON object: it starts with {Describe(ref reader)}.");
            }

            // One property per tensor, plus "__metadata__".
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string name = reader.GetString()!;
                if (name == StateDict.MetadataKey)
                {
                    if (sawMetadata)
                    {
                        throw Invalid($"the header has two \"__metadata__\" entries.");
                    }

                    sawMetadata = true;
                    metadata = ParseMetadata(ref reader);
                    continue;
                }

                if (!names.Add(name))
                {
                    throw Invalid($"the header has two entries for tensor '{name}'.");
                }

                entries.Add(ParseTensor(ref reader, name, shape));
            }

            // The object closed (anything else made the JSON reader throw); only whitespace may follow it.
            if (reader.Read())
            {
                throw Invalid($"the header holds more than one JSON value: {Describe(ref reader)} follows the object.");
            }
        }
        catch (JsonException e)
        {
            throw Invalid($"the header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString on an escaped lone surrogate ("\ud800"), which is not a string in UTF-16 or UTF-8.
            throw Invalid($"the header is not valid JSON: {e.Message}", e);
        }

        return (entries, metadata);
    }

    private static List<KeyValuePair<string, string>>? ParseMetadata(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            // The reference reads "__metadata__" as Option<HashMap<String, String>>: null means none.
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"\"__metadata__\" must be an object of strings, but it is {Describe(ref reader)}.");
        }

        var metadata = new List<KeyValuePair<string, string>>();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        // One string per key.
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            if (!keys.Add(key))
            {
                throw Invalid($"\"__metadata__\" has two entries for '{key}'.");
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid($"metadata entry '{key}' is {Describe(ref reader)}; safetensors metadata values must be strings.");
            }

            metadata.Add(new(key, reader.GetString()!));
        }

        return metadata;
    }

    private static Entry ParseTensor(ref Utf8JsonReader reader, string name, List<long> shape)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid($"the entry of tensor '{name}' is {Describe(ref reader)}, not an object with \"dtype\", \"shape\" and \"data_offsets\".");
        }

        SafetensorsDType? dtype = null;
        long[]? dims = null;
        long begin = -1;
        long end = -1;
        // The fields, each exactly once, in any order.
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("dtype"u8))
            {
                CheckOnce(dtype is null, name, "dtype");
                reader.Read();
                dtype = ParseDType(ref reader, name);
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                CheckOnce(dims is null, name, "shape");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw Invalid($"the \"shape\" of tensor '{name}' is {Describe(ref reader)}, not an array of non-negative integers.");
                }

                shape.Clear();
                // One number per dimension.
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    shape.Add(ParseNonNegative(ref reader, name, "shape"));
                }

                dims = shape.ToArray();
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                CheckOnce(begin < 0, name, "data_offsets");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw Invalid($"the \"data_offsets\" of tensor '{name}' is {Describe(ref reader)}, not an array [begin, end].");
                }

                reader.Read();
                begin = ParseNonNegative(ref reader, name, "data_offsets");
                reader.Read();
                end = ParseNonNegative(ref reader, name, "data_offsets");
                reader.Read();
                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    throw Invalid($"the \"data_offsets\" of tensor '{name}' has more than two numbers; it must be [begin, end].");
                }
            }
            else
            {
                throw Invalid($"the entry of tensor '{name}' has an unknown field '{reader.GetString()}'; a tensor entry has exactly \"dtype\", \"shape\" and \"data_offsets\".");
            }
        }

        if (dtype is null || dims is null || begin < 0)
        {
            string missing = dtype is null ? "dtype" : dims is null ? "shape" : "data_offsets";
            throw Invalid($"the entry of tensor '{name}' has no \"{missing}\".");
        }

        // The element count as the reference computes it: a running product that must not overflow 64 unsigned bits,
        // even when a later dimension is 0. Beyond 2^63 - 1 elements the size in bits overflows for every dtype.
        ulong product = 1;
        foreach (long dim in dims)
        {
            if (dim != 0 && product > ulong.MaxValue / (ulong)dim)
            {
                throw Invalid($"tensor '{name}' has shape {StateTensor.FormatShape(dims)}, whose element count overflows.");
            }

            product *= (ulong)dim;
        }

        long count = product <= long.MaxValue ? (long)product : -1;
        long byteCount = count < 0 ? SafetensorsDTypes.Overflow : SafetensorsDTypes.ByteCount(dtype, count);
        if (byteCount == SafetensorsDTypes.Overflow)
        {
            throw Invalid($"tensor '{name}' has shape {StateTensor.FormatShape(dims)} of {dtype.Name}, whose size in bytes overflows.");
        }

        if (byteCount == SafetensorsDTypes.NotWholeBytes)
        {
            throw Invalid($"tensor '{name}' has shape {StateTensor.FormatShape(dims)} of {dtype.Name} ({dtype.Bits} bits each), which is not a whole number of bytes.");
        }

        if (end < begin)
        {
            throw Invalid($"tensor '{name}' has data_offsets [{begin}, {end}]: the end is before the beginning.");
        }

        if (end - begin != byteCount)
        {
            throw Invalid($"tensor '{name}' is {dtype.Name} of shape {StateTensor.FormatShape(dims)}, {byteCount} bytes, but its data_offsets [{begin}, {end}] span {end - begin} bytes.");
        }

        return new Entry { Name = name, DType = dtype, Shape = dims, ElementCount = count, Begin = begin, End = end };
    }

    private static SafetensorsDType ParseDType(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw Invalid($"the \"dtype\" of tensor '{name}' is {Describe(ref reader)}, not a string such as \"F32\".");
        }

        foreach (SafetensorsDType dtype in SafetensorsDTypes.All)
        {
            if (reader.ValueTextEquals(dtype.Utf8Name))
            {
                return dtype;
            }
        }

        throw Invalid($"tensor '{name}' has dtype '{reader.GetString()}', which is not a safetensors dtype (F64, F32, F16, BF16, I64, I32, U8, BOOL, ...; names are case-sensitive).");
    }

    /// <summary>A JSON integer in [0, 2^63 - 1]: digits only (no sign, fraction or exponent), as serde reads a usize.</summary>
    private static long ParseNonNegative(ref Utf8JsonReader reader, string name, string field)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw Invalid($"the \"{field}\" of tensor '{name}' holds {Describe(ref reader)}; it must hold non-negative integers.");
        }

        ReadOnlySpan<byte> text = reader.ValueSpan;
        long value = 0;
        foreach (byte digit in text)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                throw Invalid($"the \"{field}\" of tensor '{name}' holds {Encoding.UTF8.GetString(text)}, which is not a non-negative integer.");
            }

            if (value > (long.MaxValue - (digit - '0')) / 10)
            {
                throw Invalid($"the \"{field}\" of tensor '{name}' holds {Encoding.UTF8.GetString(text)}, more than 2^63 - 1.");
            }

            value = (value * 10) + (digit - '0');
        }

        return value;
    }

    /// <summary>
    /// The entries' indexes in the order of their data: by begin, then end (as the reference sorts them), then the
    /// header's order (two empty tensors may share an offset).
    /// </summary>
    private static int[] OffsetOrder(List<Entry> entries)
    {
        var keys = new (long Begin, long End, int Index)[entries.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = (entries[i].Begin, entries[i].End, i);
        }

        Array.Sort(keys);
        var order = new int[keys.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            order[i] = keys[i].Index;
        }

        return order;
    }

    /// <summary>The buffer must be covered from byte 0 without holes or overlaps; returns its size.</summary>
    private static long CheckCoverage(List<Entry> entries, int[] order)
    {
        long expected = 0;
        string? previous = null;
        foreach (int k in order)
        {
            Entry entry = entries[k];
            if (entry.Begin > expected)
            {
                throw Invalid($"tensor '{entry.Name}' starts at byte {entry.Begin} of the data buffer, but the bytes from {expected} to {entry.Begin} belong to no tensor (the buffer must be covered without holes).");
            }

            if (entry.Begin < expected)
            {
                throw Invalid($"tensor '{entry.Name}' (data_offsets [{entry.Begin}, {entry.End}]) overlaps tensor '{previous}', which ends at byte {expected}.");
            }

            expected = entry.End;
            previous = entry.Name;
        }

        return expected;
    }

    private static void CheckOnce(bool first, string name, string field)
    {
        if (!first)
        {
            throw Invalid($"the entry of tensor '{name}' has two \"{field}\" fields.");
        }
    }

    /// <summary>Names the current token for a message: <c>the number 5</c>, <c>a string</c>, <c>an array</c>, ...</summary>
    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "the number " + Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        JsonTokenType.EndArray => "the end of the array",
        JsonTokenType.EndObject => "the end of the object",
        _ => "nothing",
    };

    private static long FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int index = 0;
        while (index < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[index..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                break;
            }

            index += consumed;
        }

        return index;
    }

    private static NotSupportedException TensorTooLarge(string name, long size)
        => new(string.Create(CultureInfo.InvariantCulture,
            $"Tensor '{name}' holds {size} bytes; BnGen keeps each tensor in one array, of at most {Array.MaxLength} bytes."));

    private static InvalidDataException HeaderTruncated(ulong headerSize, long rest)
        => Invalid($"the header size is {headerSize} bytes, but only {rest} bytes follow the 8-byte size: the file is truncated, or the first 8 bytes are not a safetensors header size.");

    private static InvalidDataException Invalid(FormattableString message, Exception? inner = null)
        => new("Invalid safetensors file: " + message.ToString(CultureInfo.InvariantCulture), inner);
}
