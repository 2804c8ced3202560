using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace BnGen.Tests.StateDicts;

/// <summary>The ordered-map behaviour of <see cref="StateDict"/>: insertion order, replacement in place, removal, the reserved key.</summary>
public class StateDictMapTests
{
    private static StateTensor T(float value) => StateTensor.Create([value], [1]);

    [Fact]
    public void Keys_keep_insertion_order_and_replacing_keeps_the_place()
    {
        var state = new StateDict();
        state["z"] = T(1);
        state.Add("a", T(2));
        state["m"] = T(3);
        state["a"] = T(20);   // replaced in place
        Assert.Equal(["z", "a", "m"], state.Keys);
        Assert.Equal([1f, 20f, 3f], state.Values.Select(t => t.ToSingleArray()[0]));
        Assert.Equal(["z", "a", "m"], state.Select(p => p.Key));
        Assert.Equal(3, state.Count);

        Assert.True(state.Remove("z"));
        Assert.False(state.Remove("z"));
        Assert.Equal(["a", "m"], state.Keys);
        Assert.Equal(3f, state["m"].ToSingleArray()[0]);   // the index moved with the entry
        state["z"] = T(4);
        Assert.Equal(["a", "m", "z"], state.Keys);
        Assert.True(state.ContainsKey("m"));
        Assert.False(state.ContainsKey("M"));   // ordinal
        Assert.True(state.TryGetValue("z", out StateTensor? z));
        Assert.Equal(4f, z!.ToSingleArray()[0]);
        Assert.False(state.TryGetValue("nope", out StateTensor? none));
        Assert.Null(none);

        state.Clear();
        Assert.Empty(state);
        Assert.Empty(state.Keys);
    }

    [Fact]
    public void Errors()
    {
        var state = new StateDict { { "a", T(1) } };
        Assert.Equal("The state dict already has a tensor named 'a'; use the indexer to replace it. (Parameter 'key')",
            Assert.Throws<ArgumentException>(() => state.Add("a", T(2))).Message);
        Assert.Equal("The state dict has no tensor named 'b'.", Assert.Throws<KeyNotFoundException>(() => state["b"]).Message);
        Assert.Equal("'__metadata__' is reserved by the safetensors format for the metadata strings; use StateDict.Metadata. (Parameter 'key')",
            Assert.Throws<ArgumentException>(() => state["__metadata__"] = T(1)).Message);
        Assert.Throws<ArgumentException>(() => state.Add("__metadata__", T(1)));
        Assert.Throws<ArgumentNullException>(() => state[null!] = T(1));
        Assert.Throws<ArgumentNullException>(() => state["x"] = null!);
        Assert.Throws<ArgumentNullException>(() => state.ContainsKey(null!));
        Assert.Throws<NotSupportedException>(() => ((ICollection<string>)state.Keys).Add("x"));
        Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (KeyValuePair<string, StateTensor> entry in state)
            {
                state["new"] = T(0);
            }
        });
    }

    [Fact]
    public void Works_through_the_dictionary_interfaces()
    {
        var state = new StateDict();
        IDictionary<string, StateTensor> dictionary = state;
        dictionary.Add(new KeyValuePair<string, StateTensor>("b", T(1)));
        dictionary["a"] = T(2);
        Assert.Equal(["b", "a"], dictionary.Keys);
        Assert.Contains("a", dictionary.Keys);
        IReadOnlyDictionary<string, StateTensor> readOnly = state;
        Assert.Equal(["b", "a"], readOnly.Keys);
        var copy = new KeyValuePair<string, StateTensor>[2];
        dictionary.CopyTo(copy, 0);
        Assert.Equal(["b", "a"], copy.Select(p => p.Key));
        Assert.True(dictionary.Remove(copy[0]));
        Assert.False(dictionary.Remove(new KeyValuePair<string, StateTensor>("a", T(2))));   // another tensor object
        Assert.Equal(["a"], state.Keys);
    }

    [Fact]
    public void Save_checks_before_writing_anything()
    {
        var state = new StateDict { { "bad\ud800name", T(1) } };
        var stream = new MemoryStream();
        Assert.Equal("A tensor name ('bad\ud800name') is not valid UTF-16: it holds a lone surrogate.",
            Assert.Throws<InvalidOperationException>(() => state.Save(stream)).Message);
        Assert.Equal(0, stream.Length);

        var nullValue = new StateDict();
        nullValue.Metadata["k"] = null!;
        Assert.Equal("The metadata value of 'k' is null; safetensors metadata values are strings.",
            Assert.Throws<InvalidOperationException>(() => nullValue.Save(stream)).Message);
        Assert.Equal(0, stream.Length);

        var big = new StateDict();
        big.Metadata["blob"] = new string('x', 100_000_000);
        Assert.Equal("The safetensors header would exceed 100,000,000 bytes, the largest the format allows; the reference implementation would refuse the file.",
            Assert.Throws<InvalidOperationException>(() => big.Save(stream)).Message);
        Assert.Equal(0, stream.Length);

        string folder = Path.Combine(Path.GetTempPath(), "bngen-statedict-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            Assert.Throws<InvalidOperationException>(() => state.Save(Path.Combine(folder, "x.safetensors")));
            Assert.Empty(Directory.GetFiles(folder));
            Assert.Throws<DirectoryNotFoundException>(() => new StateDict().Save(Path.Combine(folder, "missing", "x.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Names_and_metadata_are_escaped_as_serde_json_escapes_them()
    {
        var state = new StateDict { { "a\"b\\c\u0001\u001f\u007f é/<>", StateTensor.Create([1L], []) } };
        state.Metadata["k\n"] = "\b\f\r\t";
        byte[] file = TestFiles.Save(state);
        string header = System.Text.Encoding.UTF8.GetString(file, 8, (int)BitConverter.ToUInt64(file, 0));
        Assert.Equal("{\"__metadata__\":{\"k\\n\":\"\\b\\f\\r\\t\"},\"a\\\"b\\\\c\\u0001\\u001f\u007f é/<>\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}}",
            header.TrimEnd(' '));
        TestFiles.AssertSame(state, TestFiles.LoadSeekable(file));
    }
}
