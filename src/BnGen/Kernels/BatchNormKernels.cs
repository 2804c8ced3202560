namespace BnGen;

/// <summary>
/// Batch normalization with the shape given at run time (features, layout, batch, height, width): the same operations
/// and PyTorch semantics as the generated layers, for shapes known only at run time. Generated layers are specialized
/// versions of these kernels; both are tested against each other and against PyTorch's reference vectors.
/// </summary>
public static partial class BatchNormKernels
{
}
