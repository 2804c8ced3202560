using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace BnGen.Internal;

/// <summary>
/// Writes the safetensors format as the reference writer (huggingface/safetensors, <c>tensor.rs</c>, <c>prepare</c> and
/// <c>serialize</c>) does: the header is serde_json's compact output of <c>{"__metadata__": {...}, "name": {"dtype":
/// ..., "shape": [...], "data_offsets": [begin, end]}, ...}</c> (metadata first and only when present), padded with
/// spaces to a multiple of 8 bytes so that the data starts aligned, then the tensors' bytes back to back. Strings are
/// escaped as serde_json escapes them (<c>\"</c>, <c>\\</c>, <c>\b \f \n \r \t</c>, other control characters as
/// <c>\u00xx</c> in lower case; everything else as raw UTF-8), so a header of the same entries is byte-identical to the
/// reference's. The one difference is the order: the reference sorts tensors by dtype alignment, then name; BnGen keeps
/// the state dict's order (readers do not care, and a BnGen file round-trips byte for byte).
/// </summary>
internal static class SafetensorsWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The padded header bytes (without the 8-byte size). Every check of a save happens here.</summary>
    public static byte[] BuildHeader(StateDict state)
    {
        var json = new List<byte>(64 + 96 * state.Count);
        json.Add((byte)'{');
        bool first = true;
        if (state.Metadata.Count > 0)
        {
            WriteString(json, StateDict.MetadataKey, "the metadata key");
            json.AddRange(":{"u8);
            var keys = new List<string>(state.Metadata.Keys);
            keys.Sort(StringComparer.Ordinal);
            for (int i = 0; i < keys.Count; i++)
            {
                string key = keys[i];
                string value = state.Metadata[key]
                    ?? throw new InvalidOperationException($"The metadata value of '{key}' is null; safetensors metadata values are strings.");
                if (i > 0)
                {
                    json.Add((byte)',');
                }

                WriteString(json, key, "a metadata key");
                json.Add((byte)':');
                WriteString(json, value, $"the metadata value of '{key}'");
            }

            json.Add((byte)'}');
            first = false;
        }

        // One entry per tensor, offsets back to back in the state dict's order.
        long offset = 0;
        for (int i = 0; i < state.Count; i++)
        {
            (string name, StateTensor tensor) = state.EntryAt(i);
            if (!first)
            {
                json.Add((byte)',');
            }

            first = false;
            WriteString(json, name, "a tensor name");
            json.AddRange(":{\"dtype\":"u8);
            WriteString(json, tensor.DTypeName, "the dtype");
            json.AddRange(",\"shape\":["u8);
            for (int d = 0; d < tensor.Rank; d++)
            {
                if (d > 0)
                {
                    json.Add((byte)',');
                }

                WriteNumber(json, tensor.Shape[d]);
            }

            json.AddRange("],\"data_offsets\":["u8);
            WriteNumber(json, offset);
            json.Add((byte)',');
            offset += tensor.RawData.Length;
            WriteNumber(json, offset);
            json.AddRange("]}"u8);
            CheckHeaderSize(json.Count);
        }

        json.Add((byte)'}');
        // Pad with spaces to a multiple of 8 (the reference's next_multiple_of(8) with b' ').
        while (json.Count % 8 != 0)
        {
            json.Add((byte)' ');
        }

        CheckHeaderSize(json.Count);
        return json.ToArray();
    }

    /// <summary>Writes the size, the header and the data.</summary>
    public static void Write(StateDict state, byte[] header, Stream stream)
    {
        Span<byte> size = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(size, (ulong)header.Length);
        stream.Write(size);
        stream.Write(header);
        for (int i = 0; i < state.Count; i++)
        {
            stream.Write(state.EntryAt(i).Value.RawData);
        }

        stream.Flush();
    }

    private static void CheckHeaderSize(int size)
    {
        if (size > SafetensorsReader.MaxHeaderSize)
        {
            throw new InvalidOperationException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The safetensors header would exceed {SafetensorsReader.MaxHeaderSize:N0} bytes, the largest the format allows; the reference implementation would refuse the file."));
        }
    }

    private static void WriteNumber(List<byte> json, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        value.TryFormat(digits, out int written, default, CultureInfo.InvariantCulture);
        json.AddRange(digits[..written]);
    }

    /// <summary>A JSON string with serde_json's escapes; invalid UTF-16 (a lone surrogate) is an error, not a U+FFFD.</summary>
    private static void WriteString(List<byte> json, string text, string what)
    {
        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException)
        {
            throw new InvalidOperationException($"{char.ToUpperInvariant(what[0])}{what[1..]} ('{text}') is not valid UTF-16: it holds a lone surrogate.");
        }

        json.Add((byte)'"');
        foreach (byte b in utf8)
        {
            switch (b)
            {
                case (byte)'"': json.AddRange("\\\""u8); break;
                case (byte)'\\': json.AddRange("\\\\"u8); break;
                case 0x08: json.AddRange("\\b"u8); break;
                case 0x0C: json.AddRange("\\f"u8); break;
                case (byte)'\n': json.AddRange("\\n"u8); break;
                case (byte)'\r': json.AddRange("\\r"u8); break;
                case (byte)'\t': json.AddRange("\\t"u8); break;
                case < 0x20:
                    json.AddRange("\\u00"u8);
                    json.Add((byte)"0123456789abcdef"[b >> 4]);
                    json.Add((byte)"0123456789abcdef"[b & 0xF]);
                    break;
                default: json.Add(b); break;
            }
        }

        json.Add((byte)'"');
    }
}
