namespace BnGen;

/// <summary>
/// The element types a <see cref="StateTensor"/> converts to and from numbers. A tensor of any other safetensors dtype
/// (<c>BOOL</c>, <c>U8</c>, <c>I8</c>, <c>I16</c>, <c>U16</c>, <c>U32</c>, <c>U64</c>, <c>C64</c>, the <c>F8_*</c>,
/// <c>F6_*</c> and <c>F4</c> formats) reports <see cref="Other"/>: it is kept byte for byte, but not converted.
/// </summary>
public enum StateTensorDType
{
    /// <summary>A safetensors dtype that <see cref="StateTensor"/> keeps untouched but does not convert; see <see cref="StateTensor.DTypeName"/>.</summary>
    Other = 0,

    /// <summary><c>F64</c>: IEEE 754 binary64 (<c>torch.float64</c>, C# <see cref="double"/>).</summary>
    F64 = 1,

    /// <summary><c>F32</c>: IEEE 754 binary32 (<c>torch.float32</c>, C# <see cref="float"/>).</summary>
    F32 = 2,

    /// <summary><c>F16</c>: IEEE 754 binary16 (<c>torch.float16</c>, C# <see cref="System.Half"/>).</summary>
    F16 = 3,

    /// <summary><c>BF16</c>: bfloat16, the upper 16 bits of a binary32 (<c>torch.bfloat16</c>).</summary>
    BF16 = 4,

    /// <summary><c>I64</c>: two's-complement 64-bit integer (<c>torch.int64</c>, C# <see cref="long"/>).</summary>
    I64 = 5,

    /// <summary><c>I32</c>: two's-complement 32-bit integer (<c>torch.int32</c>, C# <see cref="int"/>).</summary>
    I32 = 6,
}
