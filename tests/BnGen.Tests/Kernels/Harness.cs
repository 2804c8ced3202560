using System;

namespace BnGen.Tests.Kernels;

// Uniform views of the three implementations under test (generated instance layers, generated static kernels, the
// generic BatchNormKernels), so that one test body can drive all of them.

/// <summary>The instance API of a generated NC layer (implemented implicitly by the generated members).</summary>
public interface INcLayer<T>
{
    bool Training { get; set; }

    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch);
}

/// <summary>The instance API of a generated NCHW layer.</summary>
public interface INchwLayer<T>
{
    bool Training { get; set; }

    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width);
}

/// <summary>The parameters of a generated layer with Affine = true.</summary>
public interface IAffineLayer<T>
{
    T[] Weight { get; }

    T[] Bias { get; }

    T[] WeightGrad { get; }

    T[] BiasGrad { get; }
}

/// <summary>The running statistics of a generated layer with TrackRunningStats = true.</summary>
public interface ITrackedLayer<T>
{
    T[] RunningMean { get; }

    T[] RunningVar { get; }

    long NumBatchesTracked { get; }
}

/// <summary>A layer's compile-time configuration, as in its attribute.</summary>
public sealed record LayerConfig(int Features, BatchNormLayout Layout, bool IsDouble, double Epsilon, double Momentum,
    bool Affine, bool Track, bool Cumulative)
{
    public override string ToString()
        => $"{Layout} F={Features} {(IsDouble ? "double" : "float")} eps={Epsilon} momentum={(Cumulative ? "cumulative" : Momentum.ToString(System.Globalization.CultureInfo.InvariantCulture))} affine={Affine} track={Track}";
}

/// <summary>One implementation of a whole layer (state and all), seen the same way whatever is behind it.</summary>
public interface ILayerUnderTest<T>
{
    LayerConfig Config { get; }

    bool Training { get; set; }

    T[]? Weight { get; }

    T[]? Bias { get; }

    T[]? WeightGrad { get; }

    T[]? BiasGrad { get; }

    T[]? RunningMean { get; }

    T[]? RunningVar { get; }

    /// <summary>
    /// The product's own count of training batches: null without running statistics, and null for
    /// <see cref="KernelLayer{T}"/> (the stateless kernels keep no count; the harness's bookkeeping is not product code,
    /// so tests count the batches themselves).
    /// </summary>
    long? NumBatchesTracked { get; }

    void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width);

    void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width);
}

/// <summary>A generated layer instance behind <see cref="ILayerUnderTest{T}"/>.</summary>
public sealed class GeneratedLayer<T> : ILayerUnderTest<T>
{
    private readonly object _layer;

    public GeneratedLayer(object layer, LayerConfig config)
    {
        _layer = layer;
        Config = config;
        if (layer is INcLayer<T> == (config.Layout == BatchNormLayout.NCHW) || layer is IAffineLayer<T> != config.Affine
            || layer is ITrackedLayer<T> != config.Track)
        {
            throw new InvalidOperationException($"{layer.GetType().Name} does not match {config}");
        }
    }

    public LayerConfig Config { get; }

    public object Inner => _layer;

    public bool Training
    {
        get => _layer is INcLayer<T> nc ? nc.Training : ((INchwLayer<T>)_layer).Training;
        set
        {
            if (_layer is INcLayer<T> nc)
            {
                nc.Training = value;
            }
            else
            {
                ((INchwLayer<T>)_layer).Training = value;
            }
        }
    }

    public T[]? Weight => (_layer as IAffineLayer<T>)?.Weight;

    public T[]? Bias => (_layer as IAffineLayer<T>)?.Bias;

    public T[]? WeightGrad => (_layer as IAffineLayer<T>)?.WeightGrad;

    public T[]? BiasGrad => (_layer as IAffineLayer<T>)?.BiasGrad;

    public T[]? RunningMean => (_layer as ITrackedLayer<T>)?.RunningMean;

    public T[]? RunningVar => (_layer as ITrackedLayer<T>)?.RunningVar;

    public long? NumBatchesTracked => (_layer as ITrackedLayer<T>)?.NumBatchesTracked;

    public void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width)
    {
        if (_layer is INcLayer<T> nc)
        {
            if (height != 1 || width != 1)
            {
                throw new InvalidOperationException("NC layer driven with a plane");
            }
            nc.Forward(input, output, batch);
        }
        else
        {
            ((INchwLayer<T>)_layer).Forward(input, output, batch, height, width);
        }
    }

    public void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width)
    {
        if (_layer is INcLayer<T> nc)
        {
            if (height != 1 || width != 1)
            {
                throw new InvalidOperationException("NC layer driven with a plane");
            }
            nc.Backward(input, gradOutput, gradInput, batch);
        }
        else
        {
            ((INchwLayer<T>)_layer).Backward(input, gradOutput, gradInput, batch, height, width);
        }
    }
}

/// <summary>The four stateless kernels with every optional argument present (empty spans where a configuration has none).</summary>
public interface IKernels<T>
{
    void ForwardTraining(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        Span<double> savedMean, Span<double> savedInvStd, Span<T> runningMean, Span<T> runningVar, double factor);

    void ForwardInference(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar);

    void BackwardTraining(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<T> weightGrad, Span<T> biasGrad);

    void BackwardInference(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width, ReadOnlySpan<T> weight,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, Span<T> weightGrad, Span<T> biasGrad);
}

/// <summary>The generic <see cref="BatchNormKernels"/> (float) with a fixed features, layout and epsilon.</summary>
public sealed class GenericFloatKernels(int features, BatchNormLayout layout, double epsilon) : IKernels<float>
{
    public void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batch, int height, int width, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<double> savedMean, Span<double> savedInvStd, Span<float> runningMean, Span<float> runningVar, double factor)
        => BatchNormKernels.ForwardTraining(input, output, features, layout, batch, height, width, weight, bias, epsilon, savedMean, savedInvStd,
            runningMean, runningVar, factor);

    public void ForwardInference(ReadOnlySpan<float> input, Span<float> output, int batch, int height, int width, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar)
        => BatchNormKernels.ForwardInference(input, output, features, layout, batch, height, width, weight, bias, epsilon, runningMean, runningVar);

    public void BackwardTraining(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<float> weightGrad, Span<float> biasGrad)
        => BatchNormKernels.BackwardTraining(input, gradOutput, gradInput, features, layout, batch, height, width, weight, savedMean, savedInvStd,
            weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput, int batch, int height, int width,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, Span<float> weightGrad, Span<float> biasGrad)
        => BatchNormKernels.BackwardInference(input, gradOutput, gradInput, features, layout, batch, height, width, weight, epsilon, runningMean,
            runningVar, weightGrad, biasGrad);
}

/// <summary>The generic <see cref="BatchNormKernels"/> (double) with a fixed features, layout and epsilon.</summary>
public sealed class GenericDoubleKernels(int features, BatchNormLayout layout, double epsilon) : IKernels<double>
{
    public void ForwardTraining(ReadOnlySpan<double> input, Span<double> output, int batch, int height, int width, ReadOnlySpan<double> weight,
        ReadOnlySpan<double> bias, Span<double> savedMean, Span<double> savedInvStd, Span<double> runningMean, Span<double> runningVar, double factor)
        => BatchNormKernels.ForwardTraining(input, output, features, layout, batch, height, width, weight, bias, epsilon, savedMean, savedInvStd,
            runningMean, runningVar, factor);

    public void ForwardInference(ReadOnlySpan<double> input, Span<double> output, int batch, int height, int width, ReadOnlySpan<double> weight,
        ReadOnlySpan<double> bias, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar)
        => BatchNormKernels.ForwardInference(input, output, features, layout, batch, height, width, weight, bias, epsilon, runningMean, runningVar);

    public void BackwardTraining(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> savedMean, ReadOnlySpan<double> savedInvStd, Span<double> weightGrad, Span<double> biasGrad)
        => BatchNormKernels.BackwardTraining(input, gradOutput, gradInput, features, layout, batch, height, width, weight, savedMean, savedInvStd,
            weightGrad, biasGrad);

    public void BackwardInference(ReadOnlySpan<double> input, ReadOnlySpan<double> gradOutput, Span<double> gradInput, int batch, int height, int width,
        ReadOnlySpan<double> weight, ReadOnlySpan<double> runningMean, ReadOnlySpan<double> runningVar, Span<double> weightGrad, Span<double> biasGrad)
        => BatchNormKernels.BackwardInference(input, gradOutput, gradInput, features, layout, batch, height, width, weight, epsilon, runningMean,
            runningVar, weightGrad, biasGrad);
}

/// <summary>
/// A whole layer built from stateless kernels: the same state and call sequence as a generated instance (saved
/// statistics, running statistics, the mode of the last forward), written once for the tests. It counts the training
/// batches only to pass 1 / (batches + 1) as the cumulative average's factor; that count is the harness's, not the
/// product's, so <see cref="NumBatchesTracked"/> is null, and tests compute the factor they expect from their own count.
/// </summary>
public sealed class KernelLayer<T> : ILayerUnderTest<T>
    where T : unmanaged
{
    private readonly IKernels<T> _kernels;
    private readonly double[] _savedMean;
    private readonly double[] _savedInvStd;
    private int _lastMode;

    public KernelLayer(IKernels<T> kernels, LayerConfig config)
    {
        _kernels = kernels;
        Config = config;
        int f = config.Features;
        _savedMean = new double[f];
        _savedInvStd = new double[f];
        if (config.Affine)
        {
            Weight = Num.Filled<T>(f, 1);
            Bias = new T[f];
            WeightGrad = new T[f];
            BiasGrad = new T[f];
        }
        if (config.Track)
        {
            RunningMean = new T[f];
            RunningVar = Num.Filled<T>(f, 1);
        }
    }

    public LayerConfig Config { get; }

    public bool Training { get; set; } = true;

    public T[]? Weight { get; }

    public T[]? Bias { get; }

    public T[]? WeightGrad { get; }

    public T[]? BiasGrad { get; }

    public T[]? RunningMean { get; }

    public T[]? RunningVar { get; }

    public long? NumBatchesTracked => null;

    private long _batchesSeen;

    public void Forward(ReadOnlySpan<T> input, Span<T> output, int batch, int height, int width)
    {
        if (Config.Track && !Training)
        {
            _kernels.ForwardInference(input, output, batch, height, width, Weight, Bias, RunningMean, RunningVar);
            _lastMode = 2;
            return;
        }
        bool update = Config.Track && Training;
        double factor = !update ? 0 : Config.Cumulative ? 1d / (_batchesSeen + 1) : Config.Momentum;
        _kernels.ForwardTraining(input, output, batch, height, width, Weight, Bias, _savedMean, _savedInvStd,
            update ? RunningMean : default, update ? RunningVar : default, factor);
        if (update)
        {
            _batchesSeen++;
        }
        _lastMode = 1;
    }

    public void Backward(ReadOnlySpan<T> input, ReadOnlySpan<T> gradOutput, Span<T> gradInput, int batch, int height, int width)
    {
        if (_lastMode == 1)
        {
            _kernels.BackwardTraining(input, gradOutput, gradInput, batch, height, width, Weight, _savedMean, _savedInvStd, WeightGrad, BiasGrad);
        }
        else
        {
            _kernels.BackwardInference(input, gradOutput, gradInput, batch, height, width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
        }
    }
}

/// <summary>Element-type plumbing for tests written once for float and double.</summary>
public static class Num
{
    public static double ToDouble<T>(T value)
        => value is float f ? f : value is double d ? d : throw new NotSupportedException(typeof(T).Name);

    public static T FromDouble<T>(double value)
        => typeof(T) == typeof(float) ? (T)(object)(float)value : typeof(T) == typeof(double) ? (T)(object)value : throw new NotSupportedException(typeof(T).Name);

    public static T[] Filled<T>(int length, double value)
    {
        var array = new T[length];
        Array.Fill(array, FromDouble<T>(value));
        return array;
    }

    public static double[] ToDoubles<T>(ReadOnlySpan<T> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = ToDouble(values[i]);
        }
        return result;
    }

    public static T[] FromDoubles<T>(ReadOnlySpan<double> values)
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = FromDouble<T>(values[i]);
        }
        return result;
    }

    /// <summary>Values rounded to T (so that a double reference sees exactly what a float layer sees).</summary>
    public static double[] RoundTo<T>(double[] values) => ToDoubles<T>(FromDoubles<T>(values));
}
