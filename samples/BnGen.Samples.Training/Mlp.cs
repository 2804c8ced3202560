using System;
using BnGen.Samples.Mnist;

namespace BnGen.Samples.Training;

/// <summary>
/// The multilayer perceptron of the Keras write-up, written by hand on spans:
/// input 784 → Linear(256) → ReLU → (BatchNorm1d(256)) → Linear(10), softmax cross-entropy loss. With
/// <c>useBatchNorm</c> the generated <see cref="HiddenNorm"/> normalizes the ReLU's output, as
/// <c>Dense(256, activation="relu")</c> followed by <c>BatchNormalization()</c> does; otherwise the network is the same
/// (same initial weights for the same seed).
/// </summary>
internal sealed class Mlp
{
    public const int Hidden = 256;

    private readonly Linear _hidden, _output;
    private readonly HiddenNorm? _norm;
    private readonly int _maxBatch;
    // z = Linear(x), a = ReLU(z), h = BatchNorm(a) (or a itself), logits = Linear(h); and their gradients.
    private readonly float[] _z, _a, _h, _logits;
    private readonly float[] _gradLogits, _gradH, _gradA;

    public Mlp(int inputs, int classes, bool useBatchNorm, int maxBatch, int seed)
    {
        var rng = new Random(seed);
        _maxBatch = maxBatch;
        _hidden = new Linear(inputs, Hidden, rng);
        _output = new Linear(Hidden, classes, rng);
        _norm = useBatchNorm ? new HiddenNorm() : null;
        _z = new float[maxBatch * Hidden];
        _a = new float[maxBatch * Hidden];
        _h = _norm is null ? _a : new float[maxBatch * Hidden];
        _logits = new float[maxBatch * classes];
        _gradLogits = new float[maxBatch * classes];
        _gradH = new float[maxBatch * Hidden];
        _gradA = _norm is null ? _gradH : new float[maxBatch * Hidden];
        Classes = classes;
    }

    public int Classes { get; }

    /// <summary>The hidden layer, Linear(784 → 256).</summary>
    public Linear HiddenLayer => _hidden;

    /// <summary>The output layer, Linear(256 → 10).</summary>
    public Linear OutputLayer => _output;

    /// <summary>The generated batch-norm layer, or null for the plain network.</summary>
    public HiddenNorm? Norm => _norm;

    /// <summary>Training mode uses batch statistics (and updates the running ones); eval mode uses running statistics.</summary>
    public bool Training
    {
        set
        {
            if (_norm is not null) _norm.Training = value;
        }
    }

    /// <summary>Registers every trainable parameter with the optimizer (BatchNorm's Weight/Bias included).</summary>
    public void AddParametersTo(Sgd optimizer)
    {
        foreach (Linear linear in new[] { _hidden, _output })
        {
            optimizer.Add(linear.Weight, linear.WeightGrad);
            optimizer.Add(linear.Bias, linear.BiasGrad);
        }
        if (_norm is null) return;
        optimizer.Add(_norm.Weight, _norm.WeightGrad);
        optimizer.Add(_norm.Bias, _norm.BiasGrad);
    }

    /// <summary>The batch-norm layer's input (the ReLU's output) from the last Forward.</summary>
    public ReadOnlySpan<float> PreNorm(int batch) => _a.AsSpan(0, batch * Hidden);

    /// <summary>The batch-norm layer's output from the last Forward.</summary>
    public ReadOnlySpan<float> PostNorm(int batch) => _h.AsSpan(0, batch * Hidden);

    /// <summary>Runs the network; returns the logits, row-major [batch, classes].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        if (batch > _maxBatch) throw new ArgumentOutOfRangeException(nameof(batch));
        Span<float> z = _z.AsSpan(0, batch * Hidden);
        Span<float> a = _a.AsSpan(0, batch * Hidden);
        _hidden.Forward(x, z, batch);
        for (int i = 0; i < a.Length; i++) a[i] = MathF.Max(z[i], 0f);
        _norm?.Forward(a, _h.AsSpan(0, batch * Hidden), batch);
        Span<float> logits = _logits.AsSpan(0, batch * Classes);
        _output.Forward(_h.AsSpan(0, batch * Hidden), logits, batch);
        return logits;
    }

    /// <summary>
    /// One forward and backward pass with softmax cross-entropy; leaves the gradients in the layers.
    /// Returns the mean loss over the batch and counts the correct predictions.
    /// </summary>
    public double ForwardBackward(ReadOnlySpan<float> x, ReadOnlySpan<byte> labels, int batch, out int correct)
    {
        ReadOnlySpan<float> logits = Forward(x, batch);
        Span<float> gradLogits = _gradLogits.AsSpan(0, batch * Classes);
        double loss = Loss.SoftmaxCrossEntropy(logits, labels, gradLogits, batch, Classes, out correct);

        // Backward, last layer first.
        Span<float> gradH = _gradH.AsSpan(0, batch * Hidden);
        Span<float> gradA = _gradA.AsSpan(0, batch * Hidden);
        _output.Backward(_h.AsSpan(0, batch * Hidden), gradLogits, gradH, batch);
        // The generated backward: the gradient through the batch statistics, plus WeightGrad/BiasGrad.
        _norm?.Backward(_a.AsSpan(0, batch * Hidden), gradH, gradA, batch);
        // ReLU: the gradient passes where its input was positive (in place: gradA becomes dLoss/dz).
        ReadOnlySpan<float> z = _z.AsSpan(0, batch * Hidden);
        for (int i = 0; i < gradA.Length; i++) if (z[i] <= 0f) gradA[i] = 0f;
        _hidden.Backward(x, gradA, Span<float>.Empty, batch);
        return loss;
    }

    /// <summary>Mean loss and the confusion matrix over a whole data set, in chunks of <paramref name="batchSize"/>.</summary>
    public (double Loss, ConfusionMatrix Confusion) Evaluate(LabeledImages data, int batchSize)
    {
        double lossSum = 0;
        var confusion = new ConfusionMatrix(Classes);
        float[] grad = new float[batchSize * Classes];
        for (int first = 0; first < data.Count; first += batchSize)
        {
            int batch = Math.Min(batchSize, data.Count - first);
            ReadOnlySpan<float> logits = Forward(data.Pixels.AsSpan(first * MnistData.Pixels, batch * MnistData.Pixels), batch);
            ReadOnlySpan<byte> labels = data.Labels.AsSpan(first, batch);
            lossSum += batch * Loss.SoftmaxCrossEntropy(logits, labels, grad, batch, Classes, out _);
            confusion.AddBatch(logits, labels);
        }
        return (lossSum / data.Count, confusion);
    }
}
