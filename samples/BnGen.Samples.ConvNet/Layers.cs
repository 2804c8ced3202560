using BnGen;

namespace BnGen.Samples.ConvNet;

// Each batch norm is followed by a ReLU: Activation = BatchNormActivation.ReLU fuses the two, so that forward writes
// max(0, bn(z)) and backward takes dLoss/d(that output) (PyTorch's relu(batch_norm(z)) under autograd), with no mask
// stored in between. After training, LeNet.Fold() folds each layer's evaluation-mode transform into the convolution or
// linear layer before it (FoldInto); the ReLU then runs in that layer's output loop.

/// <summary>BatchNorm2d over the 6 channels of conv1's 28x28 output, then ReLU.</summary>
[BatchNormLayer(6, BatchNormLayout.NCHW, Activation = BatchNormActivation.ReLU)]
public sealed partial class Conv1Norm { }

/// <summary>BatchNorm2d over the 16 channels of conv2's 10x10 output, then ReLU.</summary>
[BatchNormLayer(16, BatchNormLayout.NCHW, Activation = BatchNormActivation.ReLU)]
public sealed partial class Conv2Norm { }

/// <summary>BatchNorm1d over the 120 units of fc1, then ReLU.</summary>
[BatchNormLayer(120, Activation = BatchNormActivation.ReLU)]
public sealed partial class Fc1Norm { }

/// <summary>BatchNorm1d over the 84 units of fc2, then ReLU.</summary>
[BatchNormLayer(84, Activation = BatchNormActivation.ReLU)]
public sealed partial class Fc2Norm { }
