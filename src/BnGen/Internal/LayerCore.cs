using System;
using System.ComponentModel;

namespace BnGen.Internal;

/// <summary>
/// The state and instance behaviour of a generated layer, written once: parameters, running statistics, the mode, the
/// statistics and shape of the last forward for <c>Backward</c>, parallelism, synchronized statistics and gradient
/// accumulation. A generated class holds one and forwards its members to it; its constants come from
/// <typeparamref name="TLayer"/>.
/// </summary>
/// <remarks>Not safe for concurrent calls: a forward and a backward of one layer must not overlap, nor two forwards.</remarks>
/// <typeparam name="T">float or double.</typeparam>
/// <typeparam name="TLayer">The layer's constants.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class LayerCore<T, TLayer>
    where T : unmanaged
    where TLayer : unmanaged, ILayerConstants
{
    private readonly double[] _savedMean;
    private readonly double[] _savedInvStd;
    private TensorShape _lastShape;

    // Which statistics the last successful forward used: 0 none yet, 1 batch, 2 running.
    private int _lastMode;
    private long _numBatchesTracked;
    private int _maxDegreeOfParallelism = 1;

    // n of the last batch-statistics forward: the global count when synchronized (Backward's n), else the local one.
    private double _lastCount;

    // The all-reduce of the last batch-statistics forward, which its Backward uses too; null when it ran unsynchronized.
    private IAllReduce? _lastSync;

    // Synchronized calls' working memory (pinned), owned by the layer: the all-reduce runs user code between the passes,
    // which may call other layers on the same thread and must not reuse or replace it (see Scratch).
    private double[]? _syncScratch;

    /// <summary>γ = 1, β = 0, running mean 0, running variance 1, as a fresh PyTorch module.</summary>
    public LayerCore()
    {
        TLayer layer = default;
        int features = layer.Features;
        Weight = layer.Affine ? Filled(features, 1d) : [];
        Bias = layer.Affine ? new T[features] : [];
        WeightGrad = layer.Affine ? new T[features] : [];
        BiasGrad = layer.Affine ? new T[features] : [];
        RunningMean = layer.TrackRunningStats ? new T[features] : [];
        RunningVar = layer.TrackRunningStats ? Filled(features, 1d) : [];
        _savedMean = new double[features];
        _savedInvStd = new double[features];
    }

    /// <summary>γ, length Features (empty without affine parameters).</summary>
    public T[] Weight { get; }

    /// <summary>β, length Features (empty without affine parameters).</summary>
    public T[] Bias { get; }

    /// <summary>dLoss/dγ, written (or added to) by <see cref="Backward"/>.</summary>
    public T[] WeightGrad { get; }

    /// <summary>dLoss/dβ, written (or added to) by <see cref="Backward"/>.</summary>
    public T[] BiasGrad { get; }

    /// <summary>Running mean, length Features (empty without running statistics).</summary>
    public T[] RunningMean { get; }

    /// <summary>Running unbiased variance, length Features (empty without running statistics).</summary>
    public T[] RunningVar { get; }

    /// <summary>Training-mode forwards that succeeded; settable for checkpoints, never negative.</summary>
    public long NumBatchesTracked
    {
        get => _numBatchesTracked;
        set
        {
            if (value < 0)
            {
                ThrowHelper.NegativeCount(nameof(NumBatchesTracked), value);
            }
            _numBatchesTracked = value;
        }
    }

    /// <summary>Training mode (batch statistics) or evaluation mode (running statistics, where the layer keeps them).</summary>
    public bool Training { get; set; } = true;

    /// <summary>1 (the default), -1 for all cores, or a thread count.</summary>
    public int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        set
        {
            if (value == 0 || value < -1)
            {
                ThrowHelper.DegreeOfParallelismInvalid(nameof(MaxDegreeOfParallelism), value);
            }
            _maxDegreeOfParallelism = value;
        }
    }

    /// <summary>When set, batch statistics are those of the global batch across processes.</summary>
    public IAllReduce? SyncStatistics { get; set; }

    /// <summary>Backward adds into WeightGrad and BiasGrad instead of overwriting them.</summary>
    public bool AccumulateGradients { get; set; }

    /// <summary>
    /// Training mode (or evaluation without running statistics): batch statistics; with running statistics, the update and
    /// the count. Evaluation mode: the running statistics. Nothing changes when the call is rejected.
    /// </summary>
    public void Forward(ReadOnlySpan<T> input, Span<T> output, TensorShape shape)
    {
        TLayer layer = default;
        if (layer.TrackRunningStats && !Training)
        {
            LayerKernels<T, TLayer>.ForwardInference(layer, input, output, shape, Weight, Bias, RunningMean, RunningVar,
                _maxDegreeOfParallelism);
            Remember(shape, 2);
            return;
        }
        // Without running statistics both modes normalize with the batch statistics, as PyTorch does.
        bool update = layer.TrackRunningStats;
        double factor = !update ? 0d
            : layer.CumulativeAverage ? 1d / (_numBatchesTracked + 1)
            : layer.Momentum;
        if (SyncStatistics is { } sync)
        {
            LayerKernels<T, TLayer>.ForwardTrainingSynced(layer, input, output, shape, Weight, Bias, _savedMean, _savedInvStd,
                update ? RunningMean : default, update ? RunningVar : default, factor, _maxDegreeOfParallelism, sync, ref _syncScratch,
                out double n);
            _lastCount = n;
            _lastSync = sync;
        }
        else
        {
            LayerKernels<T, TLayer>.ForwardTraining(layer, input, output, shape, Weight, Bias, _savedMean, _savedInvStd,
                update ? RunningMean : default, update ? RunningVar : default, factor, _maxDegreeOfParallelism);
            _lastCount = shape.PerChannel;
            _lastSync = null;
        }
        if (update)
        {
            _numBatchesTracked++;
        }
        Remember(shape, 1);
    }

    /// <summary>
    /// The gradient of the last forward, which must have had the same shape: through the batch statistics after a
    /// batch-statistics forward, through the constant running statistics after an evaluation-mode one.
    /// </summary>
    public void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, TensorShape shape, string layerName)
    {
        TLayer layer = default;
        long count = shape.Count(layer.Features);
        CheckLength(input.Length, count, shape, nameof(input));
        CheckLength(gradOutput.Length, count, shape, nameof(gradOutput));
        CheckLength(gradInput.Length, count, shape, nameof(gradInput));
        if (_lastMode == 0)
        {
            ThrowHelper.BackwardBeforeForward(layerName);
        }
        if (!shape.SameAs(_lastShape))
        {
            ThrowHelper.BackwardShapeMismatch(layerName, _lastShape.Describe(layer.Features), shape.Describe(layer.Features));
        }
        if (_lastMode == 1 && _lastSync is { } sync)
        {
            LayerKernels<T, TLayer>.BackwardTrainingSynced(layer, input, gradOutput, gradInput, shape, Weight, Bias, _savedMean,
                _savedInvStd, WeightGrad, BiasGrad, _maxDegreeOfParallelism, AccumulateGradients, sync, _lastCount, ref _syncScratch);
        }
        else if (_lastMode == 1)
        {
            LayerKernels<T, TLayer>.BackwardTraining(layer, input, gradOutput, gradInput, shape, Weight, Bias, _savedMean,
                _savedInvStd, WeightGrad, BiasGrad, _maxDegreeOfParallelism, AccumulateGradients);
        }
        else
        {
            LayerKernels<T, TLayer>.BackwardInference(layer, input, gradOutput, gradInput, shape, Weight, Bias, RunningMean,
                RunningVar, WeightGrad, BiasGrad, _maxDegreeOfParallelism, AccumulateGradients);
        }
    }

    /// <summary>PyTorch's <c>reset_running_stats</c>: running mean 0, running variance 1, count 0.</summary>
    public void ResetRunningStats()
    {
        Array.Clear(RunningMean);
        Array.Fill(RunningVar, Scalar.FromDouble<T>(1d));
        _numBatchesTracked = 0;
    }

    /// <summary>PyTorch's <c>reset_parameters</c>: <see cref="ResetRunningStats"/>, then γ = 1 and β = 0.</summary>
    public void ResetParameters()
    {
        ResetRunningStats();
        Array.Fill(Weight, Scalar.FromDouble<T>(1d));
        Array.Clear(Bias);
    }

    /// <summary>WeightGrad = BiasGrad = 0, PyTorch's <c>zero_grad</c> for this layer's parameters.</summary>
    public void ZeroGradients()
    {
        Array.Clear(WeightGrad);
        Array.Clear(BiasGrad);
    }

    /// <summary>Folds this layer's evaluation-mode transform into the preceding layer's parameters.</summary>
    public void FoldInto(Span<T> weight, Span<T> bias)
        => Folding.Fold<T, TLayer>(weight, bias, Weight, Bias, RunningMean, RunningVar);

    /// <summary>
    /// Loads PyTorch's keys of this layer (<c>{prefix}.weight</c>, <c>.bias</c>, <c>.running_mean</c>, <c>.running_var</c>,
    /// <c>.num_batches_tracked</c>, those the layer has) from <paramref name="state"/>; strict, and all or nothing.
    /// </summary>
    public void LoadStateDict(StateDict state, string prefix, string layerName)
    {
        TLayer layer = default;
        long count = LayerStateDict.Load(state, prefix, layerName, layer.Affine ? Weight : null, layer.Affine ? Bias : null,
            layer.TrackRunningStats ? RunningMean : null, layer.TrackRunningStats ? RunningVar : null);
        if (layer.TrackRunningStats)
        {
            _numBatchesTracked = count;
        }
    }

    /// <summary>Writes this layer's keys into <paramref name="state"/> with PyTorch's names and dtypes.</summary>
    public void SaveStateDict(StateDict state, string prefix)
    {
        TLayer layer = default;
        LayerStateDict.Save(state, prefix, layer.Affine ? Weight : null, layer.Affine ? Bias : null,
            layer.TrackRunningStats ? RunningMean : null, layer.TrackRunningStats ? RunningVar : null, _numBatchesTracked);
    }

    private void Remember(TensorShape shape, int mode)
    {
        _lastShape = shape;
        _lastMode = mode;
    }

    private static void CheckLength(int length, long count, TensorShape shape, string name)
    {
        if (length != count)
        {
            ThrowHelper.LengthMismatch(name, count, length, shape.Describe(default(TLayer).Features));
        }
    }

    private static T[] Filled(int length, double value)
    {
        var array = new T[length];
        Array.Fill(array, Scalar.FromDouble<T>(value));
        return array;
    }
}
