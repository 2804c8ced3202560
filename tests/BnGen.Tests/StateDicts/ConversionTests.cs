using System;
using System.Buffers.Binary;
using Xunit;

namespace BnGen.Tests.StateDicts;

/// <summary>
/// Conversions as PyTorch's <c>Tensor.to</c> / <c>copy_</c> make them. Every expected value is written as bits worked
/// out by hand from the IEEE 754 / bfloat16 rounding rules (round to nearest, ties to even), not computed by the code
/// under test or by <see cref="Half"/>.
/// </summary>
public class ConversionTests
{
    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private static ushort Bits16(StateTensor tensor) => BinaryPrimitives.ReadUInt16LittleEndian(tensor.Data.Span);

    [Theory]
    [InlineData(0x3F800000u, 0x3F80)]   // 1.0: exact
    [InlineData(0x3F808000u, 0x3F80)]   // 1 + 2^-8: halfway between 0x3F80 and 0x3F81: ties to even, down
    [InlineData(0x3F818000u, 0x3F82)]   // 1 + 3·2^-8: halfway between 0x3F81 and 0x3F82: ties to even, up
    [InlineData(0x3F808001u, 0x3F81)]   // just above halfway: up
    [InlineData(0x3F807FFFu, 0x3F80)]   // just below halfway: down
    [InlineData(0xBF818000u, 0xBF82)]   // negative values round the magnitude the same way
    [InlineData(0x7F7F7FFFu, 0x7F7F)]   // just below halfway to infinity: the largest bfloat16
    [InlineData(0x7F7F8000u, 0x7F80)]   // halfway between 0x7F7F (odd) and infinity: up, to infinity
    [InlineData(0x7F7FFFFFu, 0x7F80)]   // float.MaxValue: infinity
    [InlineData(0x7F800000u, 0x7F80)]   // +infinity
    [InlineData(0xFF800000u, 0xFF80)]   // -infinity
    [InlineData(0x80000000u, 0x8000)]   // -0.0 keeps its sign
    [InlineData(0x00000001u, 0x0000)]   // the smallest subnormal: to zero
    [InlineData(0x00008000u, 0x0000)]   // subnormal halfway between 0 and 0x0001: even, 0
    [InlineData(0x00018000u, 0x0002)]   // subnormal halfway between 0x0001 and 0x0002: even, 0x0002
    [InlineData(0x00008001u, 0x0001)]   // subnormal just above halfway
    [InlineData(0x007FFFFFu, 0x0080)]   // the largest subnormal rounds up into the smallest normal
    [InlineData(0x7FC00000u, 0x7FC0)]   // quiet NaN
    [InlineData(0xFFC00001u, 0x7FC0)]   // every NaN becomes 0x7FC0, as c10::BFloat16 writes it
    [InlineData(0x7F800001u, 0x7FC0)]   // a signalling NaN too
    public void Float_to_BF16_rounds_to_nearest_even(uint floatBits, int expected)
    {
        Assert.Equal((ushort)expected, Bits16(StateTensor.Create([F(floatBits)], [], StateTensorDType.BF16)));
    }

    [Theory]
    [InlineData(0x3F800000u, 0x3C00)]   // 1.0
    [InlineData(0x3F801000u, 0x3C00)]   // 1 + 2^-11: halfway between 0x3C00 and 0x3C01: even, down
    [InlineData(0x3F803000u, 0x3C02)]   // 1 + 3·2^-11: halfway between 0x3C01 and 0x3C02: even, up
    [InlineData(0x3F801001u, 0x3C01)]   // just above halfway
    [InlineData(0x477FE000u, 0x7BFF)]   // 65504: the largest half
    [InlineData(0x477FEFFFu, 0x7BFF)]   // just below 65520
    [InlineData(0x477FF000u, 0x7C00)]   // 65520: halfway between 65504 (odd) and 65536: infinity
    [InlineData(0xC77FF000u, 0xFC00)]   // -65520: -infinity
    [InlineData(0x33800000u, 0x0001)]   // 2^-24: the smallest subnormal half
    [InlineData(0x33000000u, 0x0000)]   // 2^-25: halfway between 0 and 2^-24: even, 0
    [InlineData(0x33000001u, 0x0001)]   // just above 2^-25
    [InlineData(0x33C00000u, 0x0002)]   // 3·2^-25: halfway between 0x0001 and 0x0002: even, 0x0002
    [InlineData(0x38800000u, 0x0400)]   // 2^-14: the smallest normal half
    [InlineData(0x80000000u, 0x8000)]   // -0.0
    [InlineData(0x7FC00000u, 0x7E00)]   // NaN: quiet NaN 0x7E00, as PyTorch's fp16_ieee_from_fp32_value
    [InlineData(0xFFC12345u, 0xFE00)]   // a negative NaN keeps its sign, loses its payload
    public void Float_to_F16_rounds_to_nearest_even(uint floatBits, int expected)
    {
        Assert.Equal((ushort)expected, Bits16(StateTensor.Create([F(floatBits)], [], StateTensorDType.F16)));
    }

    [Fact]
    public void Double_to_F16_and_BF16_goes_through_float_as_PyTorch_does()
    {
        // 1 + 2^-8 + 2^-30 is above the bfloat16 halfway point 1 + 2^-8, so correct rounding would give 0x3F81; but
        // c10::BFloat16 is built from a float, and (float)(1 + 2^-8 + 2^-30) = 1 + 2^-8 exactly, a tie that goes to
        // even: PyTorch stores 0x3F80, and so does BnGen.
        double d = 1 + Math.Pow(2, -8) + Math.Pow(2, -30);
        Assert.Equal(0x3F80, Bits16(StateTensor.Create([d], [], StateTensorDType.BF16)));
        // The same for half: 1 + 2^-11 + 2^-30 becomes the float 1 + 2^-11, a tie: 0x3C00 (correct rounding: 0x3C01).
        double h = 1 + Math.Pow(2, -11) + Math.Pow(2, -30);
        Assert.Equal(0x3C00, Bits16(StateTensor.Create([h], [], StateTensorDType.F16)));
        // Long values go through float as well.
        Assert.Equal(0x4B80, Bits16(StateTensor.Create([16_777_217L], [], StateTensorDType.BF16)));   // 2^24 + 1 -> 2^24
        Assert.Equal(0x7C00, Bits16(StateTensor.Create([65_520L], [], StateTensorDType.F16)));         // infinity
    }

    [Fact]
    public void F16_and_BF16_read_exactly()
    {
        var half = new StateTensor("F16", [5], [0xFF, 0x7B, 0x01, 0x00, 0x00, 0x7C, 0x00, 0xFC, 0x00, 0x3C]);
        Assert.Equal([65504f, F(0x33800000), float.PositiveInfinity, float.NegativeInfinity, 1f], half.ToSingleArray());
        Assert.Equal([65504d, Math.Pow(2, -24), double.PositiveInfinity, double.NegativeInfinity, 1d], half.ToDoubleArray());
        var bf16 = new StateTensor("BF16", [3], [0x81, 0x3F, 0x80, 0x7F, 0x01, 0x00]);
        Assert.Equal([1.0078125f, float.PositiveInfinity, F(0x00010000)], bf16.ToSingleArray());
    }

    [Fact]
    public void I64_to_float_rounds_once_to_nearest_even()
    {
        long[] values =
        [
            16_777_217,                                  // 2^24 + 1: halfway between 2^24 and 2^24 + 2: even, 2^24
            16_777_219,                                  // 2^24 + 3: halfway between 2^24 + 2 and 2^24 + 4: even, 2^24 + 4
            (1L << 60) + (1L << 36) + 1,                 // just above halfway: up to 2^60 + 2^37 (through double it would
                                                         // first become 2^60 + 2^36, a tie, and then 2^60)
            long.MaxValue,                               // 2^63 - 1 -> 2^63
            long.MinValue,                               // -2^63 exactly
            -16_777_217,
        ];
        var tensor = StateTensor.Create(values, [6]);
        Assert.Equal([F(0x4B800000), F(0x4B800002), F(0x5D800001), F(0x5F000000), F(0xDF000000), F(0xCB800000)], tensor.ToSingleArray());
        Assert.Equal(Math.Pow(2, 53), StateTensor.Create([(1L << 53) + 1], [1]).ToDoubleArray()[0]);   // tie, even
    }

    [Fact]
    public void F64_to_float_rounds_to_nearest_even()
    {
        var tensor = StateTensor.Create([1 + Math.Pow(2, -24), 1 + Math.Pow(2, -24) + Math.Pow(2, -50), 1e39, -1e-50], [4]);
        Assert.Equal([1f, F(0x3F800001), float.PositiveInfinity, -0f], tensor.ToSingleArray());
        Assert.Equal(0x80000000u, BitConverter.SingleToUInt32Bits(tensor.ToSingleArray()[3]));
        Assert.Equal([1f, F(0x3F800001), float.PositiveInfinity, -0f], ReadBack(StateTensor.Create(tensor.ToDoubleArray(), [4], StateTensorDType.F32)));
    }

    [Fact]
    public void Floating_to_integer_truncates_toward_zero_and_rejects_what_has_no_value()
    {
        Assert.Equal([2L, -2, 0, 0, long.MinValue], StateTensor.Create([2.9, -2.9, 0.5, -0.5, -9.2233720368547758e18], [5]).ToInt64Array());
        Assert.Equal([3L, -1], StateTensor.Create([3.99f, -1.5f], [2], StateTensorDType.I64).ToInt64Array());
        Assert.Equal([int.MaxValue, int.MinValue], StateTensor.Create([2147483647.9, -2147483648.9], [2], StateTensorDType.I32).ToInt64Array());

        Assert.Equal("Value NaN (element 1 of a F32 tensor) has no Int64 value.",
            Assert.Throws<OverflowException>(() => StateTensor.Create([1f, float.NaN], [2]).ToInt64Array()).Message);
        Assert.Equal("Value 9.223372036854776E+18 (element 0 of a F64 tensor) has no Int64 value.",
            Assert.Throws<OverflowException>(() => StateTensor.Create([9.223372036854775807e18], [1]).ToInt64Array()).Message);
        Assert.Equal("Value -Infinity (element 0) cannot be stored as I64.",
            Assert.Throws<OverflowException>(() => StateTensor.Create([double.NegativeInfinity], [1], StateTensorDType.I64)).Message);
        Assert.Equal("Value 2147483648 (element 0) cannot be stored as I32.",
            Assert.Throws<OverflowException>(() => StateTensor.Create([2147483648.0], [1], StateTensorDType.I32)).Message);
        Assert.Equal("Value 2147483648 (element 1) cannot be stored as I32.",
            Assert.Throws<OverflowException>(() => StateTensor.Create([0L, 2147483648L], [2], StateTensorDType.I32)).Message);
    }

    [Fact]
    public void Integers_convert_to_every_dtype()
    {
        Assert.Equal([-3.0, 1e6], StateTensor.Create([-3, 1_000_000], [2], StateTensorDType.F64).ToDoubleArray());
        Assert.Equal([-3L, 1_000_000], StateTensor.Create([-3, 1_000_000], [2], StateTensorDType.I64).ToInt64Array());
        Assert.Equal([-3f, 16_777_216f], StateTensor.Create([-3, 16_777_217], [2], StateTensorDType.F32).ToSingleArray());
        Assert.Equal([-3L, 7], StateTensor.Create([-3L, 7L], [2], StateTensorDType.I32).ToInt64Array());
        Assert.Equal("I32", StateTensor.Create([1, 2], [2]).DTypeName);
        Assert.Equal("I64", StateTensor.Create([1L, 2L], [2]).DTypeName);
        Assert.Equal("F64", StateTensor.Create([1.0], [1]).DTypeName);
        Assert.Equal("F32", StateTensor.Create([1f], [1]).DTypeName);
    }

    [Fact]
    public void Raw_bytes_are_little_endian()
    {
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F }, StateTensor.Create([1f], []).Data.ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0xF0, 0x3F }, StateTensor.Create([1.0], []).Data.ToArray());
        Assert.Equal(new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, StateTensor.Create([-2L], []).Data.ToArray());
        Assert.Equal(new byte[] { 0x01, 0x02, 0x00, 0x00 }, StateTensor.Create([0x0201], []).Data.ToArray());
    }

    [Fact]
    public void Other_dtypes_are_kept_but_not_converted()
    {
        var tensor = new StateTensor("U8", [3], [1, 2, 3]);
        Assert.Equal(StateTensorDType.Other, tensor.DType);
        Assert.Equal("A tensor of dtype U8 is kept byte for byte but not converted: BnGen converts F64, F32, F16, BF16, I64 and I32.",
            Assert.Throws<NotSupportedException>(() => tensor.ToSingleArray()).Message);
        Assert.Throws<NotSupportedException>(() => tensor.ToDoubleArray());
        Assert.Throws<NotSupportedException>(() => tensor.ToInt64Array());
        Assert.Throws<NotSupportedException>(() => tensor.CopyTo(new float[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => StateTensor.Create([1f], [1], StateTensorDType.Other));
        Assert.Throws<ArgumentOutOfRangeException>(() => StateTensor.Create([1f], [1], (StateTensorDType)99));
    }

    [Fact]
    public void Shapes_and_lengths_are_checked()
    {
        Assert.Equal("Shape [2, 2] holds 4 elements, but 3 values were given. (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => StateTensor.Create([1f, 2, 3], [2, 2])).Message);
        Assert.Equal("Shape [1] holds 1 elements, but 0 values were given. (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => StateTensor.Create(ReadOnlySpan<float>.Empty, [1])).Message);
        Assert.Equal("Shape [-1] has a negative dimension. (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => new StateTensor("F32", [-1], [])).Message);
        Assert.Equal("Shape [4294967296, 4294967296, 0] has more elements than a long can count. (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => new StateTensor("F32", [1L << 32, 1L << 32, 0], [])).Message);
        Assert.Equal("3 elements of F4 (4 bits each) do not fill a whole number of bytes. (Parameter 'shape')",
            Assert.Throws<ArgumentException>(() => new StateTensor("F4", [3], [0, 0])).Message);
        Assert.Equal("A F32 tensor of shape [2] takes 8 bytes, but 7 were given. (Parameter 'data')",
            Assert.Throws<ArgumentException>(() => new StateTensor("F32", [2], new byte[7])).Message);
        Assert.Equal("'f32' is not a safetensors dtype (for example F32, F64, F16, BF16, I64, I32, U8, BOOL). (Parameter 'dtype')",
            Assert.Throws<ArgumentException>(() => new StateTensor("f32", [1], new byte[4])).Message);
        Assert.Equal("The destination must hold exactly 2 values (shape [2]), but it holds 3. (Parameter 'destination')",
            Assert.Throws<ArgumentException>(() => StateTensor.Create([1f, 2f], [2]).CopyTo(new double[3])).Message);
    }

    [Fact]
    public void Tensors_are_immutable_copies()
    {
        float[] values = [1f, 2f];
        long[] shape = [2];
        var tensor = StateTensor.Create(values, shape);
        values[0] = 99f;
        shape[0] = 5;
        Assert.Equal([1f, 2f], tensor.ToSingleArray());
        Assert.Equal([2L], tensor.Shape);
        Assert.Throws<NotSupportedException>(() => ((System.Collections.Generic.IList<long>)tensor.Shape)[0] = 3);
        Assert.Equal("F32 [2]", tensor.ToString());
        Assert.Equal("I64 []", StateTensor.Create([1L], []).ToString());
    }

    private static float[] ReadBack(StateTensor tensor) => tensor.ToSingleArray();
}
