using BnGen;

namespace BnGen.Samples.Quickstart;

/// <summary>BatchNorm1d over the 4 features of a dense layer's output (PyTorch defaults: eps 1e-5, momentum 0.1).</summary>
[BatchNormLayer(4)]
public sealed partial class HiddenNorm { }

/// <summary>BatchNorm2d over the 3 channels of small images, with a faster-moving running estimate.</summary>
[BatchNormLayer(3, BatchNormLayout.NCHW, Momentum = 0.2)]
public partial class ImageNorm { }
