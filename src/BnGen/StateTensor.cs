using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;
using BnGen.Internal;

namespace BnGen;

/// <summary>
/// One tensor of a <see cref="StateDict"/>: a safetensors dtype, a shape and the raw little-endian bytes of its elements
/// in row-major order. Immutable: the factories and the constructor copy what they are given, and nothing changes the
/// bytes afterwards, so a tensor can be shared between state dicts.
/// </summary>
/// <remarks>
/// Tensors of the six numeric dtypes of <see cref="StateTensorDType"/> convert to and from <see cref="float"/>,
/// <see cref="double"/> and <see cref="long"/> as PyTorch's <c>Tensor.to</c> / <c>Tensor.copy_</c> do: to a wider
/// type exactly, to a narrower floating type rounded to nearest, ties to even (<c>F16</c> and <c>BF16</c> through
/// <see cref="float"/>, as PyTorch does), from a floating type to an integer one truncated toward zero. Where PyTorch
/// would be undefined (NaN, infinity or a value out of the integer's range stored as an integer), an
/// <see cref="OverflowException"/> is thrown. A tensor of any other dtype keeps its bytes exactly (so a whole model's
/// file round-trips) and converting it throws <see cref="NotSupportedException"/>.
/// </remarks>
public sealed class StateTensor
{
    private readonly SafetensorsDType _dtype;
    private readonly long[] _shape;
    private readonly byte[] _data;

    /// <summary>
    /// Creates a tensor of any safetensors dtype from its raw bytes (copied): little-endian elements in row-major order.
    /// </summary>
    /// <param name="dtype">The dtype as the safetensors header spells it: <c>"F32"</c>, <c>"BF16"</c>, <c>"U8"</c>,
    /// <c>"F8_E4M3"</c>, ... (case-sensitive).</param>
    /// <param name="shape">The dimensions, outermost first; empty for a scalar. Each must be non-negative.</param>
    /// <param name="data">Exactly element count × element size bytes.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dtype"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not a safetensors dtype, a dimension is negative,
    /// the element count overflows, the elements do not fill a whole number of bytes, or <paramref name="data"/> has
    /// another length.</exception>
    public StateTensor(string dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        _dtype = SafetensorsDTypes.Find(dtype)
            ?? throw new ArgumentException($"'{dtype}' is not a safetensors dtype (for example F32, F64, F16, BF16, I64, I32, U8, BOOL).", nameof(dtype));
        ElementCount = CheckShape(shape, nameof(shape));
        long byteCount = RequiredBytes(_dtype, ElementCount, nameof(shape));
        if (data.Length != byteCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"A {_dtype.Name} tensor of shape {FormatShape(shape)} takes {byteCount} bytes, but {data.Length} were given."),
                nameof(data));
        }

        _shape = shape.ToArray();
        _data = data.ToArray();
        Shape = Array.AsReadOnly(_shape);
    }

    /// <summary>Wraps arrays the caller hands over (the reader, the factories): no copy, no check.</summary>
    internal StateTensor(SafetensorsDType dtype, long[] shape, long elementCount, byte[] data)
    {
        _dtype = dtype;
        _shape = shape;
        _data = data;
        ElementCount = elementCount;
        Shape = Array.AsReadOnly(_shape);
    }

    /// <summary>The dtype as the safetensors header spells it: <c>"F32"</c>, <c>"I64"</c>, <c>"U8"</c>, ...</summary>
    public string DTypeName => _dtype.Name;

    /// <summary>The dtype, when it is one of the six that convert; <see cref="StateTensorDType.Other"/> otherwise.</summary>
    public StateTensorDType DType => _dtype.Known;

    /// <summary>The dimensions, outermost first; empty for a scalar (PyTorch's <c>torch.Size([])</c>).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of dimensions: 0 for a scalar.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements: the product of the dimensions (1 for a scalar, 0 when a dimension is 0).</summary>
    public long ElementCount { get; }

    /// <summary>The raw bytes: little-endian elements in row-major order, exactly as the file stores them.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    internal SafetensorsDType DTypeInfo => _dtype;

    internal byte[] RawData => _data;

    /// <summary>Creates an <c>F32</c> tensor.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <returns>A new tensor holding a copy of the values.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    public static StateTensor Create(ReadOnlySpan<float> values, ReadOnlySpan<long> shape)
        => Create(values, shape, StateTensorDType.F32);

    /// <summary>Creates a tensor of <paramref name="dtype"/> from <see cref="float"/> values, converted as PyTorch's <c>Tensor.to</c> does.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <param name="dtype">The stored dtype: <c>F64</c> exactly; <c>F16</c>/<c>BF16</c> rounded to nearest, ties to even;
    /// <c>I64</c>/<c>I32</c> truncated toward zero.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is <see cref="StateTensorDType.Other"/> or undefined.</exception>
    /// <exception cref="OverflowException">An integer dtype was asked for and a value is NaN, infinite or out of its range.</exception>
    public static StateTensor Create(ReadOnlySpan<float> values, ReadOnlySpan<long> shape, StateTensorDType dtype)
        => CreateFrom(values, shape, dtype);

    /// <summary>Creates an <c>F64</c> tensor.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <returns>A new tensor holding a copy of the values.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    public static StateTensor Create(ReadOnlySpan<double> values, ReadOnlySpan<long> shape)
        => Create(values, shape, StateTensorDType.F64);

    /// <summary>
    /// Creates a tensor of <paramref name="dtype"/> from <see cref="double"/> values, converted as PyTorch's <c>Tensor.to</c>
    /// does (to <c>F16</c>/<c>BF16</c> through <see cref="float"/>, as PyTorch's conversion does).
    /// </summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <param name="dtype">The stored dtype: <c>F32</c>, <c>F16</c>, <c>BF16</c> rounded to nearest, ties to even;
    /// <c>I64</c>/<c>I32</c> truncated toward zero.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is <see cref="StateTensorDType.Other"/> or undefined.</exception>
    /// <exception cref="OverflowException">An integer dtype was asked for and a value is NaN, infinite or out of its range.</exception>
    public static StateTensor Create(ReadOnlySpan<double> values, ReadOnlySpan<long> shape, StateTensorDType dtype)
        => CreateFrom(values, shape, dtype);

    /// <summary>Creates an <c>I64</c> tensor (the dtype of PyTorch's <c>num_batches_tracked</c>).</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <returns>A new tensor holding a copy of the values.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    public static StateTensor Create(ReadOnlySpan<long> values, ReadOnlySpan<long> shape)
        => Create(values, shape, StateTensorDType.I64);

    /// <summary>Creates a tensor of <paramref name="dtype"/> from <see cref="long"/> values, converted as PyTorch's <c>Tensor.to</c> does.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <param name="dtype">The stored dtype: floating dtypes rounded to nearest, ties to even (<c>F16</c>/<c>BF16</c> through
    /// <see cref="float"/>); <c>I32</c> only for values in its range.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is <see cref="StateTensorDType.Other"/> or undefined.</exception>
    /// <exception cref="OverflowException"><c>I32</c> was asked for and a value is out of its range.</exception>
    public static StateTensor Create(ReadOnlySpan<long> values, ReadOnlySpan<long> shape, StateTensorDType dtype)
        => CreateFrom(values, shape, dtype);

    /// <summary>Creates an <c>I32</c> tensor.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <returns>A new tensor holding a copy of the values.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    public static StateTensor Create(ReadOnlySpan<int> values, ReadOnlySpan<long> shape)
        => Create(values, shape, StateTensorDType.I32);

    /// <summary>Creates a tensor of <paramref name="dtype"/> from <see cref="int"/> values, converted as PyTorch's <c>Tensor.to</c> does.</summary>
    /// <param name="values">The elements in row-major order.</param>
    /// <param name="shape">The dimensions (empty for a scalar); their product must equal the number of values.</param>
    /// <param name="dtype">The stored dtype: <c>F32</c>, <c>F16</c>, <c>BF16</c> rounded to nearest, ties to even; the others exactly.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="ArgumentException">A dimension is negative, or the shape's element count is not the number of values.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is <see cref="StateTensorDType.Other"/> or undefined.</exception>
    public static StateTensor Create(ReadOnlySpan<int> values, ReadOnlySpan<long> shape, StateTensorDType dtype)
        => CreateFrom(values, shape, dtype);

    /// <summary>The elements as <see cref="float"/>: exact from <c>F32</c>, <c>F16</c>, <c>BF16</c>; rounded to nearest, ties to even from <c>F64</c>, <c>I64</c>, <c>I32</c>.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values in row-major order.</returns>
    /// <exception cref="NotSupportedException">The dtype is not one of the six of <see cref="StateTensorDType"/>.</exception>
    public float[] ToSingleArray()
    {
        var values = new float[CheckedCount()];
        CopyTo(values);
        return values;
    }

    /// <summary>The elements as <see cref="double"/>: exact, except <c>I64</c> beyond 2^53 (rounded to nearest, ties to even).</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values in row-major order.</returns>
    /// <exception cref="NotSupportedException">The dtype is not one of the six of <see cref="StateTensorDType"/>.</exception>
    public double[] ToDoubleArray()
    {
        var values = new double[CheckedCount()];
        CopyTo(values);
        return values;
    }

    /// <summary>The elements as <see cref="long"/>: exact from <c>I64</c> and <c>I32</c>; truncated toward zero from the floating dtypes.</summary>
    /// <returns>A new array of <see cref="ElementCount"/> values in row-major order.</returns>
    /// <exception cref="NotSupportedException">The dtype is not one of the six of <see cref="StateTensorDType"/>.</exception>
    /// <exception cref="OverflowException">A floating element is NaN, infinite or out of the range of <see cref="long"/>.</exception>
    public long[] ToInt64Array()
    {
        var values = new long[CheckedCount()];
        CopyTo(values);
        return values;
    }

    /// <summary>Writes the elements, converted as <see cref="ToSingleArray"/> does, to <paramref name="destination"/> without allocating.</summary>
    /// <param name="destination">Exactly <see cref="ElementCount"/> values long.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    /// <exception cref="NotSupportedException">The dtype is not one of the six of <see cref="StateTensorDType"/>.</exception>
    public void CopyTo(Span<float> destination)
    {
        CheckDestination(destination.Length);
        StateTensorConversions.ToSingle(_dtype, _data, destination);
    }

    /// <summary>Writes the elements, converted as <see cref="ToDoubleArray"/> does, to <paramref name="destination"/> without allocating.</summary>
    /// <param name="destination">Exactly <see cref="ElementCount"/> values long.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    /// <exception cref="NotSupportedException">The dtype is not one of the six of <see cref="StateTensorDType"/>.</exception>
    public void CopyTo(Span<double> destination)
    {
        CheckDestination(destination.Length);
        StateTensorConversions.ToDouble(_dtype, _data, destination);
    }

    /// <summary>
    /// Writes the elements, converted as <see cref="ToInt64Array"/> does, to <paramref name="destination"/>. On an
    /// <see cref="OverflowException"/> the elements before the offending one have been written.
    /// </summary>
    /// <param name="destination">Exactly <see cref="ElementCount"/> values long.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    /// <exception cref="NotSupportedException">The dtype is not one of the six of <see cref="StateTensorDType"/>.</exception>
    /// <exception cref="OverflowException">A floating element is NaN, infinite or out of the range of <see cref="long"/>.</exception>
    public void CopyTo(Span<long> destination)
    {
        CheckDestination(destination.Length);
        StateTensorConversions.ToInt64(_dtype, _data, destination);
    }

    /// <summary>The dtype and shape, for debugging: <c>F32 [64]</c>, <c>I64 []</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => _dtype.Name + " " + FormatShape(_shape);

    /// <summary>Formats a shape as PyTorch prints a size: <c>[64]</c>, <c>[2, 3]</c>, <c>[]</c>.</summary>
    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            text.Append(i == 0 ? "" : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.Append(']').ToString();
    }

    private static StateTensor CreateFrom<TSource>(ReadOnlySpan<TSource> values, ReadOnlySpan<long> shape, StateTensorDType dtype)
        where TSource : unmanaged
    {
        SafetensorsDType info = SafetensorsDTypes.FromKnown(dtype);
        long count = CheckShape(shape, nameof(shape));
        if (count != values.Length)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"Shape {FormatShape(shape)} holds {count} elements, but {values.Length} values were given."),
                nameof(shape));
        }

        var data = new byte[checked(values.Length * (info.Bits / 8))];
        StateTensorConversions.From(values, info, data);
        return new StateTensor(info, shape.ToArray(), count, data);
    }

    /// <summary>
    /// The element count of a shape: every dimension non-negative, the running product, taken left to right as the
    /// reference implementation takes it, within 64 unsigned bits (even when a later dimension is 0), the count itself
    /// within a long.
    /// </summary>
    private static long CheckShape(ReadOnlySpan<long> shape, string paramName)
    {
        ulong product = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"Shape {FormatShape(shape)} has a negative dimension."), paramName);
            }

            if (dim != 0 && product > ulong.MaxValue / (ulong)dim)
            {
                product = ulong.MaxValue;
                break;
            }

            product *= (ulong)dim;
        }

        if (product > long.MaxValue)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Shape {FormatShape(shape)} has more elements than a long can count."), paramName);
        }

        return (long)product;
    }

    private static long RequiredBytes(SafetensorsDType dtype, long elementCount, string paramName)
    {
        long bytes = SafetensorsDTypes.ByteCount(dtype, elementCount);
        if (bytes == SafetensorsDTypes.Overflow)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{elementCount} elements of {dtype.Name} take more bytes than a long can count."), paramName);
        }

        if (bytes == SafetensorsDTypes.NotWholeBytes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"{elementCount} elements of {dtype.Name} ({dtype.Bits} bits each) do not fill a whole number of bytes."),
                paramName);
        }

        return bytes;
    }

    private int CheckedCount()
    {
        StateTensorConversions.CheckConvertible(_dtype);
        return (int)ElementCount;   // the bytes fit one array, so the elements of a convertible dtype (>= 2 bytes) fit an int
    }

    private void CheckDestination(int length)
    {
        StateTensorConversions.CheckConvertible(_dtype);
        if (length != ElementCount)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture,
                    $"The destination must hold exactly {ElementCount} values (shape {FormatShape(_shape)}), but it holds {length}."),
                "destination");
        }
    }
}
