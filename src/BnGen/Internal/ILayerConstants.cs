using System.ComponentModel;

namespace BnGen.Internal;

/// <summary>
/// A layer's compile-time constants. Every generated layer declares a struct implementing this interface whose members
/// return literals; the kernels of <see cref="LayerKernels{T, TLayer}"/> are generic over it, so the JIT (or the AOT
/// compiler) compiles one copy of them per layer with every constant folded in: the feature count, and with it every
/// per-feature loop bound and stride, ε, the layout and the options. <see cref="BatchNormKernels"/> runs the same kernels
/// with a struct that reads the values from fields.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface ILayerConstants
{
    /// <summary>Features (NC) or channels.</summary>
    int Features { get; }

    /// <summary>The memory layout.</summary>
    BatchNormLayout Layout { get; }

    /// <summary>PyTorch's <c>eps</c>.</summary>
    double Epsilon { get; }

    /// <summary>PyTorch's <c>momentum</c> (unused with <see cref="CumulativeAverage"/>).</summary>
    double Momentum { get; }

    /// <summary>PyTorch's <c>momentum=None</c>.</summary>
    bool CumulativeAverage { get; }

    /// <summary>Learnable γ and β.</summary>
    bool Affine { get; }

    /// <summary>Running statistics.</summary>
    bool TrackRunningStats { get; }

    /// <summary>The fused activation.</summary>
    BatchNormActivation Activation { get; }

    /// <summary>
    /// True only for <see cref="BatchNormKernels"/>: γ, β and the running statistics are optional spans (empty = absent)
    /// rather than fixed by <see cref="Affine"/> and <see cref="TrackRunningStats"/>.
    /// </summary>
    bool OptionalParameters { get; }
}

/// <summary>The constants of a runtime-shaped call of <see cref="BatchNormKernels"/>, read from fields.</summary>
internal readonly struct RuntimeLayer : ILayerConstants
{
    public RuntimeLayer(int features, BatchNormLayout layout, double epsilon)
    {
        Features = features;
        Layout = layout;
        Epsilon = epsilon;
    }

    public int Features { get; }

    public BatchNormLayout Layout { get; }

    public double Epsilon { get; }

    public double Momentum => 0d;

    public bool CumulativeAverage => false;

    public bool Affine => true;

    public bool TrackRunningStats => true;

    public BatchNormActivation Activation => BatchNormActivation.None;

    public bool OptionalParameters => true;
}
