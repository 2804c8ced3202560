using BnGen;

namespace BnGen.Samples.Quickstart;

/// <summary>BatchNorm1d over 6 features of a dense layer's output.</summary>
[BatchNormLayer(6)]
public sealed partial class HiddenNorm { }

/// <summary>BatchNorm2d over 3 channels of a small image.</summary>
[BatchNormLayer(3, BatchNormLayout.NCHW, Momentum = 0.2)]
public partial class ImageNorm { }

public static partial class Outer
{
    [BatchNormLayer(5, ElementType = typeof(double), Affine = false)]
    internal partial record class DoubleNorm;

    [BatchNormLayer(700, BatchNormLayout.NC, TrackRunningStats = false)]
    internal partial class WideNorm { }
}
