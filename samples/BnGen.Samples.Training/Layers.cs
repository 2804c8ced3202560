using BnGen;

namespace BnGen.Samples.Training;

/// <summary>
/// BatchNorm1d over the 256 hidden units of the MLP (Keras' <c>BatchNormalization()</c> after <c>Dense(256, relu)</c>).
/// The kernels have Features = 256 baked in as a constant.
/// </summary>
[BatchNormLayer(Mlp.Hidden)]
public sealed partial class HiddenNorm { }
