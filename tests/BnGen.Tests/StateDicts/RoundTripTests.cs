using System;
using System.IO;
using System.Linq;
using System.Text;
using Xunit;

namespace BnGen.Tests.StateDicts;

/// <summary>
/// Issue 11 §3: files BnGen writes read back identically, files written by hand to the specification read as the
/// specification says, and BnGen's writer reproduces the reference writer's bytes (test vectors of
/// huggingface/safetensors, <c>safetensors/src/tensor.rs</c>, copied byte for byte).
/// </summary>
public class RoundTripTests
{
    /// <summary>A state dict with every convertible dtype, scalars, an empty tensor and tensors BnGen does not convert.</summary>
    private static StateDict Rich()
    {
        var state = new StateDict();
        state.Add("f64", StateTensor.Create([1.5, -0.1, double.MaxValue, double.Epsilon], [2, 2]));
        state.Add("f32", StateTensor.Create([1.5f, -0.1f, float.NaN], [3]));
        state.Add("f16", StateTensor.Create([1.5f, -0.1f, 65504f, 1e-7f], [4], StateTensorDType.F16));
        state.Add("bf16", StateTensor.Create([1.5f, -0.1f, 3e38f], [3, 1], StateTensorDType.BF16));
        state.Add("i64", StateTensor.Create([long.MinValue, -1L, 0L, long.MaxValue], [4]));
        state.Add("i32", StateTensor.Create([int.MinValue, 7, int.MaxValue], [3]));
        state.Add("scalar.num_batches_tracked", StateTensor.Create([12345L], []));
        state.Add("scalar.f32", StateTensor.Create([0.25f], []));
        state.Add("empty", StateTensor.Create(ReadOnlySpan<float>.Empty, [2, 0, 3]));
        state.Add("mask", new StateTensor("BOOL", [3], [1, 0, 1]));
        state.Add("codes", new StateTensor("U8", [2, 2], [0, 255, 17, 128]));
        state.Add("fp8", new StateTensor("F8_E4M3", [2], [0x38, 0xC0]));
        state.Add("fp4", new StateTensor("F4", [4], [0x21, 0x43]));
        state.Add("u64", new StateTensor("U64", [1], [1, 2, 3, 4, 5, 6, 7, 0xFF]));
        state.Add("complex", new StateTensor("C64", [1], [1, 2, 3, 4, 5, 6, 7, 8]));
        state.Metadata["format"] = "pt";
        state.Metadata["note"] = "naïve \"quoted\" \\ tab\t newline\n bell\u0007 emoji \U0001F600";
        return state;
    }

    [Fact]
    public void Every_dtype_round_trips_through_a_seekable_and_a_non_seekable_stream()
    {
        StateDict state = Rich();
        byte[] file = TestFiles.Save(state);
        TestFiles.AssertSame(state, TestFiles.LoadSeekable(file));
        TestFiles.AssertSame(state, TestFiles.LoadNonSeekable(file));
        TestFiles.AssertSame(state, TestFiles.LoadNonSeekable(file, maxChunk: 1));

        StateDict loaded = TestFiles.LoadSeekable(file);
        Assert.Equal([1.5, -0.1, double.MaxValue, double.Epsilon], loaded["f64"].ToDoubleArray());
        Assert.Equal(StateTensorDType.F64, loaded["f64"].DType);
        Assert.Equal([1.5f, -0.1f, float.NaN], loaded["f32"].ToSingleArray());
        Assert.Equal([long.MinValue, -1L, 0L, long.MaxValue], loaded["i64"].ToInt64Array());
        Assert.Equal([(long)int.MinValue, 7, int.MaxValue], loaded["i32"].ToInt64Array());
        Assert.Equal(0, loaded["scalar.num_batches_tracked"].Rank);
        Assert.Equal(1, loaded["scalar.num_batches_tracked"].ElementCount);
        Assert.Equal([12345L], loaded["scalar.num_batches_tracked"].ToInt64Array());
        Assert.Equal([2L, 0, 3], loaded["empty"].Shape);
        Assert.Equal(0, loaded["empty"].ElementCount);
        Assert.Empty(loaded["empty"].ToSingleArray());
        Assert.Equal(StateTensorDType.Other, loaded["fp4"].DType);
        Assert.Equal("F4", loaded["fp4"].DTypeName);
        Assert.Equal(4, loaded["fp4"].ElementCount);
        Assert.Equal(new byte[] { 0x21, 0x43 }, loaded["fp4"].Data.ToArray());
        Assert.Equal(Rich().Metadata["note"], loaded.Metadata["note"]);
    }

    [Fact]
    public void Load_then_save_gives_the_same_bytes()
    {
        byte[] first = TestFiles.Save(Rich());
        byte[] second = TestFiles.Save(TestFiles.LoadSeekable(first));
        byte[] third = TestFiles.Save(TestFiles.LoadNonSeekable(second, maxChunk: 5));
        Assert.Equal(first, second);
        Assert.Equal(first, third);
        Assert.Equal(0, HeaderSize(first) % 8);   // the data starts 8-byte aligned
    }

    [Fact]
    public void Metadata_is_written_only_when_present_and_in_ordinal_key_order()
    {
        var state = new StateDict();
        state.Add("x", StateTensor.Create([1f], [1]));
        Assert.DoesNotContain("__metadata__", Header(TestFiles.Save(state)));
        Assert.Empty(TestFiles.LoadSeekable(TestFiles.Save(state)).Metadata);

        state.Metadata["b"] = "2";
        state.Metadata["a"] = "1";
        state.Metadata["B"] = "3";
        Assert.Equal("{\"__metadata__\":{\"B\":\"3\",\"a\":\"1\",\"b\":\"2\"},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} ",
            Header(TestFiles.Save(state)));
    }

    [Fact]
    public void Save_to_a_path_and_load_from_it_replacing_an_existing_file()
    {
        string folder = Path.Combine(Path.GetTempPath(), "bngen-statedict-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "model.safetensors");
            File.WriteAllText(path, "an older, longer file that the save must replace entirely .....................");
            StateDict state = Rich();
            state.Save(path);
            TestFiles.AssertSame(state, StateDict.Load(path));
            Assert.Equal(TestFiles.Save(state), File.ReadAllBytes(path));
            Assert.Equal(["model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName));   // no temporary file left
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_seekable_stream_is_read_from_its_position_to_its_end()
    {
        byte[] file = TestFiles.Save(Rich());
        var stream = new MemoryStream();
        stream.Write("prefix"u8);
        stream.Write(file);
        stream.Position = 6;
        TestFiles.AssertSame(Rich(), StateDict.Load(stream));
        Assert.Equal(stream.Length, stream.Position);
    }

    /// <summary>
    /// A file written by hand, byte for byte, from the format's description: the 8-byte little-endian header size, the
    /// JSON header (here listing the tensors in another order than their data), padding, the little-endian data.
    /// </summary>
    [Fact]
    public void A_hand_built_file_reads_as_the_specification_says()
    {
        const string header = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]},"
            + "\"bn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        Assert.Equal(167, header.Length);
        byte[] file =
        [
            0xA8, 0, 0, 0, 0, 0, 0, 0,                  // header size 168, little-endian
            .. Encoding.ASCII.GetBytes(header), 0x20,   // the header, padded with one space to 168 bytes
            0x00, 0x00, 0x80, 0x3F,                     // bn.weight[0] = 1.0f
            0x00, 0x00, 0x20, 0xC0,                     // bn.weight[1] = -2.5f
            0x07, 0, 0, 0, 0, 0, 0, 0,                  // bn.num_batches_tracked = 7
        ];

        foreach (StateDict state in new[] { TestFiles.LoadSeekable(file), TestFiles.LoadNonSeekable(file, 2) })
        {
            Assert.Equal(["bn.num_batches_tracked", "bn.weight"], state.Keys);   // the header's order, not the data's
            Assert.Equal("pt", Assert.Single(state.Metadata).Value);
            Assert.Equal("I64", state["bn.num_batches_tracked"].DTypeName);
            Assert.Empty(state["bn.num_batches_tracked"].Shape);
            Assert.Equal([7L], state["bn.num_batches_tracked"].ToInt64Array());
            Assert.Equal([2L], state["bn.weight"].Shape);
            Assert.Equal([1.0f, -2.5f], state["bn.weight"].ToSingleArray());
        }
    }

    /// <summary>The writer's bytes for a layer's state, checked against bytes written by hand.</summary>
    [Fact]
    public void The_writer_produces_hand_built_bytes()
    {
        var state = new StateDict();
        state.Add("bn.weight", StateTensor.Create([1.0f, -2.5f], [2]));
        state.Add("bn.num_batches_tracked", StateTensor.Create([7L], []));
        state.Metadata["format"] = "pt";
        const string header = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"bn.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            + "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        byte[] expected =
        [
            0xA8, 0, 0, 0, 0, 0, 0, 0,
            .. Encoding.ASCII.GetBytes(header), 0x20,
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0,
            0x07, 0, 0, 0, 0, 0, 0, 0,
        ];
        Assert.Equal(expected, TestFiles.Save(state));
    }

    /// <summary>tensor.rs, test_serialization: F32 "attn.0" of shape [1, 2, 3] holding 0..5 (a 64-byte header, no padding).</summary>
    [Fact]
    public void Writer_matches_the_reference_test_serialization_bytes()
    {
        byte[] reference =
        [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ];
        var state = new StateDict { { "attn.0", StateTensor.Create([0f, 1, 2, 3, 4, 5], [1, 2, 3]) } };
        Assert.Equal(reference, TestFiles.Save(state));
        TestFiles.AssertSame(state, TestFiles.LoadSeekable(reference));
    }

    /// <summary>tensor.rs, test_serialization_forced_alignement: "attn0" of shape [1, 1, 2, 3]: a 65-byte header padded to 72.</summary>
    [Fact]
    public void Writer_matches_the_reference_forced_alignment_bytes()
    {
        byte[] reference =
        [
            72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
            115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
            32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
            160, 64,
        ];
        var state = new StateDict { { "attn0", StateTensor.Create([0f, 1, 2, 3, 4, 5], [1, 1, 2, 3]) } };
        Assert.Equal(reference, TestFiles.Save(state));
        TestFiles.AssertSame(state, TestFiles.LoadNonSeekable(reference, 3));
    }

    /// <summary>tensor.rs, test_serialization_fp4: an F4 tensor of shape [1, 2] in one byte.</summary>
    [Fact]
    public void Writer_matches_the_reference_fp4_bytes()
    {
        byte[] reference =
        [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 52, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 50, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116,
            115, 34, 58, 91, 48, 44, 49, 93, 125, 125, 32, 32, 32, 32, 0,
        ];
        var state = new StateDict { { "attn.0", new StateTensor("F4", [1, 2], [0]) } };
        Assert.Equal(reference, TestFiles.Save(state));
        TestFiles.AssertSame(state, TestFiles.LoadSeekable(reference));
    }

    /// <summary>tensor.rs, test_empty: no tensors, then no tensors and metadata {"framework": "pt"}.</summary>
    [Fact]
    public void Writer_matches_the_reference_empty_bytes()
    {
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], TestFiles.Save(new StateDict()));
        var state = new StateDict();
        state.Metadata["framework"] = "pt";
        byte[] reference =
        [
            40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
            95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
            116, 34, 125, 125, 32, 32, 32, 32, 32,
        ];
        Assert.Equal(reference, TestFiles.Save(state));
        Assert.Equal("pt", TestFiles.LoadSeekable(reference).Metadata["framework"]);
        Assert.Empty(TestFiles.LoadSeekable(reference));
    }

    /// <summary>The reference's accepted inputs: unpadded headers, scalars, empty tensors, whitespace around the JSON, null metadata.</summary>
    [Theory]
    [InlineData("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}", 16, "I32", new long[] { 2, 2 })]   // test_deserialization
    [InlineData("{\"test\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, "I32", new long[0])]               // test_empty_shapes_allowed
    [InlineData("{\"test\":{\"dtype\":\"I32\",\"shape\":[2,0],\"data_offsets\":[0, 0]}}", 0, "I32", new long[] { 2, 0 })]    // test_zero_sized_tensor
    [InlineData("\t\n{\"test\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[0,2]}}\r \t\n", 2, "U16", new long[] { 1 })]  // whitespace padding
    [InlineData("{\"__metadata__\":null,\"test\":{\"data_offsets\":[0,1],\"shape\":[1],\"dtype\":\"BOOL\"}}", 1, "BOOL", new long[] { 1 })]
    public void Reference_inputs_are_accepted(string header, int dataLength, string dtype, long[] shape)
    {
        byte[] file = TestFiles.Build(header, new byte[dataLength]);
        foreach (StateDict state in new[] { TestFiles.LoadSeekable(file), TestFiles.LoadNonSeekable(file) })
        {
            StateTensor tensor = Assert.Single(state.Values);
            Assert.Equal("test", Assert.Single(state.Keys));
            Assert.Equal(dtype, tensor.DTypeName);
            Assert.Equal(shape, tensor.Shape);
            Assert.Equal(new byte[dataLength], tensor.Data.ToArray());
            Assert.Empty(state.Metadata);
        }
    }

    [Fact]
    public void An_empty_tensor_may_have_a_running_product_beyond_a_long_as_in_the_reference()
    {
        // 2 × 6016612115230648692 overflows a long but not the reference's usize, and the last dimension makes it 0.
        byte[] file = TestFiles.Build("{\"a\":{\"dtype\":\"U8\",\"shape\":[2,6016612115230648692,0],\"data_offsets\":[0,0]}}     ");   // 75 + 5 = 80 bytes
        Assert.Equal([2L, 6016612115230648692, 0], TestFiles.LoadSeekable(file)["a"].Shape);
        Assert.Equal(0, new StateTensor("U8", [2, 6016612115230648692, 0], []).ElementCount);
        Assert.Equal(file, TestFiles.Save(TestFiles.LoadSeekable(file)));
    }

    [Fact]
    public void Whitespace_only_padding_and_an_empty_object_are_an_empty_state_dict()
    {
        // tensor.rs, test_whitespace_padded_header and test_whitespace_leading_padded_header.
        Assert.Empty(TestFiles.LoadSeekable([6, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 0x0D, 0x20, 0x09, 0x0A]));
        Assert.Empty(TestFiles.LoadSeekable([6, 0, 0, 0, 0, 0, 0, 0, 0x09, 0x0A, (byte)'{', (byte)'}', 0x0D, 0x20]));
    }

    [Fact]
    public void Two_empty_tensors_may_share_an_offset()
    {
        byte[] file = TestFiles.Build(
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            + "\"c\":{\"dtype\":\"F64\",\"shape\":[0,5],\"data_offsets\":[4,4]}}",
            TestFiles.Bytes(3f));
        StateDict state = TestFiles.LoadSeekable(file);
        Assert.Equal(["b", "a", "c"], state.Keys);
        Assert.Equal([3f], state["a"].ToSingleArray());
    }

    private static int HeaderSize(byte[] file) => (int)BitConverter.ToUInt64(file, 0);

    private static string Header(byte[] file) => Encoding.UTF8.GetString(file, 8, HeaderSize(file));
}
