using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// Element conversions between the six numeric safetensors dtypes and C# numbers, as PyTorch's <c>Tensor.to</c> and
/// <c>Tensor.copy_</c> convert on the CPU (<c>static_cast</c> between the C++ types): widening exactly, narrowing
/// rounded to nearest with ties to even, <c>F16</c>/<c>BF16</c> written from a <see cref="float"/> (c10::Half and
/// c10::BFloat16 are constructed from float, so a double goes through float first), floating to integer truncated.
/// Bytes are little-endian on every machine.
/// </summary>
internal static class StateTensorConversions
{
    /// <summary>The quiet NaN c10::BFloat16 writes for every NaN (round_to_nearest_even).</summary>
    private const ushort BFloat16NaN = 0x7FC0;

    /// <summary>Throws unless the dtype is one of the six that convert.</summary>
    public static void CheckConvertible(SafetensorsDType dtype)
    {
        if (dtype.Known == StateTensorDType.Other)
        {
            throw new NotSupportedException(
                $"A tensor of dtype {dtype.Name} is kept byte for byte but not converted: BnGen converts F64, F32, F16, BF16, I64 and I32.");
        }
    }

    /// <summary>
    /// float to bfloat16, rounded to nearest, ties to even, exactly as c10::BFloat16's round_to_nearest_even: add
    /// 0x7FFF plus the lowest kept bit, keep the upper 16 bits (a carry into the exponent rounds up to the next binade or
    /// to infinity, as it should). Every NaN becomes 0x7FC0.
    /// </summary>
    public static ushort SingleToBFloat16Bits(float value)
    {
        if (float.IsNaN(value))
        {
            return BFloat16NaN;
        }

        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>bfloat16 to float: exact (the bfloat16 bits are the upper half of the float's).</summary>
    public static float BFloat16BitsToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>
    /// float to IEEE binary16, rounded to nearest, ties to even (<see cref="Half"/>'s conversion). A NaN keeps its sign
    /// and becomes the quiet NaN 0x7E00, as PyTorch's fp16_ieee_from_fp32_value writes it.
    /// </summary>
    public static ushort SingleToHalfBits(float value)
    {
        if (float.IsNaN(value))
        {
            return (ushort)(((BitConverter.SingleToUInt32Bits(value) >> 16) & 0x8000) | 0x7E00);
        }

        return BitConverter.HalfToUInt16Bits((Half)value);
    }

    /// <summary>Reads the elements as float.</summary>
    public static void ToSingle(SafetensorsDType dtype, ReadOnlySpan<byte> data, Span<float> destination)
    {
        switch (dtype.Known)
        {
            case StateTensorDType.F32:
                // Each element is 4 little-endian bytes of a binary32.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i));
                }

                break;
            case StateTensorDType.F64:
                // double to float: rounded to nearest, ties to even.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(8 * i));
                }

                break;
            case StateTensorDType.F16:
                // binary16 to float: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)));
                }

                break;
            case StateTensorDType.BF16:
                // bfloat16 to float: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BFloat16BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)));
                }

                break;
            case StateTensorDType.I64:
                // long to float: one rounding, to nearest, ties to even (not through double, which could round twice).
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadInt64LittleEndian(data.Slice(8 * i));
                }

                break;
            case StateTensorDType.I32:
                // int to float: rounded to nearest, ties to even above 2^24.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i));
                }

                break;
            default:
                CheckConvertible(dtype);
                break;
        }
    }

    /// <summary>Reads the elements as double.</summary>
    public static void ToDouble(SafetensorsDType dtype, ReadOnlySpan<byte> data, Span<double> destination)
    {
        switch (dtype.Known)
        {
            case StateTensorDType.F64:
                // Each element is 8 little-endian bytes of a binary64.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(8 * i));
                }

                break;
            case StateTensorDType.F32:
                // float to double: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i));
                }

                break;
            case StateTensorDType.F16:
                // binary16 to double: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (double)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)));
                }

                break;
            case StateTensorDType.BF16:
                // bfloat16 to double: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BFloat16BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(2 * i)));
                }

                break;
            case StateTensorDType.I64:
                // long to double: exact up to 2^53, rounded to nearest, ties to even beyond.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(8 * i));
                }

                break;
            case StateTensorDType.I32:
                // int to double: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i));
                }

                break;
            default:
                CheckConvertible(dtype);
                break;
        }
    }

    /// <summary>Reads the elements as long; floating elements are truncated toward zero.</summary>
    public static void ToInt64(SafetensorsDType dtype, ReadOnlySpan<byte> data, Span<long> destination)
    {
        switch (dtype.Known)
        {
            case StateTensorDType.I64:
                // Each element is 8 little-endian bytes of a two's-complement integer.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt64LittleEndian(data.Slice(8 * i));
                }

                break;
            case StateTensorDType.I32:
                // int to long: exact.
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(4 * i));
                }

                break;
            case StateTensorDType.F64:
            case StateTensorDType.F32:
            case StateTensorDType.F16:
            case StateTensorDType.BF16:
                // Floating elements: read exactly as double, then truncate toward zero (C++ static_cast<int64_t>).
                Span<double> one = stackalloc double[1];
                int size = dtype.Bits / 8;
                for (int i = 0; i < destination.Length; i++)
                {
                    ToDouble(dtype, data.Slice(size * i, size), one);
                    destination[i] = TruncateToInt64(one[0], i, dtype.Name);
                }

                break;
            default:
                CheckConvertible(dtype);
                break;
        }
    }

    /// <summary>Writes float, double, long or int values as elements of <paramref name="dtype"/>.</summary>
    public static void From<TSource>(ReadOnlySpan<TSource> values, SafetensorsDType dtype, Span<byte> data)
        where TSource : unmanaged
    {
        switch (dtype.Known)
        {
            case StateTensorDType.F64:
                // To binary64: exact from float and int, rounded to nearest from long beyond 2^53.
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(data.Slice(8 * i), AsDouble(values[i]));
                }

                break;
            case StateTensorDType.F32:
                // To binary32: one rounding to nearest, ties to even.
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(data.Slice(4 * i), AsSingle(values[i]));
                }

                break;
            case StateTensorDType.F16:
                // To binary16 from the float value, as c10::Half(float) does.
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(data.Slice(2 * i), SingleToHalfBits(AsSingle(values[i])));
                }

                break;
            case StateTensorDType.BF16:
                // To bfloat16 from the float value, as c10::BFloat16(float) does.
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(data.Slice(2 * i), SingleToBFloat16Bits(AsSingle(values[i])));
                }

                break;
            case StateTensorDType.I64:
                // To a 64-bit integer: floating values truncated toward zero, checked.
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(data.Slice(8 * i), AsInt64(values[i], i));
                }

                break;
            case StateTensorDType.I32:
                // To a 32-bit integer: floating values truncated toward zero, every value checked against the range.
                for (int i = 0; i < values.Length; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(data.Slice(4 * i), AsInt32(values[i], i));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype.Name, "Only the six numeric dtypes are written from numbers.");
        }
    }

    private static double AsDouble<TSource>(TSource value)
        where TSource : unmanaged
    {
        if (typeof(TSource) == typeof(float))
        {
            return Unsafe.As<TSource, float>(ref value);
        }

        if (typeof(TSource) == typeof(double))
        {
            return Unsafe.As<TSource, double>(ref value);
        }

        if (typeof(TSource) == typeof(long))
        {
            return Unsafe.As<TSource, long>(ref value);
        }

        return Unsafe.As<TSource, int>(ref value);
    }

    private static float AsSingle<TSource>(TSource value)
        where TSource : unmanaged
    {
        if (typeof(TSource) == typeof(float))
        {
            return Unsafe.As<TSource, float>(ref value);
        }

        if (typeof(TSource) == typeof(double))
        {
            return (float)Unsafe.As<TSource, double>(ref value);
        }

        if (typeof(TSource) == typeof(long))
        {
            // One rounding (cvtsi2ss / scvtf), not through double.
            return Unsafe.As<TSource, long>(ref value);
        }

        return Unsafe.As<TSource, int>(ref value);
    }

    private static long AsInt64<TSource>(TSource value, int index)
        where TSource : unmanaged
    {
        if (typeof(TSource) == typeof(long))
        {
            return Unsafe.As<TSource, long>(ref value);
        }

        if (typeof(TSource) == typeof(int))
        {
            return Unsafe.As<TSource, int>(ref value);
        }

        return TruncateToInt64(AsDouble(value), index, sourceDType: null);
    }

    private static int AsInt32<TSource>(TSource value, int index)
        where TSource : unmanaged
    {
        if (typeof(TSource) == typeof(int))
        {
            return Unsafe.As<TSource, int>(ref value);
        }

        if (typeof(TSource) == typeof(long))
        {
            long wide = Unsafe.As<TSource, long>(ref value);
            if (wide is < int.MinValue or > int.MaxValue)
            {
                throw new OverflowException(
                    string.Create(CultureInfo.InvariantCulture, $"Value {wide} (element {index}) cannot be stored as I32."));
            }

            return (int)wide;
        }

        double real = AsDouble(value);
        // Truncation lands in [int.MinValue, int.MaxValue] exactly for real in (-2^31 - 1, 2^31); NaN fails both tests.
        if (!(real > -2147483649.0 && real < 2147483648.0))
        {
            throw new OverflowException(
                string.Create(CultureInfo.InvariantCulture, $"Value {real:R} (element {index}) cannot be stored as I32."));
        }

        return (int)real;
    }

    /// <summary>Truncates toward zero; <paramref name="sourceDType"/> names the tensor read from, null when writing I64.</summary>
    private static long TruncateToInt64(double real, int index, string? sourceDType)
    {
        // Truncation lands in the long range exactly for real in [-2^63, 2^63); NaN fails both tests.
        if (!(real >= -9223372036854775808.0 && real < 9223372036854775808.0))
        {
            throw new OverflowException(sourceDType is null
                ? string.Create(CultureInfo.InvariantCulture, $"Value {real:R} (element {index}) cannot be stored as I64.")
                : string.Create(CultureInfo.InvariantCulture, $"Value {real:R} (element {index} of a {sourceDType} tensor) has no Int64 value."));
        }

        return (long)real;
    }
}
