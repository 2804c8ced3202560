using System;
using System.Diagnostics;
using BnGen.Samples.Training;

namespace BnGen.Samples.ConvNet;

/// <summary>
/// LeNet-5 with batch norm after every layer but the last:
/// conv 3→6 (5x5) → BatchNorm2d(6) → ReLU → max-pool 2 → conv 6→16 (5x5) → BatchNorm2d(16) → ReLU → max-pool 2 →
/// flatten 400 → linear 120 → BatchNorm1d(120) → ReLU → linear 84 → BatchNorm1d(84) → ReLU → linear 10.
/// The four batch-norm layers are generated classes; everything else is written by hand on spans.
/// </summary>
internal sealed class LeNet
{
    public const int Classes = 10;

    private readonly Conv2d _conv1, _conv2;
    private readonly MaxPool2x2 _pool1, _pool2;
    private readonly Linear _fc1, _fc2, _fc3;
    private readonly Conv1Norm _norm1 = new();
    private readonly Conv2Norm _norm2 = new();
    private readonly Fc1Norm _norm3 = new();
    private readonly Fc2Norm _norm4 = new();
    // Activations per stage (c = conv/linear output, b = batch-norm output, p = pooled or ReLU output) and gradients.
    private readonly float[] _c1, _b1, _p1, _c2, _b2, _p2, _f1, _b3, _r3, _f2, _b4, _r4, _logits;
    private readonly float[] _g1, _g2, _g3, _g4, _gLogits;

    public LeNet(int maxBatch, int seed)
    {
        var rng = new Random(seed);
        _conv1 = new Conv2d(3, 6, 5, 32, 32, rng);          // → 6x28x28
        _pool1 = new MaxPool2x2(6, 28, 28, maxBatch);       // → 6x14x14
        _conv2 = new Conv2d(6, 16, 5, 14, 14, rng);         // → 16x10x10
        _pool2 = new MaxPool2x2(16, 10, 10, maxBatch);      // → 16x5x5 = 400
        _fc1 = new Linear(400, 120, rng);
        _fc2 = new Linear(120, 84, rng);
        _fc3 = new Linear(84, Classes, rng);
        _c1 = new float[maxBatch * _conv1.OutputSize];
        _b1 = new float[_c1.Length];
        _p1 = new float[maxBatch * _pool1.OutputSize];
        _c2 = new float[maxBatch * _conv2.OutputSize];
        _b2 = new float[_c2.Length];
        _p2 = new float[maxBatch * _pool2.OutputSize];
        _f1 = new float[maxBatch * 120];
        _b3 = new float[_f1.Length];
        _r3 = new float[_f1.Length];
        _f2 = new float[maxBatch * 84];
        _b4 = new float[_f2.Length];
        _r4 = new float[_f2.Length];
        _logits = new float[maxBatch * Classes];
        _gLogits = new float[_logits.Length];
        _g1 = new float[_c1.Length]; // the largest activation: scratch for every gradient stage
        _g2 = new float[_c1.Length];
        _g3 = new float[_c1.Length];
        _g4 = new float[_c1.Length];
    }

    /// <summary>Ticks spent inside the generated batch-norm calls (forward and backward) since the last reset.</summary>
    public long BatchNormTicks { get; set; }

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

    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        _conv1.Forward(x, _c1, batch);
        long t = Stopwatch.GetTimestamp();
        _norm1.Forward(Slice(_c1, batch, _conv1.OutputSize), Slice(_b1, batch, _conv1.OutputSize), batch, 28, 28);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        Relu(Slice(_b1, batch, _conv1.OutputSize));
        _pool1.Forward(_b1, _p1, batch);

        _conv2.Forward(_p1, _c2, batch);
        t = Stopwatch.GetTimestamp();
        _norm2.Forward(Slice(_c2, batch, _conv2.OutputSize), Slice(_b2, batch, _conv2.OutputSize), batch, 10, 10);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        Relu(Slice(_b2, batch, _conv2.OutputSize));
        _pool2.Forward(_b2, _p2, batch);

        _fc1.Forward(_p2, _f1, batch);
        t = Stopwatch.GetTimestamp();
        _norm3.Forward(Slice(_f1, batch, 120), Slice(_b3, batch, 120), batch);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        ReluInto(Slice(_b3, batch, 120), _r3);

        _fc2.Forward(_r3, _f2, batch);
        t = Stopwatch.GetTimestamp();
        _norm4.Forward(Slice(_f2, batch, 84), Slice(_b4, batch, 84), batch);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        ReluInto(Slice(_b4, batch, 84), _r4);

        _fc3.Forward(_r4, _logits, batch);
        return Slice(_logits, batch, Classes);
    }

    /// <summary>Forward, softmax cross-entropy and backward; returns the mean loss.</summary>
    public double ForwardBackward(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, int batch, out int correct)
    {
        ReadOnlySpan<float> logits = Forward(x, batch);
        Span<float> gradLogits = Slice(_gLogits, batch, Classes);
        double loss = Loss.SoftmaxCrossEntropy(logits, labels, gradLogits, batch, Classes, out correct);

        // fc3 ← r4 = ReLU(b4), b4 = norm4(f2)
        _fc3.Backward(_r4, gradLogits, Slice(_g1, batch, 84), batch);
        ReluBackward(Slice(_b4, batch, 84), Slice(_g1, batch, 84));
        long t = Stopwatch.GetTimestamp();
        _norm4.Backward(Slice(_f2, batch, 84), Slice(_g1, batch, 84), Slice(_g2, batch, 84), batch);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        _fc2.Backward(_r3, Slice(_g2, batch, 84), Slice(_g1, batch, 120), batch);

        ReluBackward(Slice(_b3, batch, 120), Slice(_g1, batch, 120));
        t = Stopwatch.GetTimestamp();
        _norm3.Backward(Slice(_f1, batch, 120), Slice(_g1, batch, 120), Slice(_g2, batch, 120), batch);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        _fc1.Backward(_p2, Slice(_g2, batch, 120), Slice(_g1, batch, 400), batch);

        _pool2.Backward(Slice(_g1, batch, 400), Slice(_g2, batch, _conv2.OutputSize), batch);
        ReluBackward(Slice(_b2, batch, _conv2.OutputSize), Slice(_g2, batch, _conv2.OutputSize));
        t = Stopwatch.GetTimestamp();
        _norm2.Backward(Slice(_c2, batch, _conv2.OutputSize), Slice(_g2, batch, _conv2.OutputSize),
            Slice(_g3, batch, _conv2.OutputSize), batch, 10, 10);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        _conv2.Backward(_p1, Slice(_g3, batch, _conv2.OutputSize), Slice(_g1, batch, _pool1.OutputSize), batch);

        _pool1.Backward(Slice(_g1, batch, _pool1.OutputSize), Slice(_g2, batch, _conv1.OutputSize), batch);
        ReluBackward(Slice(_b1, batch, _conv1.OutputSize), Slice(_g2, batch, _conv1.OutputSize));
        t = Stopwatch.GetTimestamp();
        _norm1.Backward(Slice(_c1, batch, _conv1.OutputSize), Slice(_g2, batch, _conv1.OutputSize),
            Slice(_g4, batch, _conv1.OutputSize), batch, 28, 28);
        BatchNormTicks += Stopwatch.GetTimestamp() - t;
        _conv1.Backward(x, Slice(_g4, batch, _conv1.OutputSize), Span<float>.Empty, batch);
        return loss;
    }

    private static Span<float> Slice(float[] buffer, int batch, int perItem) => buffer.AsSpan(0, batch * perItem);

    private static void Relu(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = MathF.Max(values[i], 0f);
    }

    private static void ReluInto(ReadOnlySpan<float> input, Span<float> output)
    {
        for (int i = 0; i < input.Length; i++) output[i] = MathF.Max(input[i], 0f);
    }

    /// <summary>ReLU's gradient, in place: zero where the ReLU's output (or input) was not positive.</summary>
    private static void ReluBackward(ReadOnlySpan<float> activation, Span<float> gradient)
    {
        for (int i = 0; i < gradient.Length; i++) if (activation[i] <= 0f) gradient[i] = 0f;
    }
}
