using System;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace BnGen.Internal;

/// <summary>
/// Every exception BnGen throws, generated layers and <see cref="BatchNormKernels"/> alike, with its message in one place.
/// Throwing lives in separate, non-inlined methods so that the checks in hot methods stay small.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ThrowHelper
{
    /// <summary>A dimension argument (batch, height, width, features) is not positive.</summary>
    [DoesNotReturn]
    public static void DimensionNotPositive(string paramName, int value)
        => throw new ArgumentOutOfRangeException(paramName, value,
            string.Create(CultureInfo.InvariantCulture, $"'{paramName}' must be positive, but was {value}."));

    /// <summary>A span does not have the length the shape requires.</summary>
    [DoesNotReturn]
    public static void LengthMismatch(string paramName, long expected, int actual, string shape)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"'{paramName}' must hold exactly {expected} values for shape {shape}, but it holds {actual}."),
            paramName);

    /// <summary>Batch statistics were requested over a single value per channel.</summary>
    [DoesNotReturn]
    public static void SingleValuePerChannel(string shape)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"Expected more than 1 value per channel when using batch statistics (training, or evaluation without running statistics), got input of shape {shape}. The batch variance would be zero, every output would equal the bias and the gradient would vanish; set Training = false to run a single sample through the running statistics."),
            "batch");

    /// <summary>Backward was called on a layer that has not run Forward.</summary>
    [DoesNotReturn]
    public static void BackwardBeforeForward(string layer)
        => throw new InvalidOperationException(
            $"{layer}.Backward was called before any successful Forward: the gradient is taken of the most recent Forward call.");

    /// <summary>Backward was called with a shape other than the most recent Forward's.</summary>
    [DoesNotReturn]
    public static void BackwardShapeMismatch(string layer, string forwardShape, string backwardShape)
        => throw new InvalidOperationException(
            $"{layer}.Backward was called with shape {backwardShape}, but the most recent Forward had shape {forwardShape}: pass the same input (and shape) to Backward.");

    /// <summary>A layout argument is not a defined <see cref="BatchNormLayout"/> value.</summary>
    [DoesNotReturn]
    public static void UndefinedLayout(BatchNormLayout layout)
        => throw new ArgumentOutOfRangeException(nameof(layout), layout,
            "Layout must be BatchNormLayout.NC, BatchNormLayout.NCHW, BatchNormLayout.NHWC or BatchNormLayout.NCL.");

    /// <summary>An NCL-layout call of the runtime-shaped kernels passed a height other than 1 (the length is the width).</summary>
    [DoesNotReturn]
    public static void HeightNotOneForNCL(int height)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"Layout NCL is [batch, channels, length]: pass height 1 and the length as width, but height was {height}."),
            nameof(height));

    /// <summary>A degree of parallelism is neither -1 (all cores) nor positive.</summary>
    [DoesNotReturn]
    public static void DegreeOfParallelismInvalid(string paramName, int value)
        => throw new ArgumentOutOfRangeException(paramName, value,
            string.Create(CultureInfo.InvariantCulture,
                $"'{paramName}' must be -1 (all cores) or a positive number of threads, but was {value}."));

    /// <summary>A count (NumBatchesTracked) is negative.</summary>
    [DoesNotReturn]
    public static void NegativeCount(string paramName, long value)
        => throw new ArgumentOutOfRangeException(paramName, value,
            string.Create(CultureInfo.InvariantCulture, $"'{paramName}' cannot be negative, but was {value}."));

    /// <summary>An NC-layout call passed spatial dimensions other than 1.</summary>
    [DoesNotReturn]
    public static void SpatialNotOneForNC(int height, int width)
        => throw new ArgumentException(
            string.Create(CultureInfo.InvariantCulture,
                $"Layout NC has no spatial dimensions: height and width must be 1, but were {height} and {width}."),
            nameof(height));

    /// <summary>A numeric argument (epsilon, an average factor) is out of its range.</summary>
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, double value, string requirement)
        => throw new ArgumentOutOfRangeException(paramName, value,
            string.Create(CultureInfo.InvariantCulture, $"'{paramName}' {requirement}, but was {value:R}."));

    /// <summary>A state dict lacks a key the layer loads (PyTorch's "Missing key(s) in state_dict").</summary>
    [DoesNotReturn]
    public static void StateKeyMissing(string key, string layer)
        => throw new ArgumentException($"Missing key '{key}' for layer '{layer}'.", "state");

    /// <summary>A state dict's tensor has another shape than the layer's (PyTorch's "size mismatch for ...").</summary>
    [DoesNotReturn]
    public static void StateShapeMismatch(string key, string layer, string actual, string expected)
        => throw new ArgumentException(
            $"Size mismatch for key '{key}' of layer '{layer}': the state dict holds shape {actual}, the layer expects {expected}.",
            "state");

    /// <summary>A state dict's tensor has a dtype that does not convert to a number.</summary>
    [DoesNotReturn]
    public static void StateDTypeNotNumeric(string key, string layer, string dtype)
        => throw new ArgumentException(
            $"Key '{key}' of layer '{layer}' has dtype {dtype}; a layer loads F64, F32, F16, BF16, I64 or I32.",
            "state");

    /// <summary>A state dict's num_batches_tracked is negative, not a number, or beyond a long.</summary>
    [DoesNotReturn]
    public static void StateCountInvalid(string key, string layer, string value)
        => throw new ArgumentException(
            $"Key '{key}' of layer '{layer}' holds {value}; num_batches_tracked must be a non-negative integer.",
            "state");

    /// <summary>Formats an NC shape for messages: <c>[batch, features]</c>.</summary>
    public static string ShapeNC(int batch, int features)
        => string.Create(CultureInfo.InvariantCulture, $"[{batch}, {features}]");

    /// <summary>Formats an NCHW shape for messages: <c>[batch, channels, height, width]</c>.</summary>
    public static string ShapeNCHW(int batch, int channels, int height, int width)
        => string.Create(CultureInfo.InvariantCulture, $"[{batch}, {channels}, {height}, {width}]");
}
