namespace BnGen;

/// <summary>An activation fused into a batch-normalization layer: applied to the normalized output in the same pass.</summary>
public enum BatchNormActivation
{
    /// <summary>No activation: the layer writes <c>bn(x)</c>.</summary>
    None = 0,

    /// <summary>
    /// <c>max(0, bn(x))</c>, PyTorch's <c>relu(batch_norm(x))</c>. Backward passes the gradient only where the output is
    /// greater than 0, deciding that from <c>x</c> and the statistics exactly as the forward pass did.
    /// </summary>
    ReLU = 1,
}
