using System;

namespace BnGen.Samples.Training;

/// <summary>
/// A multilayer perceptron written by hand on spans: input → [Linear(128) → (BatchNorm) → ReLU] × 3 → Linear(classes),
/// softmax cross-entropy loss. With <c>useBatchNorm</c> a generated <see cref="HiddenNorm"/> sits between each hidden
/// Linear and its ReLU; otherwise the network is identical (same initial weights for the same seed).
/// </summary>
internal sealed class Mlp
{
    public const int Hidden = 128;
    public const int HiddenLayers = 3;

    private readonly Linear[] _linears;
    private readonly HiddenNorm[]? _norms;
    private readonly int _maxBatch;
    // Per hidden layer l: z = Linear(a[l-1]), h = BatchNorm(z) (or z itself), a = ReLU(h).
    private readonly float[][] _z, _h, _a;
    private readonly float[] _logits, _gradLogits, _gradA, _gradH, _gradZ;

    public Mlp(int inputs, int classes, bool useBatchNorm, int maxBatch, int seed)
    {
        var rng = new Random(seed);
        _maxBatch = maxBatch;
        _linears = new Linear[HiddenLayers + 1];
        for (int l = 0; l <= HiddenLayers; l++)
            _linears[l] = new Linear(l == 0 ? inputs : Hidden, l == HiddenLayers ? classes : Hidden, rng);
        _norms = useBatchNorm ? new HiddenNorm[HiddenLayers] : null;
        _z = new float[HiddenLayers][];
        _h = new float[HiddenLayers][];
        _a = new float[HiddenLayers][];
        for (int l = 0; l < HiddenLayers; l++)
        {
            if (_norms is not null) _norms[l] = new HiddenNorm();
            _z[l] = new float[maxBatch * Hidden];
            _h[l] = _norms is null ? _z[l] : new float[maxBatch * Hidden];
            _a[l] = new float[maxBatch * Hidden];
        }
        _logits = new float[maxBatch * classes];
        _gradLogits = new float[maxBatch * classes];
        _gradA = new float[maxBatch * Hidden];
        _gradH = new float[maxBatch * Hidden];
        _gradZ = new float[maxBatch * Hidden];
        Classes = classes;
    }

    public int Classes { get; }

    /// <summary>The generated batch-norm layers (one per hidden layer), or null for the plain network.</summary>
    public HiddenNorm[]? Norms => _norms;

    /// <summary>Training mode uses batch statistics (and updates the running ones); eval mode uses running statistics.</summary>
    public bool Training
    {
        set
        {
            if (_norms is null) return;
            foreach (HiddenNorm norm in _norms) norm.Training = value;
        }
    }

    /// <summary>Registers every trainable parameter with the optimizer (BatchNorm's Weight/Bias included).</summary>
    public void AddParametersTo(Sgd optimizer)
    {
        foreach (Linear linear in _linears)
        {
            optimizer.Add(linear.Weight, linear.WeightGrad);
            optimizer.Add(linear.Bias, linear.BiasGrad);
        }
        if (_norms is null) return;
        foreach (HiddenNorm norm in _norms)
        {
            optimizer.Add(norm.Weight, norm.WeightGrad);
            optimizer.Add(norm.Bias, norm.BiasGrad);
        }
    }

    /// <summary>Pre-BatchNorm activations of hidden layer <paramref name="layer"/> from the last Forward.</summary>
    public ReadOnlySpan<float> PreNorm(int layer, int batch) => _z[layer].AsSpan(0, batch * Hidden);

    /// <summary>Output of hidden layer <paramref name="layer"/>'s BatchNorm from the last Forward.</summary>
    public ReadOnlySpan<float> PostNorm(int layer, int batch) => _h[layer].AsSpan(0, batch * Hidden);

    /// <summary>Runs the network; returns the logits, row-major [batch, classes].</summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> x, int batch)
    {
        if (batch > _maxBatch) throw new ArgumentOutOfRangeException(nameof(batch));
        ReadOnlySpan<float> input = x;
        for (int l = 0; l < HiddenLayers; l++)
        {
            Span<float> z = _z[l].AsSpan(0, batch * Hidden);
            Span<float> h = _h[l].AsSpan(0, batch * Hidden);
            Span<float> a = _a[l].AsSpan(0, batch * Hidden);
            _linears[l].Forward(input, z, batch);
            _norms?[l].Forward(z, h, batch);
            for (int i = 0; i < a.Length; i++) a[i] = MathF.Max(h[i], 0f);
            input = a;
        }
        Span<float> logits = _logits.AsSpan(0, batch * Classes);
        _linears[HiddenLayers].Forward(input, logits, batch);
        return logits;
    }

    /// <summary>
    /// One forward and backward pass with softmax cross-entropy; leaves the gradients in the layers.
    /// Returns the mean loss over the batch and counts the correct predictions.
    /// </summary>
    public double ForwardBackward(ReadOnlySpan<float> x, ReadOnlySpan<int> labels, int batch, out int correct)
    {
        ReadOnlySpan<float> logits = Forward(x, batch);
        Span<float> gradLogits = _gradLogits.AsSpan(0, batch * Classes);
        double loss = Loss.SoftmaxCrossEntropy(logits, labels, gradLogits, batch, Classes, out correct);

        // Backward, last layer first.
        Span<float> gradA = _gradA.AsSpan(0, batch * Hidden);
        _linears[HiddenLayers].Backward(_a[HiddenLayers - 1], gradLogits, gradA, batch);
        for (int l = HiddenLayers - 1; l >= 0; l--)
        {
            Span<float> h = _h[l].AsSpan(0, batch * Hidden);
            Span<float> gradH = _gradH.AsSpan(0, batch * Hidden);
            // ReLU: the gradient passes where the input was positive.
            for (int i = 0; i < gradH.Length; i++) gradH[i] = h[i] > 0f ? gradA[i] : 0f;
            Span<float> gradZ = gradH;
            if (_norms is not null)
            {
                gradZ = _gradZ.AsSpan(0, batch * Hidden);
                // The generated backward: gradient through the batch statistics, plus WeightGrad/BiasGrad.
                _norms[l].Backward(_z[l].AsSpan(0, batch * Hidden), gradH, gradZ, batch);
            }
            ReadOnlySpan<float> input = l == 0 ? x : _a[l - 1];
            _linears[l].Backward(input, gradZ, l == 0 ? Span<float>.Empty : gradA, batch);
        }
        return loss;
    }

    /// <summary>Index of the largest logit of each row.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}
