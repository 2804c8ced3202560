using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Samples.Mnist;
using BnGen.Samples.Training;

namespace BnGen.Samples.Distributed;

/// <summary>
/// BatchNorm1d over the MLP's 256 hidden units. With <c>SyncStatistics</c> set it normalizes every process's slice with
/// the statistics of the global batch.
/// </summary>
[BatchNormLayer(Network.Hidden)]
public sealed partial class HiddenNorm { }

/// <summary>
/// The Training sample's MLP with batch norm: input 784 → Linear(256) → ReLU → BatchNorm1d(256) → Linear(10), softmax
/// cross-entropy; the same initial weights for the same seed. One copy per process in the data-parallel run (each on its
/// slice of the global batch), one more on rank 0 for the single-process reference (on the whole batch).
/// </summary>
internal sealed class Network
{
    public const int Hidden = 256;

    private readonly Linear _hidden, _output;
    private readonly HiddenNorm _norm = new();
    private readonly int _maxBatch;
    // z = Linear(x), a = ReLU(z), h = BatchNorm(a), logits = Linear(h); and their gradients.
    private readonly float[] _z, _a, _h, _logits, _gradLogits, _gradH, _gradA;

    public Network(int seed, int maxBatch)
    {
        var rng = new Random(seed);
        _maxBatch = maxBatch;
        _hidden = new Linear(MnistData.Pixels, Hidden, rng);
        _output = new Linear(Hidden, MnistData.Classes, rng);
        _z = new float[maxBatch * Hidden];
        _a = new float[maxBatch * Hidden];
        _h = new float[maxBatch * Hidden];
        _logits = new float[maxBatch * MnistData.Classes];
        _gradLogits = new float[maxBatch * MnistData.Classes];
        _gradH = new float[maxBatch * Hidden];
        _gradA = new float[maxBatch * Hidden];
    }

    public HiddenNorm Norm => _norm;

    public bool Training
    {
        set => _norm.Training = value;
    }

    /// <summary>Every trainable parameter and its gradient, for the optimizer.</summary>
    public void AddParametersTo(Sgd optimizer)
    {
        optimizer.Add(_hidden.Weight, _hidden.WeightGrad);
        optimizer.Add(_hidden.Bias, _hidden.BiasGrad);
        optimizer.Add(_output.Weight, _output.WeightGrad);
        optimizer.Add(_output.Bias, _output.BiasGrad);
        optimizer.Add(_norm.Weight, _norm.WeightGrad);
        optimizer.Add(_norm.Bias, _norm.BiasGrad);
    }

    /// <summary>
    /// The gradients each process holds only its slice's share of: the two Linear layers'. The synchronized batch norm's
    /// WeightGrad and BiasGrad are already the global batch's on every process, so they are not in this list.
    /// </summary>
    public IEnumerable<float[]> SliceGradients => [_hidden.WeightGrad, _hidden.BiasGrad, _output.WeightGrad, _output.BiasGrad];

    /// <summary>Everything that defines the model, by PyTorch-style name (parameters and running statistics).</summary>
    public IEnumerable<(string Name, float[] Values)> State =>
    [
        ("hidden.weight", _hidden.Weight), ("hidden.bias", _hidden.Bias),
        ("norm.weight", _norm.Weight), ("norm.bias", _norm.Bias),
        ("norm.running_mean", _norm.RunningMean), ("norm.running_var", _norm.RunningVar),
        ("output.weight", _output.Weight), ("output.bias", _output.Bias),
    ];

    /// <summary>
    /// What one step computes, by name: every parameter's gradient and the batch norm's running statistics (which the
    /// forward moves). After a data-parallel step, the Linear gradients must have been summed across the processes.
    /// </summary>
    public IEnumerable<(string Name, float[] Values)> StepResults =>
    [
        ("hidden.weight.grad", _hidden.WeightGrad), ("hidden.bias.grad", _hidden.BiasGrad),
        ("norm.weight.grad", _norm.WeightGrad), ("norm.bias.grad", _norm.BiasGrad),
        ("norm.running_mean", _norm.RunningMean), ("norm.running_var", _norm.RunningVar),
        ("output.weight.grad", _output.WeightGrad), ("output.bias.grad", _output.BiasGrad),
    ];

    /// <summary>Takes <paramref name="other"/>'s parameters, running statistics and count (not its optimizer's state).</summary>
    public void CopyStateFrom(Network other)
    {
        foreach (((_, float[] to), (_, float[] from)) in State.Zip(other.State))
        {
            from.CopyTo(to, 0);
        }
        _norm.NumBatchesTracked = other._norm.NumBatchesTracked;
    }

    /// <summary>Runs the network; returns the logits, row-major [batch, classes].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        if (batch > _maxBatch) throw new ArgumentOutOfRangeException(nameof(batch));
        Span<float> z = _z.AsSpan(0, batch * Hidden);
        Span<float> a = _a.AsSpan(0, batch * Hidden);
        _hidden.Forward(x, z, batch);
        for (int i = 0; i < a.Length; i++) a[i] = MathF.Max(z[i], 0f);
        _norm.Forward(a, _h.AsSpan(0, batch * Hidden), batch);
        Span<float> logits = _logits.AsSpan(0, batch * MnistData.Classes);
        _output.Forward(_h.AsSpan(0, batch * Hidden), logits, batch);
        return logits;
    }

    /// <summary>
    /// Forward and backward on <paramref name="batch"/> rows, the loss and its gradient divided by
    /// <paramref name="globalBatch"/>: summed over the processes, the losses are the global batch's mean loss and the
    /// Linear gradients its gradient. Returns this slice's share of the loss; counts the correct predictions.
    /// </summary>
    public double ForwardBackward(ReadOnlySpan<float> x, ReadOnlySpan<byte> labels, int batch, int globalBatch, out int correct)
    {
        ReadOnlySpan<float> logits = Forward(x, batch);
        Span<float> gradLogits = _gradLogits.AsSpan(0, batch * MnistData.Classes);
        double loss = Loss.SoftmaxCrossEntropy(logits, labels, gradLogits, batch, MnistData.Classes, globalBatch, out correct);
        Span<float> gradH = _gradH.AsSpan(0, batch * Hidden);
        Span<float> gradA = _gradA.AsSpan(0, batch * Hidden);
        _output.Backward(_h.AsSpan(0, batch * Hidden), gradLogits, gradH, batch);
        // Synchronized: Σ dy and Σ dy·(x − mean) over the global batch, so dx is this slice's part of the global gradient.
        _norm.Backward(_a.AsSpan(0, batch * Hidden), gradH, gradA, batch);
        ReadOnlySpan<float> z = _z.AsSpan(0, batch * Hidden);
        for (int i = 0; i < gradA.Length; i++) if (z[i] <= 0f) gradA[i] = 0f;
        _hidden.Backward(x, gradA, Span<float>.Empty, batch);
        return loss;
    }

    /// <summary>Held-out accuracy in inference mode (running statistics: nothing is synchronized), in chunks this copy can hold.</summary>
    public ConfusionMatrix Evaluate(LabeledImages data)
    {
        int batchSize = _maxBatch;
        _norm.Training = false;
        var confusion = new ConfusionMatrix(MnistData.Classes);
        for (int first = 0; first < data.Count; first += batchSize)
        {
            int batch = Math.Min(batchSize, data.Count - first);
            ReadOnlySpan<float> logits = Forward(data.Pixels.AsSpan(first * MnistData.Pixels, batch * MnistData.Pixels), batch);
            confusion.AddBatch(logits, data.Labels.AsSpan(first, batch));
        }
        _norm.Training = true;
        return confusion;
    }
}
