namespace BnGen.Internal;

/// <summary>
/// Everything one kernel call works on, by pointer (the spans are pinned for the call), so that pool threads helping a
/// parallel call can reach it: tensors, per-feature parameters and statistics, the shape, and scratch for NC sums.
/// A null pointer means the span is absent (γ = 1, β = 0, no running statistics, no parameter gradients).
/// </summary>
internal unsafe struct Job<T, TLayer>
    where T : unmanaged
    where TLayer : unmanaged, ILayerConstants
{
    public TLayer Layer;

    /// <summary>x; y (forward output); dy and dx (backward).</summary>
    public T* X;
    public T* Y;
    public T* Dy;
    public T* Dx;

    public T* Weight;
    public T* Bias;

    /// <summary>The mean and invStd the pass normalizes with, in double (saved statistics; scratch in evaluation mode).</summary>
    public double* Mean;
    public double* InvStd;

    public T* RunningMean;
    public T* RunningVar;
    public T* WeightGrad;
    public T* BiasGrad;

    /// <summary>exponentialAverageFactor of the running update.</summary>
    public double Factor;

    /// <summary>Add parameter gradients instead of overwriting them.</summary>
    public bool Accumulate;

    public int Features;
    public int Batch;

    /// <summary>Rows of Features values (NC, NHWC, one-value planes): the row passes; otherwise the channel passes.</summary>
    public bool RowMajor;

    /// <summary>NCHW, NCL: values per (sample, channel) run.</summary>
    public nint Plane;

    /// <summary>NC, NHWC: rows of Features values (batch · height · width).</summary>
    public nint Rows;

    /// <summary>Values per channel, n.</summary>
    public double N;

    /// <summary>NC, NHWC: rows per block of the sums, and the number of blocks (from the shape only).</summary>
    public nint RowBlock;
    public int Blocks;

    /// <summary>Per-feature double scratch: pivots and the two sums (Features each; Blocks × Features each for partials).</summary>
    public double* Pivots;
    public double* Sums;
    public double* Squares;

    /// <summary>Partial sums per row block (parallel NC), 2 · Blocks · Features doubles; null when folded as they come.</summary>
    public double* Partials;

    /// <summary>Per-feature T coefficients: scale, shift (forward), and the backward's terms.</summary>
    public T* Centers;
    public T* Scales;
    public T* Shifts;
    public T* TermMean;
    public T* TermOffset;
    public T* TermNegK;
    public T* TermFactor;

    /// <summary>Whether any feature needs the exact second pass (set by the serial finish).</summary>
    public bool AnyExact;
}
