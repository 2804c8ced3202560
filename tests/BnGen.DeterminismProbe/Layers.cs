using System;
using System.Collections.Generic;
using System.Reflection;

namespace BnGen.DeterminismProbe;

// The layers the probe runs. Each of NC/NCHW × float/double has all five feature counts (1, 3, 17, 37, 300) and all
// four combinations of Affine and TrackRunningStats; ε and momentum vary, one layer per group keeps a cumulative average.
//
// To add a layer: declare it here with its attribute and the interfaces of its API (an instance interface, IAffineInstance
// and ITrackedInstance as its options give it, and the static-kernel interface of its shape), then add one line to
// ProbeLayers.All. An NHWC layer implements INchwInstance<T> (same dimensions); an NCL layer needs an instance interface
// with (batch, length), which RunInstance maps to height 1, width = length; a ReLU layer's static backward kernels take
// the bias after the weight: give its shape an interface and adapter in Kernels.cs. The operations and hashes need no
// change: they read the layout and options from the attribute.

[BatchNormLayer(1)]
public partial class NcF1Float : INcInstance<float>, IAffineInstance<float>, ITrackedInstance<float>, INcAffineTracked<float> { }

[BatchNormLayer(3, Affine = false, Momentum = 0.3)]
public partial class NcF3Float : INcInstance<float>, ITrackedInstance<float>, INcTracked<float> { }

[BatchNormLayer(17, TrackRunningStats = false, Epsilon = 1e-3)]
public partial class NcF17Float : INcInstance<float>, IAffineInstance<float>, INcAffine<float> { }

[BatchNormLayer(37, Affine = false, TrackRunningStats = false)]
public partial class NcF37Float : INcInstance<float>, INcPlain<float> { }

[BatchNormLayer(300, CumulativeAverage = true)]
public partial class NcF300Float : INcInstance<float>, IAffineInstance<float>, ITrackedInstance<float>, INcAffineTracked<float> { }

[BatchNormLayer(1, ElementType = typeof(double))]
public partial class NcF1Double : INcInstance<double>, IAffineInstance<double>, ITrackedInstance<double>, INcAffineTracked<double> { }

[BatchNormLayer(3, ElementType = typeof(double), Affine = false, CumulativeAverage = true)]
public partial class NcF3Double : INcInstance<double>, ITrackedInstance<double>, INcTracked<double> { }

[BatchNormLayer(17, ElementType = typeof(double), TrackRunningStats = false)]
public partial class NcF17Double : INcInstance<double>, IAffineInstance<double>, INcAffine<double> { }

[BatchNormLayer(37, ElementType = typeof(double), Affine = false, TrackRunningStats = false, Epsilon = 0.1)]
public partial class NcF37Double : INcInstance<double>, INcPlain<double> { }

[BatchNormLayer(300, ElementType = typeof(double), Momentum = 0.05)]
public partial class NcF300Double : INcInstance<double>, IAffineInstance<double>, ITrackedInstance<double>, INcAffineTracked<double> { }

[BatchNormLayer(1, BatchNormLayout.NCHW, Affine = false, TrackRunningStats = false)]
public partial class NchwF1Float : INchwInstance<float>, INchwPlain<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW)]
public partial class NchwF3Float : INchwInstance<float>, IAffineInstance<float>, ITrackedInstance<float>, INchwAffineTracked<float> { }

[BatchNormLayer(17, BatchNormLayout.NCHW, Affine = false, CumulativeAverage = true)]
public partial class NchwF17Float : INchwInstance<float>, ITrackedInstance<float>, INchwTracked<float> { }

[BatchNormLayer(37, BatchNormLayout.NCHW, TrackRunningStats = false, Epsilon = 1e-3)]
public partial class NchwF37Float : INchwInstance<float>, IAffineInstance<float>, INchwAffine<float> { }

[BatchNormLayer(300, BatchNormLayout.NCHW)]
public partial class NchwF300Float : INchwInstance<float>, IAffineInstance<float>, ITrackedInstance<float>, INchwAffineTracked<float> { }

[BatchNormLayer(1, BatchNormLayout.NCHW, ElementType = typeof(double), TrackRunningStats = false)]
public partial class NchwF1Double : INchwInstance<double>, IAffineInstance<double>, INchwAffine<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false, TrackRunningStats = false)]
public partial class NchwF3Double : INchwInstance<double>, INchwPlain<double> { }

[BatchNormLayer(17, BatchNormLayout.NCHW, ElementType = typeof(double), CumulativeAverage = true)]
public partial class NchwF17Double : INchwInstance<double>, IAffineInstance<double>, ITrackedInstance<double>, INchwAffineTracked<double> { }

[BatchNormLayer(37, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false, Epsilon = 1e-3)]
public partial class NchwF37Double : INchwInstance<double>, ITrackedInstance<double>, INchwTracked<double> { }

[BatchNormLayer(300, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class NchwF300Double : INchwInstance<double>, IAffineInstance<double>, ITrackedInstance<double>, INchwAffineTracked<double> { }

/// <summary>A layer to run: its class (whose attribute gives layout and options), a factory, and its static kernels.</summary>
public sealed record ProbeLayer(Type Type, Func<object> Create, object StaticKernels)
{
    public BatchNormLayerAttribute Attribute { get; } = Type.GetCustomAttribute<BatchNormLayerAttribute>()
        ?? throw new InvalidOperationException($"{Type.Name} has no [BatchNormLayer]");

    public string Name => Type.Name;

    public bool IsDouble => Attribute.ElementType == typeof(double);
}

public static class ProbeLayers
{
    public static readonly IReadOnlyList<ProbeLayer> All = new[]
    {
        Layer<NcF1Float>(new NcAffineTracked<NcF1Float, float>()),
        Layer<NcF3Float>(new NcTracked<NcF3Float, float>()),
        Layer<NcF17Float>(new NcAffine<NcF17Float, float>()),
        Layer<NcF37Float>(new NcPlain<NcF37Float, float>()),
        Layer<NcF300Float>(new NcAffineTracked<NcF300Float, float>()),
        Layer<NcF1Double>(new NcAffineTracked<NcF1Double, double>()),
        Layer<NcF3Double>(new NcTracked<NcF3Double, double>()),
        Layer<NcF17Double>(new NcAffine<NcF17Double, double>()),
        Layer<NcF37Double>(new NcPlain<NcF37Double, double>()),
        Layer<NcF300Double>(new NcAffineTracked<NcF300Double, double>()),
        Layer<NchwF1Float>(new NchwPlain<NchwF1Float, float>()),
        Layer<NchwF3Float>(new NchwAffineTracked<NchwF3Float, float>()),
        Layer<NchwF17Float>(new NchwTracked<NchwF17Float, float>()),
        Layer<NchwF37Float>(new NchwAffine<NchwF37Float, float>()),
        Layer<NchwF300Float>(new NchwAffineTracked<NchwF300Float, float>()),
        Layer<NchwF1Double>(new NchwAffine<NchwF1Double, double>()),
        Layer<NchwF3Double>(new NchwPlain<NchwF3Double, double>()),
        Layer<NchwF17Double>(new NchwAffineTracked<NchwF17Double, double>()),
        Layer<NchwF37Double>(new NchwTracked<NchwF37Double, double>()),
        Layer<NchwF300Double>(new NchwAffineTracked<NchwF300Double, double>()),
    };

    private static ProbeLayer Layer<TLayer>(object staticKernels)
        where TLayer : new()
        => new(typeof(TLayer), static () => new TLayer(), staticKernels);
}
