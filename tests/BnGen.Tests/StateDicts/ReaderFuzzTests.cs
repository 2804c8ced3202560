using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.StateDicts;

/// <summary>
/// Issue 11 §3, fuzzing the reader: random truncations and byte changes of valid files, lies in the header size and in
/// the header's numbers, and random headers. Seeded, so a failure repeats. The only exception allowed out of
/// <see cref="StateDict.Load(Stream)"/> is <see cref="InvalidDataException"/>; the bytes the thread allocates stay within a
/// small multiple of the input's size (plus a constant: the first 64 KiB chunk of a non-seekable read, the exception),
/// whatever sizes the header claims; and every accepted input saves and loads back to the same state dict.
/// </summary>
public class ReaderFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 6000;

    /// <summary>Allowed allocation: 8 bytes per input byte plus 128 KiB (measured maximum: see the test output).</summary>
    private static long Bound(int inputLength) => (8L * inputLength) + (128 * 1024);

    private static readonly string[] DTypes =
        ["F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F4", "F6_E2M3", "C64", "U64", "F33", "f32", ""];

    [Fact]
    public void Only_InvalidDataException_and_bounded_allocation()
    {
        var random = new Random(11_03);
        byte[][] seeds = Seeds();
        int accepted = 0;
        int rejected = 0;
        double worstRatio = 0;
        long worstAllocation = 0;
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            byte[] seed = seeds[random.Next(seeds.Length)];
            int kind = i % 6;
            byte[] input = kind switch
            {
                0 => seed[..random.Next(seed.Length)],
                1 => Change(seed, random, headerOnly: false),
                2 => Change(seed, random, headerOnly: true),
                3 => LieAboutTheHeaderSize(seed, random),
                4 => LieInTheNumbers(seed, random),
                _ => RandomFile(random),
            };
            bool seekable = random.Next(2) == 0;
            Stream stream = seekable ? new MemoryStream(input, writable: false) : new ForwardOnlyStream(input, 1 + random.Next(4096));
            StateDict? state = null;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                state = StateDict.Load(stream);
                accepted++;
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("Invalid safetensors file: ", e.Message);
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Case {i} (kind {kind}, {(seekable ? "seekable" : "non-seekable")}): {e.GetType()}: {e.Message}\nInput: {Convert.ToHexString(input)}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= Bound(input.Length),
                $"Case {i} (kind {kind}): {allocated} bytes allocated for a {input.Length}-byte input.\nInput: {Convert.ToHexString(input)}");
            worstRatio = Math.Max(worstRatio, (double)allocated / Math.Max(1, input.Length));
            worstAllocation = Math.Max(worstAllocation, allocated);

            if (state is not null)
            {
                TestFiles.AssertSame(state, TestFiles.LoadSeekable(TestFiles.Save(state)));
            }
        }

        output.WriteLine($"{Cases} cases in {stopwatch.Elapsed.TotalSeconds:F1} s: {accepted} accepted, {rejected} rejected; at most {worstAllocation} bytes allocated, at most {worstRatio:F1} bytes per input byte");
        Assert.InRange(accepted, Cases / 20, Cases);   // the generators produce valid files too, so both paths are exercised
        Assert.InRange(rejected, Cases / 2, Cases);
    }

    /// <summary>Valid files: a PyTorch-like state dict, every dtype, scalars, empty tensors, metadata, nothing at all.</summary>
    private static byte[][] Seeds()
    {
        var bn = new StateDict();
        bn.Add("stem.bn1.weight", StateTensor.Create([1f, 2, 3, 4], [4]));
        bn.Add("stem.bn1.bias", StateTensor.Create([0f, 0, 0, 0], [4]));
        bn.Add("stem.bn1.running_mean", StateTensor.Create([0.5f, 0.25f, 0, 1], [4]));
        bn.Add("stem.bn1.running_var", StateTensor.Create([1f, 1, 1, 1], [4]));
        bn.Add("stem.bn1.num_batches_tracked", StateTensor.Create([100L], []));
        bn.Metadata["format"] = "pt";

        var mixed = new StateDict();
        mixed.Add("f64", StateTensor.Create([1.5, -2.5], [2, 1]));
        mixed.Add("f16", StateTensor.Create([1.5f, -0.1f, 3f], [3], StateTensorDType.F16));
        mixed.Add("bf16", StateTensor.Create([1.5f], [1, 1, 1], StateTensorDType.BF16));
        mixed.Add("i32", StateTensor.Create([1, 2, 3], [3]));
        mixed.Add("empty", StateTensor.Create(ReadOnlySpan<float>.Empty, [0, 4]));
        mixed.Add("mask", new StateTensor("BOOL", [2], [1, 0]));
        mixed.Add("fp4", new StateTensor("F4", [2], [0x12]));

        var large = new StateDict();
        var values = new float[3000];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i * 0.5f;
        }

        large.Add("big", StateTensor.Create(values, [30, 100]));
        large.Add("small", StateTensor.Create([1L], []));

        var metadataOnly = new StateDict();
        metadataOnly.Metadata["a"] = "b";
        return [TestFiles.Save(bn), TestFiles.Save(mixed), TestFiles.Save(large), TestFiles.Save(metadataOnly), TestFiles.Save(new StateDict())];
    }

    private static int HeaderEnd(byte[] file)
        => file.Length < 8 ? file.Length : (int)Math.Min(file.Length, 8 + (long)Math.Min(BitConverter.ToUInt64(file, 0), int.MaxValue));

    /// <summary>One to four bytes replaced by random ones, anywhere or within the size and header.</summary>
    private static byte[] Change(byte[] seed, Random random, bool headerOnly)
    {
        byte[] input = (byte[])seed.Clone();
        int end = headerOnly ? HeaderEnd(seed) : seed.Length;
        for (int n = 1 + random.Next(4); n > 0; n--)
        {
            int at = random.Next(end);
            input[at] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)"{}[]:,\"0123456789-.e \\"[random.Next(22)],
                _ => (byte)(input[at] ^ (1 << random.Next(8))),
            };
        }

        return input;
    }

    /// <summary>The 8-byte header size replaced: huge, at the limit, or a little off the truth.</summary>
    private static byte[] LieAboutTheHeaderSize(byte[] seed, Random random)
    {
        byte[] input = (byte[])seed.Clone();
        ulong truth = BitConverter.ToUInt64(seed, 0);
        ulong lie = random.Next(6) switch
        {
            0 => (ulong)random.NextInt64(),
            1 => ulong.MaxValue - (ulong)random.Next(16),
            2 => 100_000_000 - (ulong)random.Next(2),
            3 => (ulong)random.NextInt64(1L << 40),
            4 => (ulong)(seed.Length - 8 + random.Next(-8, 64)),
            _ => (ulong)Math.Max(0, (long)truth + random.Next(-16, 17)),
        };
        BitConverter.TryWriteBytes(input.AsSpan(0, 8), lie);
        return input;
    }

    /// <summary>A number in the header (a dimension or an offset) replaced by a large or odd one, the size kept consistent.</summary>
    private static byte[] LieInTheNumbers(byte[] seed, Random random)
    {
        int headerEnd = HeaderEnd(seed);
        string header = Encoding.UTF8.GetString(seed, 8, headerEnd - 8);
        var digits = new List<int>();
        for (int i = 0; i < header.Length; i++)
        {
            if (char.IsAsciiDigit(header[i]) && (i == 0 || !char.IsAsciiDigit(header[i - 1])) && header[i - 1] is '[' or ',')
            {
                digits.Add(i);
            }
        }

        if (digits.Count == 0)
        {
            return RandomFile(random);
        }

        int start = digits[random.Next(digits.Count)];
        int stop = start;
        while (stop < header.Length && char.IsAsciiDigit(header[stop]))
        {
            stop++;
        }

        string replacement = random.Next(7) switch
        {
            0 => random.NextInt64(long.MaxValue).ToString(),
            1 => "8000000000",
            2 => (1L << random.Next(20, 63)).ToString(),
            3 => "18446744073709551615",
            4 => random.Next(100_000).ToString(),
            5 => "-1",
            _ => (long.Parse(header[start..stop]) + random.Next(-4, 5)).ToString(),
        };
        string changed = header[..start] + replacement + header[stop..];
        return TestFiles.Build(Encoding.UTF8.GetBytes(changed), seed[headerEnd..]);
    }

    /// <summary>A header built from random entries (often consistent, sometimes not), a data buffer of about the right size.</summary>
    private static byte[] RandomFile(Random random)
    {
        var header = new StringBuilder("{");
        long offset = 0;
        int entries = random.Next(6);
        for (int e = 0; e < entries; e++)
        {
            header.Append(e == 0 ? "" : ",");
            if (random.Next(8) == 0)
            {
                header.Append("\"__metadata__\":").Append(random.Next(4) switch
                {
                    0 => "null",
                    1 => "{\"format\":\"pt\"}",
                    2 => "{\"k\":1}",
                    _ => "{}",
                });
                continue;
            }

            string name = random.Next(10) == 0 ? "dup" : $"t{e}.{(char)('a' + random.Next(26))}";
            string dtype = DTypes[random.Next(DTypes.Length)];
            int rank = random.Next(4);
            var dims = new long[rank];
            long count = 1;
            for (int d = 0; d < rank; d++)
            {
                dims[d] = random.Next(10) == 0 ? random.NextInt64(long.MaxValue) : random.Next(6);
                count = dims[d] != 0 && count > long.MaxValue / dims[d] ? long.MaxValue : count * dims[d];
            }

            int bits = dtype switch { "F64" or "I64" or "C64" or "U64" => 64, "F32" or "I32" => 32, "F16" or "BF16" => 16, "F4" => 4, "F6_E2M3" => 6, _ => 8 };
            long size = count > (1L << 40) ? 1L << 40 : count * bits / 8;
            long begin = random.Next(12) == 0 ? random.Next(64) : offset;
            long end = random.Next(12) == 0 ? random.NextInt64(1L << 42) : begin + size;
            offset = end;
            header.Append('"').Append(name).Append("\":{\"dtype\":\"").Append(dtype).Append("\",\"shape\":[")
                .AppendJoin(',', dims).Append("],\"data_offsets\":[").Append(begin).Append(',').Append(end).Append("]}");
        }

        header.Append('}');
        string text = header.ToString();
        if (random.Next(4) == 0)
        {
            // A syntax accident: one character dropped or inserted.
            int at = random.Next(text.Length);
            text = random.Next(2) == 0 ? text.Remove(at, 1) : text.Insert(at, "{}[],:\"1-e ."[random.Next(12)].ToString());
        }

        long dataLength = Math.Min(offset, 4096) + (random.Next(4) == 0 ? random.Next(-3, 4) : 0);
        var data = new byte[Math.Max(0, dataLength)];
        random.NextBytes(data);
        return TestFiles.Build(text, data);
    }
}
