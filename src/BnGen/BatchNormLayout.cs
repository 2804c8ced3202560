namespace BnGen;

/// <summary>Memory layout of the tensors a batch-normalization layer works on.</summary>
public enum BatchNormLayout
{
    /// <summary><c>[batch, features]</c>, row-major: PyTorch's <c>BatchNorm1d</c> on 2-D input.</summary>
    NC = 0,

    /// <summary><c>[batch, channels, height, width]</c>, row-major: PyTorch's <c>BatchNorm2d</c>.</summary>
    NCHW = 1,
}
