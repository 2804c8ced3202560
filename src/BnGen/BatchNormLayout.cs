namespace BnGen;

/// <summary>Memory layout of the tensors a batch-normalization layer works on.</summary>
public enum BatchNormLayout
{
    /// <summary><c>[batch, features]</c>, row-major: PyTorch's <c>BatchNorm1d</c> on 2-D input.</summary>
    NC = 0,

    /// <summary><c>[batch, channels, height, width]</c>, row-major: PyTorch's <c>BatchNorm2d</c>.</summary>
    NCHW = 1,

    /// <summary>
    /// <c>[batch, height, width, channels]</c>, row-major (channels last): PyTorch's <c>BatchNorm2d</c> on a tensor in the
    /// <c>channels_last</c> memory format, Keras' <c>BatchNormalization(axis=-1)</c>. The same statistics as
    /// <see cref="NCHW"/> on the transposed data.
    /// </summary>
    NHWC = 2,

    /// <summary><c>[batch, channels, length]</c>, row-major: PyTorch's <c>BatchNorm1d</c> on 3-D input.</summary>
    NCL = 3,
}
