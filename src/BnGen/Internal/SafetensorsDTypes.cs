using System;
using System.Text;

namespace BnGen.Internal;

/// <summary>One safetensors dtype: its name in the header, its width in bits and, for the six that convert, its enum value.</summary>
internal sealed class SafetensorsDType
{
    public SafetensorsDType(string name, int bits, StateTensorDType known)
    {
        Name = name;
        Utf8Name = Encoding.UTF8.GetBytes(name);
        Bits = bits;
        Known = known;
    }

    /// <summary>The name as the header spells it: <c>"F32"</c>.</summary>
    public string Name { get; }

    /// <summary>The name in UTF-8, compared against header tokens without allocating a string.</summary>
    public byte[] Utf8Name { get; }

    /// <summary>Bits per element: 4 (<c>F4</c>), 6 (<c>F6_*</c>), 8, 16, 32 or 64.</summary>
    public int Bits { get; }

    /// <summary>The convertible dtype this is, or <see cref="StateTensorDType.Other"/>.</summary>
    public StateTensorDType Known { get; }
}

/// <summary>
/// Every dtype of the reference implementation (huggingface/safetensors, <c>safetensors/src/tensor.rs</c>, enum
/// <c>Dtype</c>), with the bit width it gives in <c>Dtype::bitsize</c>. Names are case-sensitive, as there.
/// </summary>
internal static class SafetensorsDTypes
{
    public static readonly SafetensorsDType F64 = new("F64", 64, StateTensorDType.F64);
    public static readonly SafetensorsDType F32 = new("F32", 32, StateTensorDType.F32);
    public static readonly SafetensorsDType F16 = new("F16", 16, StateTensorDType.F16);
    public static readonly SafetensorsDType BF16 = new("BF16", 16, StateTensorDType.BF16);
    public static readonly SafetensorsDType I64 = new("I64", 64, StateTensorDType.I64);
    public static readonly SafetensorsDType I32 = new("I32", 32, StateTensorDType.I32);

    /// <summary>All of them: the six convertible dtypes first, the most common first.</summary>
    public static readonly SafetensorsDType[] All =
    [
        F32, F64, F16, BF16, I64, I32,
        new("BOOL", 8, StateTensorDType.Other),
        new("U8", 8, StateTensorDType.Other),
        new("I8", 8, StateTensorDType.Other),
        new("I16", 16, StateTensorDType.Other),
        new("U16", 16, StateTensorDType.Other),
        new("U32", 32, StateTensorDType.Other),
        new("U64", 64, StateTensorDType.Other),
        new("C64", 64, StateTensorDType.Other),
        new("F8_E5M2", 8, StateTensorDType.Other),
        new("F8_E4M3", 8, StateTensorDType.Other),
        new("F8_E8M0", 8, StateTensorDType.Other),
        new("F8_E4M3FNUZ", 8, StateTensorDType.Other),
        new("F8_E5M2FNUZ", 8, StateTensorDType.Other),
        new("F6_E2M3", 6, StateTensorDType.Other),
        new("F6_E3M2", 6, StateTensorDType.Other),
        new("F4", 4, StateTensorDType.Other),
    ];

    /// <summary>The dtype a convertible enum value stands for.</summary>
    public static SafetensorsDType FromKnown(StateTensorDType dtype) => dtype switch
    {
        StateTensorDType.F64 => F64,
        StateTensorDType.F32 => F32,
        StateTensorDType.F16 => F16,
        StateTensorDType.BF16 => BF16,
        StateTensorDType.I64 => I64,
        StateTensorDType.I32 => I32,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype,
            "The dtype must be one of StateTensorDType.F64, F32, F16, BF16, I64 or I32."),
    };

    /// <summary>Looks a header's dtype name up (exact, case-sensitive match).</summary>
    public static SafetensorsDType? Find(string name)
    {
        foreach (SafetensorsDType dtype in All)
        {
            if (string.Equals(dtype.Name, name, StringComparison.Ordinal))
            {
                return dtype;
            }
        }

        return null;
    }

    /// <summary>Returned by <see cref="ByteCount"/> when element count × bits overflows.</summary>
    public const long Overflow = -1;

    /// <summary>Returned by <see cref="ByteCount"/> when the elements do not fill a whole number of bytes (sub-byte dtypes).</summary>
    public const long NotWholeBytes = -2;

    /// <summary>
    /// The number of bytes <paramref name="elementCount"/> elements take, or <see cref="Overflow"/> when the number of bits
    /// exceeds what a <see cref="long"/> counts in bytes, or <see cref="NotWholeBytes"/>: the checks of the reference's
    /// <c>Metadata::validate</c>, in its order.
    /// </summary>
    public static long ByteCount(SafetensorsDType dtype, long elementCount)
    {
        ulong high = Math.BigMul((ulong)elementCount, (ulong)dtype.Bits, out ulong bits);
        if (high != 0 || bits / 8 > long.MaxValue)
        {
            return Overflow;
        }

        return bits % 8 == 0 ? (long)(bits / 8) : NotWholeBytes;
    }
}
