using System;
using System.Reflection;

namespace BnGen.Tests.Layouts;

// Views of the generated instance API, one interface per family of members. A test layer class lists the views its
// configuration has; the generated members implement them implicitly (a missing or misspelt member fails the build).
// TestLayer<T> then drives any layout through one (batch, height, width) call shape, so that a test body is written once
// for NC, NCHW, NHWC and NCL. Shared by the Layouts, State and Parallel tests.

/// <summary>Members every generated layer has, whatever its options.</summary>
public interface ILayerMembers
{
    bool Training { get; set; }

    int MaxDegreeOfParallelism { get; set; }

    void ResetParameters();

    void LoadStateDict(StateDict state, string prefix);

    void SaveStateDict(StateDict state, string prefix);
}

/// <summary>An NC layer: <c>[batch, Features]</c>.</summary>
public interface INcMembers<T> : ILayerMembers
{
    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch);
}

/// <summary>An NCHW or NHWC layer: dimensions <c>batch, height, width</c>.</summary>
public interface IPlaneMembers<T> : ILayerMembers
{
    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width);
}

/// <summary>An NCL layer: <c>[batch, Features, length]</c>.</summary>
public interface INclMembers<T> : ILayerMembers
{
    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int length);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int length);
}

/// <summary>The members of Affine = true.</summary>
public interface IAffineMembers<T>
{
    T[] Weight { get; }

    T[] Bias { get; }

    T[] WeightGrad { get; }

    T[] BiasGrad { get; }

    bool AccumulateGradients { get; set; }

    void ZeroGradients();
}

/// <summary>The members of TrackRunningStats = true.</summary>
public interface IRunningMembers<T>
{
    T[] RunningMean { get; }

    T[] RunningVar { get; }

    long NumBatchesTracked { get; set; }

    void ResetRunningStats();
}

/// <summary>A layer's attribute arguments, read back from its class.</summary>
public sealed record LayerOptions(int Features, BatchNormLayout Layout, bool IsDouble, double Epsilon, double Momentum, bool Affine,
    bool Track, bool Cumulative, BatchNormActivation Activation)
{
    public static LayerOptions Of(Type type)
    {
        var a = type.GetCustomAttribute<BatchNormLayerAttribute>() ?? throw new InvalidOperationException($"{type.Name} is not a layer");
        return new LayerOptions(a.Features, a.Layout, a.ElementType == typeof(double), a.Epsilon, a.Momentum, a.Affine,
            a.TrackRunningStats, a.CumulativeAverage, a.Activation);
    }

    /// <summary>The factor of the running update for the next training forward.</summary>
    public double Factor(long numBatchesTracked) => Cumulative ? 1d / (numBatchesTracked + 1) : Momentum;

    public override string ToString()
        => $"{Layout} F={Features} {(IsDouble ? "double" : "float")} affine={Affine} track={Track} cumulative={Cumulative} {Activation}";
}

/// <summary>
/// The dimensions of one call in the (batch, height, width) form every layout maps to: NC is (batch, 1, 1), NCL is
/// (batch, 1, length). Values are counted per channel as batch · height · width, as the layers do.
/// </summary>
public readonly record struct Dims(int Batch, int Height, int Width)
{
    public static Dims Nc(int batch) => new(batch, 1, 1);

    public static Dims Ncl(int batch, int length) => new(batch, 1, length);

    public int Plane => Height * Width;

    public int Count(int features) => Batch * features * Height * Width;

    public override string ToString() => $"{Batch}x{Height}x{Width}";
}

/// <summary>What a test drives: a generated layer (<see cref="TestLayer{T}"/>) or one built from stateless kernels.</summary>
public interface ILayerDriver<T>
    where T : unmanaged
{
    LayerOptions Options { get; }

    bool Training { get; set; }

    /// <summary>Null where the layer has no such array.</summary>
    T[]? Weight { get; }

    T[]? Bias { get; }

    T[]? WeightGrad { get; }

    T[]? BiasGrad { get; }

    T[]? RunningMean { get; }

    T[]? RunningVar { get; }

    long? NumBatchesTracked { get; }

    /// <summary>Input and output in the layer's own layout.</summary>
    void Forward(ReadOnlySpan<T> input, Span<T> output, Dims dims);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims);
}

/// <summary>A generated layer seen through its views, whatever its layout.</summary>
public sealed class TestLayer<T> : ILayerDriver<T>
    where T : unmanaged
{
    public TestLayer(object layer)
    {
        Inner = layer;
        Options = LayerOptions.Of(layer.GetType());
        bool shape = Options.Layout switch
        {
            BatchNormLayout.NC => layer is INcMembers<T>,
            BatchNormLayout.NCHW or BatchNormLayout.NHWC => layer is IPlaneMembers<T>,
            _ => layer is INclMembers<T>,
        };
        if (!shape || layer is IAffineMembers<T> != Options.Affine || layer is IRunningMembers<T> != Options.Track
            || Options.IsDouble != (typeof(T) == typeof(double)))
        {
            throw new InvalidOperationException($"{layer.GetType().Name} does not declare the views of {Options}");
        }
    }

    public object Inner { get; }

    public LayerOptions Options { get; }

    public string Name => Inner.GetType().Name;

    public ILayerMembers Members => (ILayerMembers)Inner;

    public IAffineMembers<T>? Affine => Inner as IAffineMembers<T>;

    public IRunningMembers<T>? Running => Inner as IRunningMembers<T>;

    public bool Training
    {
        get => Members.Training;
        set => Members.Training = value;
    }

    public int MaxDegreeOfParallelism
    {
        get => Members.MaxDegreeOfParallelism;
        set => Members.MaxDegreeOfParallelism = value;
    }

    public T[]? Weight => Affine?.Weight;

    public T[]? Bias => Affine?.Bias;

    public T[]? WeightGrad => Affine?.WeightGrad;

    public T[]? BiasGrad => Affine?.BiasGrad;

    public T[]? RunningMean => Running?.RunningMean;

    public T[]? RunningVar => Running?.RunningVar;

    public long? NumBatchesTracked => Running?.NumBatchesTracked;

    public void Forward(ReadOnlySpan<T> input, Span<T> output, Dims dims)
    {
        switch (Inner)
        {
            case INcMembers<T> nc:
                RequireFlat(dims);
                nc.Forward(input, output, dims.Batch);
                break;
            case IPlaneMembers<T> plane:
                plane.Forward(input, output, dims.Batch, dims.Height, dims.Width);
                break;
            default:
                RequireHeightOne(dims);
                ((INclMembers<T>)Inner).Forward(input, output, dims.Batch, dims.Width);
                break;
        }
    }

    public void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, Dims dims)
    {
        switch (Inner)
        {
            case INcMembers<T> nc:
                RequireFlat(dims);
                nc.Backward(input, gradOutput, gradInput, dims.Batch);
                break;
            case IPlaneMembers<T> plane:
                plane.Backward(input, gradOutput, gradInput, dims.Batch, dims.Height, dims.Width);
                break;
            default:
                RequireHeightOne(dims);
                ((INclMembers<T>)Inner).Backward(input, gradOutput, gradInput, dims.Batch, dims.Width);
                break;
        }
    }

    private static void RequireFlat(Dims dims)
    {
        if (dims.Height != 1 || dims.Width != 1)
        {
            throw new InvalidOperationException($"An NC layer cannot take {dims}");
        }
    }

    private static void RequireHeightOne(Dims dims)
    {
        if (dims.Height != 1)
        {
            throw new InvalidOperationException($"An NCL layer cannot take {dims}");
        }
    }
}
