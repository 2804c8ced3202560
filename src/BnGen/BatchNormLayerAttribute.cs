using System;

namespace BnGen;

/// <summary>
/// Marks a <c>partial</c> class as a batch-normalization layer. At compile time the BnGen source generator adds a
/// complete layer specialized for exactly this shape and layout: forward (training and inference), backward, running
/// statistics, parameters and their gradients, with PyTorch's semantics (<c>BatchNorm1d</c> for
/// <see cref="BatchNormLayout.NC"/> and <see cref="BatchNormLayout.NCL"/>, <c>BatchNorm2d</c> for
/// <see cref="BatchNormLayout.NCHW"/> and <see cref="BatchNormLayout.NHWC"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class BatchNormLayerAttribute : Attribute
{
    /// <summary>Declares a layer over <paramref name="features"/> features (channels) in <paramref name="layout"/>.</summary>
    /// <param name="features">Number of features (NC) or channels (NCHW); a positive constant.</param>
    /// <param name="layout">Memory layout of input and output.</param>
    public BatchNormLayerAttribute(int features, BatchNormLayout layout = BatchNormLayout.NC)
    {
        Features = features;
        Layout = layout;
    }

    /// <summary>Number of features (NC) or channels (NCHW).</summary>
    public int Features { get; }

    /// <summary>Memory layout of input and output.</summary>
    public BatchNormLayout Layout { get; }

    /// <summary>Added to the variance before the square root; PyTorch's <c>eps</c>. Default 1e-5.</summary>
    public double Epsilon { get; set; } = 1e-5;

    /// <summary>
    /// Weight of the new batch statistic in the running estimate, PyTorch's <c>momentum</c>:
    /// <c>running = (1 - Momentum) * running + Momentum * batch</c>. Default 0.1.
    /// </summary>
    public double Momentum { get; set; } = 0.1;

    /// <summary>Whether the layer has a learnable per-feature weight (gamma) and bias (beta). Default true.</summary>
    public bool Affine { get; set; } = true;

    /// <summary>Whether the layer keeps running mean and variance for inference. Default true.</summary>
    public bool TrackRunningStats { get; set; } = true;

    /// <summary>Element type of tensors and parameters: <c>typeof(float)</c> (default) or <c>typeof(double)</c>.</summary>
    public Type ElementType { get; set; } = typeof(float);

    /// <summary>
    /// When true, the running statistics are the cumulative average over all batches seen (PyTorch's
    /// <c>momentum=None</c>) and <see cref="Momentum"/> is ignored. Default false.
    /// </summary>
    public bool CumulativeAverage { get; set; }

    /// <summary>
    /// An activation fused into the layer: with <see cref="BatchNormActivation.ReLU"/> every forward writes
    /// <c>max(0, bn(x))</c> and every backward takes the gradient of that output. Default
    /// <see cref="BatchNormActivation.None"/>.
    /// </summary>
    public BatchNormActivation Activation { get; set; }
}
