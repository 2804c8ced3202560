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
/// Each batch norm and the ReLU after it form one stage with the buffers of a fused layer: forward writes
/// a = max(0, bn(z)) into its own buffer (the ReLU runs in place on the batch norm's output), backward applies the ReLU
/// mask to dLoss/da in place and the batch norm's backward turns it into dLoss/dz. A layer declared with
/// <c>Activation = BatchNormActivation.ReLU</c> takes exactly these buffers, so fusing a stage means adding that option
/// to its attribute (Layers.cs) and deleting its <c>Relu</c> and <c>ReluBackward</c> lines, nothing else.
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

    /// <summary>Ticks spent in the batch-norm + ReLU stages (forward and backward) since the last reset.</summary>
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
        Relu(a1);
        NormReluTicks += Stopwatch.GetTimestamp() - t;
        _pool1.Forward(a1, _p1, batch);

        _conv2.Forward(_p1, _z2, batch);
        Span<float> z2 = Slice(_z2, batch, _conv2.OutputSize), a2 = Slice(_a2, batch, _conv2.OutputSize);
        t = Stopwatch.GetTimestamp();
        _norm2.Forward(z2, a2, batch, 10, 10);
        Relu(a2);
        NormReluTicks += Stopwatch.GetTimestamp() - t;
        _pool2.Forward(a2, _p2, batch);

        _fc1.Forward(_p2, _z3, batch);
        Span<float> z3 = Slice(_z3, batch, 120), a3 = Slice(_a3, batch, 120);
        t = Stopwatch.GetTimestamp();
        _norm3.Forward(z3, a3, batch);
        Relu(a3);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        _fc2.Forward(a3, _z4, batch);
        Span<float> z4 = Slice(_z4, batch, 84), a4 = Slice(_a4, batch, 84);
        t = Stopwatch.GetTimestamp();
        _norm4.Forward(z4, a4, batch);
        Relu(a4);
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

        // fc3, then stage 4: dLoss/da4 → dLoss/dz4.
        Span<float> gradA4 = Slice(_gradA, batch, 84), gradZ4 = Slice(_gradB, batch, 84);
        _fc3.Backward(_a4, gradLogits, gradA4, batch);
        long t = Stopwatch.GetTimestamp();
        ReluBackward(Slice(_a4, batch, 84), gradA4);
        _norm4.Backward(Slice(_z4, batch, 84), gradA4, gradZ4, batch);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // fc2, then stage 3.
        Span<float> gradA3 = Slice(_gradA, batch, 120), gradZ3 = Slice(_gradB, batch, 120);
        _fc2.Backward(_a3, gradZ4, gradA3, batch);
        t = Stopwatch.GetTimestamp();
        ReluBackward(Slice(_a3, batch, 120), gradA3);
        _norm3.Backward(Slice(_z3, batch, 120), gradA3, gradZ3, batch);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // fc1, pool2, then stage 2.
        Span<float> gradP2 = Slice(_gradA, batch, _pool2.OutputSize);
        _fc1.Backward(_p2, gradZ3, gradP2, batch);
        Span<float> gradA2 = Slice(_gradB, batch, _conv2.OutputSize), gradZ2 = Slice(_gradA, batch, _conv2.OutputSize);
        _pool2.Backward(gradP2, gradA2, batch);
        t = Stopwatch.GetTimestamp();
        ReluBackward(Slice(_a2, batch, _conv2.OutputSize), gradA2);
        _norm2.Backward(Slice(_z2, batch, _conv2.OutputSize), gradA2, gradZ2, batch, 10, 10);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // conv2, pool1, then stage 1.
        Span<float> gradP1 = Slice(_gradB, batch, _pool1.OutputSize);
        _conv2.Backward(_p1, gradZ2, gradP1, batch);
        Span<float> gradA1 = Slice(_gradA, batch, _conv1.OutputSize), gradZ1 = Slice(_gradB, batch, _conv1.OutputSize);
        _pool1.Backward(gradP1, gradA1, batch);
        t = Stopwatch.GetTimestamp();
        ReluBackward(Slice(_a1, batch, _conv1.OutputSize), gradA1);
        _norm1.Backward(Slice(_z1, batch, _conv1.OutputSize), gradA1, gradZ1, batch, 28, 28);
        NormReluTicks += Stopwatch.GetTimestamp() - t;

        // conv1: the input needs no gradient.
        _conv1.Backward(_x32, gradZ1, Span<float>.Empty, batch);
        return loss;
    }

    // Copies each 28x28 image into the centre of a 32x32 plane whose 2-pixel border is zero: Conv2d's padding=2.
    private void PadBy2(ReadOnlySpan<float> x, int batch)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int row = 0; row < MnistData.Size; row++)
            {
                x.Slice((n * MnistData.Size + row) * MnistData.Size, MnistData.Size)
                    .CopyTo(_x32.AsSpan((n * Padded + row + 2) * Padded + 2, MnistData.Size));
            }
        }
    }

    private static Span<float> Slice(float[] buffer, int batch, int perItem) => buffer.AsSpan(0, batch * perItem);

    /// <summary>ReLU in place on a batch norm's output.</summary>
    private static void Relu(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Max(values[i], 0f);
    }

    /// <summary>ReLU's gradient, in place: zero where the ReLU's output was not positive (= where its input was not).</summary>
    private static void ReluBackward(ReadOnlySpan<float> output, Span<float> gradient)
    {
        for (int i = 0; i < gradient.Length; i++) if (output[i] <= 0f) gradient[i] = 0f;
    }
}
