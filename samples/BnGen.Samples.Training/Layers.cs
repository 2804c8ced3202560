using BnGen;

namespace BnGen.Samples.Training;

/// <summary>
/// BatchNorm1d over the 128 units of a hidden layer. One generated class, used three times (one instance per
/// hidden layer): the kernels have Features = 128 baked in as a constant.
/// </summary>
[BatchNormLayer(Mlp.Hidden)]
public sealed partial class HiddenNorm { }
