using System;
using System.IO;
using System.Text;
using Xunit;

namespace BnGen.Tests.StateDicts;

/// <summary>
/// Every way a file can be malformed is an <see cref="InvalidDataException"/> with a message that says what is wrong and
/// names the key, the same through a seekable and a non-seekable stream. Inputs marked "tensor.rs" are the reference
/// implementation's own rejected test inputs, copied byte for byte.
/// </summary>
public class ReaderErrorTests
{
    private const string Prefix = "Invalid safetensors file: ";

    private static string Entry(string name, string dtype, string shape, string offsets)
        => $"\"{name}\":{{\"dtype\":{dtype},\"shape\":{shape},\"data_offsets\":{offsets}}}";

    private static void AssertMessage(string expected, byte[] file) => Assert.Equal(Prefix + expected, TestFiles.AssertInvalid(file).Message);

    private static void AssertHeader(string expected, string header, int dataLength = 0)
        => AssertMessage(expected, TestFiles.Build(header, new byte[dataLength]));

    [Fact]
    public void Too_short_for_the_header_size()
    {
        AssertMessage("the file is 0 bytes long, shorter than the 8-byte header size that starts a safetensors file.", []);   // tensor.rs, test_header_too_small
        AssertMessage("the file is 7 bytes long, shorter than the 8-byte header size that starts a safetensors file.", [8, 0, 0, 0, 0, 0, 0]);
    }

    [Fact]
    public void Header_size_over_the_format_limit()
    {
        // tensor.rs, test_header_too_large: the size's upper bytes are 0xFF.
        byte[] file = [0x3C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, .. "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"u8.ToArray(), .. new byte[16]];
        AssertMessage("the header size (the first 8 bytes, little-endian) is 18446742974197923900 bytes, more than the 100,000,000 bytes the format allows.", file);
        byte[] justOver = [0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, .. "{}"u8];   // 100,000,001
        AssertMessage("the header size (the first 8 bytes, little-endian) is 100000001 bytes, more than the 100,000,000 bytes the format allows.", justOver);
    }

    [Fact]
    public void Header_size_beyond_the_end_of_the_file()
    {
        AssertMessage("the header size is 60 bytes, but only 0 bytes follow the 8-byte size: the file is truncated, or the first 8 bytes are not a safetensors header size.",
            "<\0\0\0\0\0\0\0"u8.ToArray());   // tensor.rs, test_invalid_header_length
        AssertMessage("the header size is 100000000 bytes, but only 2 bytes follow the 8-byte size: the file is truncated, or the first 8 bytes are not a safetensors header size.",
            [0x00, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, .. "{}"u8]);
    }

    [Fact]
    public void Header_not_UTF8()
    {
        AssertMessage("the header is not valid UTF-8 (the first invalid sequence is at byte 0 of the header).", [1, 0, 0, 0, 0, 0, 0, 0, 0xFF]);   // tensor.rs
        // '{', '"', then 'é' (C3 A9), then a lead byte C3 followed by no continuation byte.
        AssertMessage("the header is not valid UTF-8 (the first invalid sequence is at byte 4 of the header).", TestFiles.Build([.. "{\"\u00e9"u8, 0xC3, .. "\":1}"u8], []));
    }

    [Theory]
    [InlineData("{")]                                   // tensor.rs, test_invalid_header_not_json
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",}}")]       // trailing comma
    [InlineData("{/* comment */}")]
    [InlineData("{} {}")]                               // two values
    [InlineData("{}x")]
    [InlineData("{\"a\" 1}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"\\ud800\":{}}")]                    // a lone surrogate escape in a name
    [InlineData("{\"__metadata__\":{\"k\":\"\\udc00\"}}")]
    public void Header_not_JSON(string header)
    {
        string message = TestFiles.AssertInvalid(TestFiles.Build(header)).Message;
        Assert.StartsWith(Prefix + "the header is not valid JSON: ", message);
    }

    [Theory]
    [InlineData("[]", "the header is not a JSON object: it starts with an array.")]
    [InlineData("5", "the header is not a JSON object: it starts with the number 5.")]
    [InlineData("\"x\"", "the header is not a JSON object: it starts with a string.")]
    [InlineData("null", "the header is not a JSON object: it starts with null.")]
    public void Header_not_an_object(string header, string expected) => AssertHeader(expected, header);

    [Theory]
    [InlineData("{\"w\":5}", "the entry of tensor 'w' is the number 5, not an object with \"dtype\", \"shape\" and \"data_offsets\".")]
    [InlineData("{\"w\":[1]}", "the entry of tensor 'w' is an array, not an object with \"dtype\", \"shape\" and \"data_offsets\".")]
    [InlineData("{\"w\":{\"shape\":[],\"data_offsets\":[0,0]}}", "the entry of tensor 'w' has no \"dtype\".")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,0]}}", "the entry of tensor 'w' has no \"shape\".")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[]}}", "the entry of tensor 'w' has no \"data_offsets\".")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", "the entry of tensor 'w' has two \"dtype\" fields.")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"shape\":[],\"data_offsets\":[0,4]}}", "the entry of tensor 'w' has two \"shape\" fields.")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"data_offsets\":[0,4]}}", "the entry of tensor 'w' has two \"data_offsets\" fields.")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4],\"stride\":[1]}}", "the entry of tensor 'w' has an unknown field 'stride'; a tensor entry has exactly \"dtype\", \"shape\" and \"data_offsets\".")]
    public void Tensor_entry_not_of_the_expected_shape(string header, string expected) => AssertHeader(expected, header);

    [Theory]
    [InlineData("\"F33\"", "tensor 'bn.weight' has dtype 'F33', which is not a safetensors dtype (F64, F32, F16, BF16, I64, I32, U8, BOOL, ...; names are case-sensitive).")]
    [InlineData("\"f32\"", "tensor 'bn.weight' has dtype 'f32', which is not a safetensors dtype (F64, F32, F16, BF16, I64, I32, U8, BOOL, ...; names are case-sensitive).")]
    [InlineData("\"\"", "tensor 'bn.weight' has dtype '', which is not a safetensors dtype (F64, F32, F16, BF16, I64, I32, U8, BOOL, ...; names are case-sensitive).")]
    [InlineData("32", "the \"dtype\" of tensor 'bn.weight' is the number 32, not a string such as \"F32\".")]
    [InlineData("null", "the \"dtype\" of tensor 'bn.weight' is null, not a string such as \"F32\".")]
    public void Unknown_dtype(string dtype, string expected)
        => AssertHeader(expected, "{" + Entry("bn.weight", dtype, "[1]", "[0,4]") + "}", 4);

    [Fact]
    public void An_escaped_dtype_name_is_the_same_name()
    {
        StateDict state = TestFiles.LoadSeekable(TestFiles.Build("{" + Entry("w", "\"\\u0046\\u0033\\u0032\"", "[1]", "[0,4]") + "}", TestFiles.Bytes(2f)));
        Assert.Equal([2f], state["w"].ToSingleArray());
    }

    [Theory]
    [InlineData("5", "the \"shape\" of tensor 'w' is the number 5, not an array of non-negative integers.")]
    [InlineData("{}", "the \"shape\" of tensor 'w' is an object, not an array of non-negative integers.")]
    [InlineData("[-1]", "the \"shape\" of tensor 'w' holds -1, which is not a non-negative integer.")]
    [InlineData("[-0]", "the \"shape\" of tensor 'w' holds -0, which is not a non-negative integer.")]
    [InlineData("[2.0]", "the \"shape\" of tensor 'w' holds 2.0, which is not a non-negative integer.")]
    [InlineData("[1e2]", "the \"shape\" of tensor 'w' holds 1e2, which is not a non-negative integer.")]
    [InlineData("[\"2\"]", "the \"shape\" of tensor 'w' holds a string; it must hold non-negative integers.")]
    [InlineData("[[2]]", "the \"shape\" of tensor 'w' holds an array; it must hold non-negative integers.")]
    [InlineData("[9223372036854775808]", "the \"shape\" of tensor 'w' holds 9223372036854775808, more than 2^63 - 1.")]
    [InlineData("[2,18446744073709551614]", "the \"shape\" of tensor 'w' holds 18446744073709551614, more than 2^63 - 1.")]   // tensor.rs, test_validation_overflow
    [InlineData("[2,9223372036854775807]", "tensor 'w' has shape [2, 9223372036854775807] of I32, whose size in bytes overflows.")]   // tensor.rs, test_validation_overflow
    [InlineData("[4294967296,4294967296,0]", "tensor 'w' has shape [4294967296, 4294967296, 0], whose element count overflows.")]
    [InlineData("[4611686018427387904]", "tensor 'w' has shape [4611686018427387904] of I32, whose size in bytes overflows.")]
    public void Bad_shape(string shape, string expected)
        => AssertHeader(expected, "{" + Entry("w", "\"I32\"", shape, "[0,16]") + "}", 16);

    [Fact]
    public void Sub_byte_dtypes_must_fill_whole_bytes()
        => AssertHeader("tensor 'q' has shape [1, 3] of F4 (4 bits each), which is not a whole number of bytes.",
            "{" + Entry("q", "\"F4\"", "[1,3]", "[0,2]") + "}", 2);   // tensor.rs, test_serialization_fp4_misaligned

    [Theory]
    [InlineData("5", "the \"data_offsets\" of tensor 'w' is the number 5, not an array [begin, end].")]
    [InlineData("[]", "the \"data_offsets\" of tensor 'w' holds the end of the array; it must hold non-negative integers.")]
    [InlineData("[0]", "the \"data_offsets\" of tensor 'w' holds the end of the array; it must hold non-negative integers.")]
    [InlineData("[0,8,9]", "the \"data_offsets\" of tensor 'w' has more than two numbers; it must be [begin, end].")]
    [InlineData("[-8,0]", "the \"data_offsets\" of tensor 'w' holds -8, which is not a non-negative integer.")]
    [InlineData("[8,0]", "tensor 'w' has data_offsets [8, 0]: the end is before the beginning.")]
    [InlineData("[0, 4]", "tensor 'w' is I32 of shape [2], 8 bytes, but its data_offsets [0, 4] span 4 bytes.")]   // tensor.rs, test_invalid_info
    [InlineData("[0,12]", "tensor 'w' is I32 of shape [2], 8 bytes, but its data_offsets [0, 12] span 12 bytes.")]
    [InlineData("[0,99999999999999999999]", "the \"data_offsets\" of tensor 'w' holds 99999999999999999999, more than 2^63 - 1.")]
    public void Bad_data_offsets(string offsets, string expected)
        => AssertHeader(expected, "{" + Entry("w", "\"I32\"", "[2]", offsets) + "}", 8);

    [Fact]
    public void Duplicate_keys()
    {
        AssertHeader("the header has two entries for tensor 'w'.",
            "{" + Entry("w", "\"U8\"", "[1]", "[0,1]") + "," + Entry("w", "\"U8\"", "[1]", "[1,2]") + "}", 2);
        AssertHeader("the header has two \"__metadata__\" entries.", "{\"__metadata__\":{},\"__metadata__\":{}}");
        AssertHeader("\"__metadata__\" has two entries for 'k'.", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}");
    }

    [Theory]
    [InlineData("5", "\"__metadata__\" must be an object of strings, but it is the number 5.")]
    [InlineData("[\"a\"]", "\"__metadata__\" must be an object of strings, but it is an array.")]
    [InlineData("{\"format\":1}", "metadata entry 'format' is the number 1; safetensors metadata values must be strings.")]
    [InlineData("{\"format\":{\"nested\":\"no\"}}", "metadata entry 'format' is an object; safetensors metadata values must be strings.")]
    [InlineData("{\"format\":null}", "metadata entry 'format' is null; safetensors metadata values must be strings.")]
    public void Metadata_not_a_map_of_strings(string metadata, string expected)
        => AssertHeader(expected, "{\"__metadata__\":" + metadata + "}");

    [Fact]
    public void Offsets_must_cover_the_buffer_without_holes()
    {
        AssertHeader("tensor 'late' starts at byte 4 of the data buffer, but the bytes from 0 to 4 belong to no tensor (the buffer must be covered without holes).",
            "{" + Entry("late", "\"F32\"", "[1]", "[4,8]") + "}", 8);
        AssertHeader("tensor 'c' starts at byte 12 of the data buffer, but the bytes from 8 to 12 belong to no tensor (the buffer must be covered without holes).",
            "{" + Entry("c", "\"F32\"", "[1]", "[12,16]") + "," + Entry("a", "\"F32\"", "[2]", "[0,8]") + "}", 16);
    }

    [Fact]
    public void Offsets_must_not_overlap()
    {
        AssertHeader("tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a', which ends at byte 8.",
            "{" + Entry("a", "\"F32\"", "[2]", "[0,8]") + "," + Entry("b", "\"F32\"", "[2]", "[4,12]") + "}", 12);
        AssertHeader("tensor 'e' (data_offsets [4, 4]) overlaps tensor 'a', which ends at byte 8.",
            "{" + Entry("e", "\"F32\"", "[0]", "[4,4]") + "," + Entry("a", "\"F32\"", "[2]", "[0,8]") + "}", 8);

        // tensor.rs, test_json_attack: ten tensors all claiming bytes 0..16.
        var header = new StringBuilder("{");
        for (int i = 0; i < 10; i++)
        {
            header.Append(i == 0 ? "" : ",").Append(Entry($"weight_{i}", "\"F32\"", "[2,2]", "[0,16]"));
        }

        AssertHeader("tensor 'weight_1' (data_offsets [0, 16]) overlaps tensor 'weight_0', which ends at byte 16.", header.Append('}').ToString(), 16);
    }

    [Fact]
    public void Data_buffer_shorter_or_longer_than_the_offsets()
    {
        string header = "{" + Entry("test", "\"I32\"", "[2,2]", "[0,16]") + "}";
        byte[] truncated = TestFiles.Build(header, new byte[14]);   // tensor.rs, test_metadata_incomplete_buffer: 2 bytes missing
        Assert.Equal(Prefix + "the tensors' data_offsets end at byte 16 of the data buffer, but only 14 bytes follow the header: the file is truncated.",
            Assert.Throws<InvalidDataException>(() => TestFiles.LoadSeekable(truncated)).Message);
        Assert.Equal(Prefix + "the file ends 2 bytes before the end of tensor 'test' (data_offsets [0, 16]): it is truncated.",
            Assert.Throws<InvalidDataException>(() => TestFiles.LoadNonSeekable(truncated, 3)).Message);

        byte[] polyglot = TestFiles.Build(header, [.. new byte[16], .. "extra_bogus_data_for_polyglot_file"u8]);   // tensor.rs
        Assert.Equal(Prefix + "50 bytes follow the header, but the tensors' data_offsets end at byte 16: the last 34 bytes belong to no tensor.",
            Assert.Throws<InvalidDataException>(() => TestFiles.LoadSeekable(polyglot)).Message);
        Assert.Equal(Prefix + "more bytes follow the end of the last tensor's data (byte 16 of the data buffer): they belong to no tensor.",
            Assert.Throws<InvalidDataException>(() => TestFiles.LoadNonSeekable(polyglot)).Message);

        byte[] noTensors = TestFiles.Build("{}", [0]);
        Assert.Equal(Prefix + "1 bytes follow the header, but the tensors' data_offsets end at byte 0: the last 1 bytes belong to no tensor.",
            Assert.Throws<InvalidDataException>(() => TestFiles.LoadSeekable(noTensors)).Message);
    }

    [Fact]
    public void A_lying_size_is_rejected_before_anything_is_allocated_for_it()
    {
        // A header that claims 8 GB of data in a file of a few hundred bytes.
        byte[] file = TestFiles.Build("{" + Entry("huge", "\"F64\"", "[1000000000]", "[0,8000000000]") + "}", new byte[64]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => TestFiles.LoadSeekable(file));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 64 * 1024);
        before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(Prefix + "the file ends 7999999936 bytes before the end of tensor 'huge' (data_offsets [0, 8000000000]): it is truncated.",
            Assert.Throws<InvalidDataException>(() => TestFiles.LoadNonSeekable(file)).Message);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 256 * 1024);
    }

    [Fact]
    public void Argument_errors_are_not_format_errors()
    {
        Assert.Throws<ArgumentNullException>(() => StateDict.Load((Stream)null!));
        Assert.Throws<ArgumentNullException>(() => StateDict.Load((string)null!));
        Assert.Throws<ArgumentException>(() => StateDict.Load(new WriteOnlyStream()));
        Assert.Throws<FileNotFoundException>(() => StateDict.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".safetensors")));
    }

    private sealed class WriteOnlyStream : MemoryStream
    {
        public override bool CanRead => false;
    }
}
