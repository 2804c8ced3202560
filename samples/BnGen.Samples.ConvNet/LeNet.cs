using System;
using System.Diagnostics;
using BnGen.Samples.Mnist;
using BnGen.Samples.Training;

namespace BnGen.Samples.ConvNet;

/// <summary>
/// LeNet-5 for 28x28 MNIST digits, with batch norm after every layer but the last (PyTorch terms):
/// <code>
/// Conv2d(1, 6, 5, padding=2) → BatchNorm2d(6)  → ReLU → MaxPool2d(2)      1x28x28 → 6x28x28 → 6x14x14
/// Conv2d(6, 16, 5)           → BatchNorm2d(16) → ReLU → MaxPool2d(2)      → 16x10x10 → 16x5x5 = 400
/// Linear(400, 120)           → BatchNorm1d(120) → ReLU
/// Linear(120, 84)            → BatchNorm1d(84)  → ReLU
/// Linear(84, 10)                                                          → logits
/// </code>
/// The padding of 2 gives conv1 the 32x32 input of the original LeNet-5. The four batch-norm layers are generated
/// classes; everything else is written by hand on spans.
/// <para>
/// Each batch norm and the ReLU after it are one generated layer (<c>Activation = BatchNormActivation.ReLU</c>,
/// Layers.cs): forward writes a = max(0, bn(z)) from z in one pass, backward turns dLoss/da into dLoss/dz in one pass,
/// recomputing ReLU's mask from z exactly as the forward decided it. After training, <see cref="Fold"/> builds the
/// deployed network: each batch norm folded into the layer before it, the ReLU in that layer's output loop.
/// </para>
/// </summary>
internal sealed class LeNet
{
    public const int Classes = MnistData.Classes;
    public const int InputSize = MnistData.Pixels;
    private const int Padded = MnistData.Size + 4; // 32

    private readonly Conv2d _conv1, _conv2;
    private readonly MaxPool2x2 _pool1, _pool2;
    private readonly Linear _fc1, _fc2, _fc3;
    private readonly Conv1Norm _norm1 = new();
    private readonly Conv2Norm _norm2 = new();
    private readonly Fc1Norm _norm3 = new();
    private readonly Fc2Norm _norm4 = new();
    // Per stage: z = conv/linear output, a = max(0, bn(z)), p = pooled; x32 = the zero-padded input.
    private readonly float[] _x32, _z1, _a1, _p1, _z2, _a2, _p2, _z3, _a3, _z4, _a4, _logits;
    // Gradients: dLoss/dlogits, and two scratch buffers (the size of the largest activation) used in turn.
    private readonly float[] _gradLogits, _gradA, _gradB;

    public LeNet(int maxBatch, int seed)
    {
        var rng = new Random(seed);
        _conv1 = new Conv2d(1, 6, 5, Padded, Padded, rng);   // → 6x28x28
        _pool1 = new MaxPool2x2(6, 28, 28, maxBatch);       // → 6x14x14
        _conv2 = new Conv2d(6, 16, 5, 14, 14, rng);         // → 16x10x10
        _pool2 = new MaxPool2x2(16, 10, 10, maxBatch);      // → 16x5x5 = 400
        _fc1 = new Linear(400, 120, rng);
        _fc2 = new Linear(120, 84, rng);
        _fc3 = new Linear(84, Classes, rng);
        _x32 = new float[maxBatch * Padded * Padded];      // the border stays zero: only the 28x28 centre is written
        _z1 = new float[maxBatch * _conv1.OutputSize];
        _a1 = new float[_z1.Length];
        _p1 = new float[maxBatch * _pool1.OutputSize];
        _z2 = new float[maxBatch * _conv2.OutputSize];
        _a2 = new float[_z2.Length];
        _p2 = new float[maxBatch * _pool2.OutputSize];
        _z3 = new float[maxBatch * 120];
        _a3 = new float[_z3.Length];
        _z4 = new float[maxBatch * 84];
        _a4 = new float[_z4.Length];
        _logits = new float[maxBatch * Classes];
        _gradLogits = new float[_logits.Length];
        _gradA = new float[_z1.Length];
        _gradB = new float[_z1.Length];
    }

    /// <summary>Ticks spent in the fused batch-norm + ReLU layers (forward and backward) since the last reset.</summary>
    public long NormReluTicks { get; set; }

    public bool Training
    {
        set => _norm1.Training = _norm2.Training = _norm3.Training = _norm4.Training = value;
    }

    public void AddParametersTo(Sgd optimizer)
    {
        optimizer.Add(_conv1.Weight, _conv1.WeightGrad);
        optimizer.Add(_conv1.Bias, _conv1.BiasGrad);
        optimizer.Add(_conv2.Weight, _conv2.WeightGrad);
        optimizer.Add(_conv2.Bias, _conv2.BiasGrad);
        foreach (Linear fc in new[] { _fc1, _fc2, _fc3 })
        {
            optimizer.Add(fc.Weight, fc.WeightGrad);
            optimizer.Add(fc.Bias, fc.BiasGrad);
        }
        optimizer.Add(_norm1.Weight, _norm1.WeightGrad);
        optimizer.Add(_norm1.Bias, _norm1.BiasGrad);
        optimizer.Add(_norm2.Weight, _norm2.WeightGrad);
        optimizer.Add(_norm2.Bias, _norm2.BiasGrad);
        optimizer.Add(_norm3.Weight, _norm3.WeightGrad);
        optimizer.Add(_norm3.Bias, _norm3.BiasGrad);
        optimizer.Add(_norm4.Weight, _norm4.WeightGrad);
        optimizer.Add(_norm4.Bias, _norm4.BiasGrad);
    }

    /// <summary>Runs the network on <paramref name="batch"/> images of 28x28; returns the logits [batch, 10].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        PadBy2(x, batch);
        _conv1.Forward(_x32, _z1, batch);
        Span<float> z1 = Slice(_z1, batch, _conv1.OutputSize), a1 = Slice(_a1, batch, _conv1.OutputSize);
        long t = Stopwatch.GetTimestamp();
        _norm1.Forward(z1, a1, batch, 28, 28);
        NormReluTicks += Stopwatch.GetTimestamp() - t;
        _pool1.Forward(a1, _p1, batch);

        _conv2.Forward(_p1, _z2, batch);
        Span<float> z2 = Slice(_z2, batch, _conv2.OutputSize), a2 = Slice(_a2, batch, _conv2.OutputSize);
        t = Stopwatch.GetTimestamp();
        _norm2.Forward(z2, a2, batch, 10, 10);
        NormReluTicks += Stopwatch.GetTimestamp() - t;
        _pool2.Forward(a2, _p2, batch);

        _fc1.Forward(_p2, _z3, batch);
        Span<float> z3 = Slice(_z3, batch, 120), a3 = Slice(_a3, batch, 120);
        t = Stopwatch.GetTimestamp();
        _norm3.Forward(z3, a3, batch);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        _fc2.Forward(a3, _z4, batch);
        Span<float> z4 = Slice(_z4, batch, 84), a4 = Slice(_a4, batch, 84);
        t = Stopwatch.GetTimestamp();
        _norm4.Forward(z4, a4, batch);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        _fc3.Forward(a4, _logits, batch);
        return Slice(_logits, batch, Classes);
    }

    /// <summary>Forward, softmax cross-entropy and backward; returns the mean loss.</summary>
    public double ForwardBackward(ReadOnlySpan<float> x, ReadOnlySpan<byte> labels, int batch, out int correct)
    {
        ReadOnlySpan<float> logits = Forward(x, batch);
        Span<float> gradLogits = Slice(_gradLogits, batch, Classes);
        double loss = Loss.SoftmaxCrossEntropy(logits, labels, gradLogits, batch, Classes, out correct);

        // fc3, then stage 4: dLoss/da4 → dLoss/dz4 (through the ReLU and the batch norm, in one call).
        Span<float> gradA4 = Slice(_gradA, batch, 84), gradZ4 = Slice(_gradB, batch, 84);
        _fc3.Backward(_a4, gradLogits, gradA4, batch);
        long t = Stopwatch.GetTimestamp();
        _norm4.Backward(Slice(_z4, batch, 84), gradA4, gradZ4, batch);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // fc2, then stage 3.
        Span<float> gradA3 = Slice(_gradA, batch, 120), gradZ3 = Slice(_gradB, batch, 120);
        _fc2.Backward(_a3, gradZ4, gradA3, batch);
        t = Stopwatch.GetTimestamp();
        _norm3.Backward(Slice(_z3, batch, 120), gradA3, gradZ3, batch);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // fc1, pool2, then stage 2.
        Span<float> gradP2 = Slice(_gradA, batch, _pool2.OutputSize);
        _fc1.Backward(_p2, gradZ3, gradP2, batch);
        Span<float> gradA2 = Slice(_gradB, batch, _conv2.OutputSize), gradZ2 = Slice(_gradA, batch, _conv2.OutputSize);
        _pool2.Backward(gradP2, gradA2, batch);
        t = Stopwatch.GetTimestamp();
        _norm2.Backward(Slice(_z2, batch, _conv2.OutputSize), gradA2, gradZ2, batch, 10, 10);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // conv2, pool1, then stage 1.
        Span<float> gradP1 = Slice(_gradB, batch, _pool1.OutputSize);
        _conv2.Backward(_p1, gradZ2, gradP1, batch);
        Span<float> gradA1 = Slice(_gradA, batch, _conv1.OutputSize), gradZ1 = Slice(_gradB, batch, _conv1.OutputSize);
        _pool1.Backward(gradP1, gradA1, batch);
        t = Stopwatch.GetTimestamp();
        _norm1.Backward(Slice(_z1, batch, _conv1.OutputSize), gradA1, gradZ1, batch, 28, 28);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // conv1: the input needs no gradient.
        _conv1.Backward(_x32, gradZ1, Span<float>.Empty, batch);
        return loss;
    }

    /// <summary>
    /// The deployed network, PyTorch's <c>fuse_conv_bn_eval</c> / <c>fuse_linear_bn_eval</c> applied to every stage: copies
    /// of conv1, conv2, fc1 and fc2 with the following batch norm's evaluation-mode transform folded into their weights
    /// and biases (<c>FoldInto</c>), the ReLU applied in their output loops, and fc3 as it is. In evaluation mode it
    /// computes what this network computes, up to the rounding of the folded parameters; the batch-norm passes are gone.
    /// </summary>
    public FoldedLeNet Fold(int maxBatch)
    {
        Conv2d conv1 = _conv1.Clone(), conv2 = _conv2.Clone();
        Linear fc1 = _fc1.Clone(), fc2 = _fc2.Clone();
        _norm1.FoldInto(conv1.Weight, conv1.Bias);   // Weight [6, 1, 5, 5]: output channel outermost, as FoldInto needs
        _norm2.FoldInto(conv2.Weight, conv2.Bias);   // [16, 6, 5, 5]
        _norm3.FoldInto(fc1.Weight, fc1.Bias);       // [120, 400]
        _norm4.FoldInto(fc2.Weight, fc2.Bias);       // [84, 120]
        return new FoldedLeNet(conv1, conv2, fc1, fc2, _fc3.Clone(), maxBatch);
    }

    /// <summary>Copies each 28x28 image into the centre of a 32x32 plane whose 2-pixel border is zero: Conv2d's padding=2.</summary>
    internal static void PadBy2(ReadOnlySpan<float> x, Span<float> x32, int batch)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int row = 0; row < MnistData.Size; row++)
            {
                x.Slice((n * MnistData.Size + row) * MnistData.Size, MnistData.Size)
                    .CopyTo(x32.Slice((n * Padded + row + 2) * Padded + 2, MnistData.Size));
            }
        }
    }

    private void PadBy2(ReadOnlySpan<float> x, int batch) => PadBy2(x, _x32, batch);

    internal static Span<float> Slice(float[] buffer, int batch, int perItem) => buffer.AsSpan(0, batch * perItem);
}

/// <summary>
/// LeNet-5 after folding (<see cref="LeNet.Fold"/>): conv1 → ReLU → pool → conv2 → ReLU → pool → fc1 → ReLU → fc2 → ReLU →
/// fc3, the ReLUs computed as each layer writes its output. Inference only.
/// </summary>
internal sealed class FoldedLeNet
{
    private const int Padded = MnistData.Size + 4;

    private readonly Conv2d _conv1, _conv2;
    private readonly MaxPool2x2 _pool1, _pool2;
    private readonly Linear _fc1, _fc2, _fc3;
    private readonly float[] _x32, _a1, _p1, _a2, _p2, _a3, _a4, _logits;

    public FoldedLeNet(Conv2d conv1, Conv2d conv2, Linear fc1, Linear fc2, Linear fc3, int maxBatch)
    {
        (_conv1, _conv2, _fc1, _fc2, _fc3) = (conv1, conv2, fc1, fc2, fc3);
        _pool1 = new MaxPool2x2(6, 28, 28, maxBatch);
        _pool2 = new MaxPool2x2(16, 10, 10, maxBatch);
        _x32 = new float[maxBatch * Padded * Padded];
        _a1 = new float[maxBatch * conv1.OutputSize];
        _p1 = new float[maxBatch * _pool1.OutputSize];
        _a2 = new float[maxBatch * conv2.OutputSize];
        _p2 = new float[maxBatch * _pool2.OutputSize];
        _a3 = new float[maxBatch * fc1.Outputs];
        _a4 = new float[maxBatch * fc2.Outputs];
        _logits = new float[maxBatch * fc3.Outputs];
    }

    /// <summary>Runs the folded network on <paramref name="batch"/> images of 28x28; returns the logits [batch, 10].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        LeNet.PadBy2(x, _x32, batch);
        _conv1.Forward(_x32, _a1, batch, relu: true);
        _pool1.Forward(_a1, _p1, batch);
        _conv2.Forward(_p1, _a2, batch, relu: true);
        _pool2.Forward(_a2, _p2, batch);
        _fc1.Forward(_p2, _a3, batch, relu: true);
        _fc2.Forward(_a3, _a4, batch, relu: true);
        _fc3.Forward(_a4, _logits, batch);
        return LeNet.Slice(_logits, batch, _fc3.Outputs);
    }
}
