using System;
using System.Collections.Generic;
using System.Numerics;
using System.Reflection;

namespace BnGen.Tests.Distributed;

// The generated layers the synchronized-statistics tests run: every layout, both element types, with and without γ/β and
// running statistics, momentum and cumulative averaging, the fused ReLU, and feature counts below and above one vector.

[BatchNormLayer(5)]
public partial class SyncNcF : ISyncNc<float>, ISyncAffine<float>, ISyncTracked<float> { }

[BatchNormLayer(33, Momentum = 0.3)]
public partial class SyncNcF33 : ISyncNc<float>, ISyncAffine<float>, ISyncTracked<float> { }

[BatchNormLayer(4, Activation = BatchNormActivation.ReLU, TrackRunningStats = false)]
public partial class SyncNcFReluNoTrack : ISyncNc<float>, ISyncAffine<float> { }

[BatchNormLayer(3, ElementType = typeof(double), Affine = false, CumulativeAverage = true)]
public partial class SyncNcDCumulative : ISyncNc<double>, ISyncTracked<double> { }

[BatchNormLayer(6, ElementType = typeof(double), Activation = BatchNormActivation.ReLU, Momentum = 0.25)]
public partial class SyncNcDRelu : ISyncNc<double>, ISyncAffine<double>, ISyncTracked<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW)]
public partial class SyncNchwF : ISyncSpatial<float>, ISyncAffine<float>, ISyncTracked<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, Affine = false, TrackRunningStats = false)]
public partial class SyncNchwFBare : ISyncSpatial<float> { }

[BatchNormLayer(2, BatchNormLayout.NCHW, ElementType = typeof(double), Activation = BatchNormActivation.ReLU, CumulativeAverage = true)]
public partial class SyncNchwDReluCumulative : ISyncSpatial<double>, ISyncAffine<double>, ISyncTracked<double> { }

[BatchNormLayer(4, BatchNormLayout.NCHW, ElementType = typeof(double), Epsilon = 1e-3)]
public partial class SyncNchwD : ISyncSpatial<double>, ISyncAffine<double>, ISyncTracked<double> { }

[BatchNormLayer(6, BatchNormLayout.NHWC, Activation = BatchNormActivation.ReLU)]
public partial class SyncNhwcFRelu : ISyncSpatial<float>, ISyncAffine<float>, ISyncTracked<float> { }

[BatchNormLayer(20, BatchNormLayout.NHWC, TrackRunningStats = false)]
public partial class SyncNhwcF20NoTrack : ISyncSpatial<float>, ISyncAffine<float> { }

[BatchNormLayer(3, BatchNormLayout.NHWC, ElementType = typeof(double), Affine = false, Momentum = 0.25)]
public partial class SyncNhwcD : ISyncSpatial<double>, ISyncTracked<double> { }

[BatchNormLayer(4, BatchNormLayout.NCL, CumulativeAverage = true)]
public partial class SyncNclFCumulative : ISyncNcl<float>, ISyncAffine<float>, ISyncTracked<float> { }

[BatchNormLayer(2, BatchNormLayout.NCL, Affine = false)]
public partial class SyncNclFNoAffine : ISyncNcl<float>, ISyncTracked<float> { }

[BatchNormLayer(3, BatchNormLayout.NCL, ElementType = typeof(double), Activation = BatchNormActivation.ReLU, TrackRunningStats = false)]
public partial class SyncNclDReluNoTrack : ISyncNcl<double>, ISyncAffine<double> { }

/// <summary>The members every generated layer has that these tests use.</summary>
public interface ISyncCommon
{
    bool Training { get; set; }

    IAllReduce? SyncStatistics { get; set; }

    int MaxDegreeOfParallelism { get; set; }
}

/// <summary>A generated NC layer (dims: batch).</summary>
public interface ISyncNc<T> : ISyncCommon
{
    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch);
}

/// <summary>A generated NCHW or NHWC layer (dims: batch, height, width).</summary>
public interface ISyncSpatial<T> : ISyncCommon
{
    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width);
}

/// <summary>A generated NCL layer (dims: batch, length).</summary>
public interface ISyncNcl<T> : ISyncCommon
{
    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int length);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length);
}

/// <summary>γ, β and their gradients (Affine = true).</summary>
public interface ISyncAffine<T>
{
    T[] Weight { get; }

    T[] Bias { get; }

    T[] WeightGrad { get; }

    T[] BiasGrad { get; }

    bool AccumulateGradients { get; set; }
}

/// <summary>Running statistics (TrackRunningStats = true).</summary>
public interface ISyncTracked<T>
{
    T[] RunningMean { get; }

    T[] RunningVar { get; }

    long NumBatchesTracked { get; set; }
}

/// <summary>
/// One configuration under test: a generated layer type and the spatial extent each sample has (height · width for NCHW
/// and NHWC, length for NCL, 1 · 1 for NC). Slices differ only in their batch size.
/// </summary>
public sealed record SyncCase(string Name, Type LayerType, BatchNormLayout Layout, int Height, int Width)
{
    public int Plane => Height * Width;

    public int Features => (int)LayerType.GetField("Features", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    public bool IsDouble => typeof(ISyncNc<double>).IsAssignableFrom(LayerType) || typeof(ISyncSpatial<double>).IsAssignableFrom(LayerType)
        || typeof(ISyncNcl<double>).IsAssignableFrom(LayerType);

    public SyncLayer<T> Create<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => new(Activator.CreateInstance(LayerType)!, this);

    public override string ToString() => Name;

    /// <summary>Every configuration, by name; the spatial layouts also with 1 × 1 planes so a slice may hold one value per channel.</summary>
    public static readonly IReadOnlyDictionary<string, SyncCase> All = Build();

    private static Dictionary<string, SyncCase> Build()
    {
        var cases = new List<SyncCase>
        {
            new("NC-float", typeof(SyncNcF), BatchNormLayout.NC, 1, 1),
            new("NC-float-F33-momentum0.3", typeof(SyncNcF33), BatchNormLayout.NC, 1, 1),
            new("NC-float-ReLU-untracked", typeof(SyncNcFReluNoTrack), BatchNormLayout.NC, 1, 1),
            new("NC-double-noaffine-cumulative", typeof(SyncNcDCumulative), BatchNormLayout.NC, 1, 1),
            new("NC-double-ReLU", typeof(SyncNcDRelu), BatchNormLayout.NC, 1, 1),
        };
        void Spatial(string name, Type type, BatchNormLayout layout, int height, int width)
        {
            cases.Add(new SyncCase(name, type, layout, height, width));
            cases.Add(new SyncCase(name + "-1x1", type, layout, 1, 1));
        }
        Spatial("NCHW-float", typeof(SyncNchwF), BatchNormLayout.NCHW, 2, 3);
        Spatial("NCHW-float-bare", typeof(SyncNchwFBare), BatchNormLayout.NCHW, 3, 3);
        Spatial("NCHW-double-ReLU-cumulative", typeof(SyncNchwDReluCumulative), BatchNormLayout.NCHW, 2, 2);
        Spatial("NCHW-double-eps1e-3", typeof(SyncNchwD), BatchNormLayout.NCHW, 3, 2);
        Spatial("NHWC-float-ReLU", typeof(SyncNhwcFRelu), BatchNormLayout.NHWC, 3, 2);
        Spatial("NHWC-float-F20-untracked", typeof(SyncNhwcF20NoTrack), BatchNormLayout.NHWC, 2, 2);
        Spatial("NHWC-double-noaffine", typeof(SyncNhwcD), BatchNormLayout.NHWC, 2, 3);
        Spatial("NCL-float-cumulative", typeof(SyncNclFCumulative), BatchNormLayout.NCL, 1, 5);
        Spatial("NCL-float-noaffine", typeof(SyncNclFNoAffine), BatchNormLayout.NCL, 1, 4);
        Spatial("NCL-double-ReLU-untracked", typeof(SyncNclDReluNoTrack), BatchNormLayout.NCL, 1, 3);
        var byName = new Dictionary<string, SyncCase>();
        foreach (SyncCase c in cases)
        {
            byName.Add(c.Name, c);
        }
        return byName;
    }
}

/// <summary>
/// A generated layer seen through one set of members whatever its layout and options: Forward and Backward take the
/// batch size (the case fixes the spatial extent), absent parameters and statistics are empty arrays.
/// </summary>
public sealed class SyncLayer<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly object _layer;
    private readonly ISyncCommon _common;

    public SyncLayer(object layer, SyncCase config)
    {
        _layer = layer;
        _common = (ISyncCommon)layer;
        Case = config;
        if (layer is not (ISyncNc<T> or ISyncSpatial<T> or ISyncNcl<T>))
        {
            throw new InvalidOperationException($"{layer.GetType().Name} is not a layer of {typeof(T).Name}");
        }
    }

    public SyncCase Case { get; }

    public object Inner => _layer;

    public int Features => Case.Features;

    /// <summary>Values of one sample: Features · plane.</summary>
    public int SampleSize => Case.Features * Case.Plane;

    public bool Training { get => _common.Training; set => _common.Training = value; }

    public IAllReduce? SyncStatistics { get => _common.SyncStatistics; set => _common.SyncStatistics = value; }

    public int MaxDegreeOfParallelism { get => _common.MaxDegreeOfParallelism; set => _common.MaxDegreeOfParallelism = value; }

    public bool Affine => _layer is ISyncAffine<T>;

    public bool Tracked => _layer is ISyncTracked<T>;

    public T[] Weight => (_layer as ISyncAffine<T>)?.Weight ?? [];

    public T[] Bias => (_layer as ISyncAffine<T>)?.Bias ?? [];

    public T[] WeightGrad => (_layer as ISyncAffine<T>)?.WeightGrad ?? [];

    public T[] BiasGrad => (_layer as ISyncAffine<T>)?.BiasGrad ?? [];

    public T[] RunningMean => (_layer as ISyncTracked<T>)?.RunningMean ?? [];

    public T[] RunningVar => (_layer as ISyncTracked<T>)?.RunningVar ?? [];

    public long NumBatchesTracked
    {
        get => (_layer as ISyncTracked<T>)?.NumBatchesTracked ?? 0;
        set
        {
            if (_layer is ISyncTracked<T> tracked)
            {
                tracked.NumBatchesTracked = value;
            }
        }
    }

    public bool AccumulateGradients
    {
        get => (_layer as ISyncAffine<T>)?.AccumulateGradients ?? false;
        set
        {
            if (_layer is ISyncAffine<T> affine)
            {
                affine.AccumulateGradients = value;
            }
        }
    }

    public void Forward(ReadOnlySpan<T> input, Span<T> output, int batch)
    {
        switch (_layer)
        {
            case ISyncNc<T> nc:
                nc.Forward(input, output, batch);
                break;
            case ISyncSpatial<T> spatial:
                spatial.Forward(input, output, batch, Case.Height, Case.Width);
                break;
            default:
                ((ISyncNcl<T>)_layer).Forward(input, output, batch, Case.Width);
                break;
        }
    }

    public void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch)
    {
        switch (_layer)
        {
            case ISyncNc<T> nc:
                nc.Backward(input, gradOutput, gradInput, batch);
                break;
            case ISyncSpatial<T> spatial:
                spatial.Backward(input, gradOutput, gradInput, batch, Case.Height, Case.Width);
                break;
            default:
                ((ISyncNcl<T>)_layer).Backward(input, gradOutput, gradInput, batch, Case.Width);
                break;
        }
    }

    /// <summary>Everything a call may change, copied: parameters' gradients, running statistics, the count.</summary>
    public LayerState Snapshot() => new(
        Array.ConvertAll(Weight, double.CreateChecked), Array.ConvertAll(Bias, double.CreateChecked),
        Array.ConvertAll(WeightGrad, double.CreateChecked), Array.ConvertAll(BiasGrad, double.CreateChecked),
        Array.ConvertAll(RunningMean, double.CreateChecked), Array.ConvertAll(RunningVar, double.CreateChecked), NumBatchesTracked);
}

/// <summary>A copy of a layer's visible state (values widened to double, exactly).</summary>
public sealed record LayerState(double[] Weight, double[] Bias, double[] WeightGrad, double[] BiasGrad, double[] RunningMean,
    double[] RunningVar, long NumBatchesTracked);
