using BnGen;

namespace BnGen.Samples.ConvNet;

// Each layer is followed by a ReLU, run as a separate step in LeNet.cs with the buffers a fused layer would use: adding
// Activation = BatchNormActivation.ReLU here and deleting the Relu/ReluBackward lines of that stage fuses the two.

/// <summary>BatchNorm2d over the 6 channels of conv1's 28x28 output.</summary>
[BatchNormLayer(6, BatchNormLayout.NCHW)]
public sealed partial class Conv1Norm { }

/// <summary>BatchNorm2d over the 16 channels of conv2's 10x10 output.</summary>
[BatchNormLayer(16, BatchNormLayout.NCHW)]
public sealed partial class Conv2Norm { }

/// <summary>BatchNorm1d over the 120 units of fc1.</summary>
[BatchNormLayer(120)]
public sealed partial class Fc1Norm { }

/// <summary>BatchNorm1d over the 84 units of fc2.</summary>
[BatchNormLayer(84)]
public sealed partial class Fc2Norm { }
