using System;
using System.Collections.Generic;

namespace BnGen.Tests.Kernels;

// One generated layer per golden file, declared with exactly that file's configuration.

[BatchNormLayer(6, Epsilon = 1e-3, Momentum = 0.2)]
public partial class GoldenNc10x6Steps : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNcAffineTracked<float> { }

[BatchNormLayer(4)]
public partial class GoldenNc2x4Batch2 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNcAffineTracked<float> { }

[BatchNormLayer(3)]
public partial class GoldenNc4x3 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNcAffineTracked<float> { }

[BatchNormLayer(7, Affine = false)]
public partial class GoldenNc5x7NoAffine : INcLayer<float>, ITrackedLayer<float>, IStaticNcTracked<float> { }

[BatchNormLayer(5, ElementType = typeof(double))]
public partial class GoldenNc6x5F64 : INcLayer<double>, IAffineLayer<double>, ITrackedLayer<double>, IStaticNcAffineTracked<double> { }

[BatchNormLayer(64)]
public partial class GoldenNc8x64 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNcAffineTracked<float> { }

[BatchNormLayer(2, BatchNormLayout.NCHW)]
public partial class GoldenNchw1x2x3x3 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNchwAffineTracked<float> { }

[BatchNormLayer(3, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class GoldenNchw2x3x4x4F64 : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double>, IStaticNchwAffineTracked<double> { }

[BatchNormLayer(3, BatchNormLayout.NCHW)]
public partial class GoldenNchw2x3x4x5 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNchwAffineTracked<float> { }

[BatchNormLayer(5, BatchNormLayout.NCHW)]
public partial class GoldenNchw2x5x3x3 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNchwAffineTracked<float> { }

[BatchNormLayer(4, BatchNormLayout.NCHW, TrackRunningStats = false)]
public partial class GoldenNchw3x4x3x3NoStats : INchwLayer<float>, IAffineLayer<float>, IStaticNchwAffine<float> { }

[BatchNormLayer(16, BatchNormLayout.NCHW)]
public partial class GoldenNchw4x16x7x7 : INchwLayer<float>, IAffineLayer<float>, ITrackedLayer<float>, IStaticNchwAffineTracked<float> { }

/// <summary>Which generated layer (and which of its static kernels) belongs to which golden file.</summary>
public static class GoldenLayers
{
    /// <summary>File name (without .json) → a new instance, and its static kernels as <see cref="IKernels{T}"/>.</summary>
    public static readonly IReadOnlyDictionary<string, (Func<object> Create, object StaticKernels)> ByFile =
        new Dictionary<string, (Func<object>, object)>
        {
            ["nc_10x6_f32_three_steps_eps1e-3_momentum0.2"] = (() => new GoldenNc10x6Steps(), new StaticNcAffineTracked<GoldenNc10x6Steps, float>()),
            ["nc_2x4_f32_batch2"] = (() => new GoldenNc2x4Batch2(), new StaticNcAffineTracked<GoldenNc2x4Batch2, float>()),
            ["nc_4x3_f32"] = (() => new GoldenNc4x3(), new StaticNcAffineTracked<GoldenNc4x3, float>()),
            ["nc_5x7_f32_no_affine"] = (() => new GoldenNc5x7NoAffine(), new StaticNcTracked<GoldenNc5x7NoAffine, float>()),
            ["nc_6x5_f64"] = (() => new GoldenNc6x5F64(), new StaticNcAffineTracked<GoldenNc6x5F64, double>()),
            ["nc_8x64_f32"] = (() => new GoldenNc8x64(), new StaticNcAffineTracked<GoldenNc8x64, float>()),
            ["nchw_1x2x3x3_f32_batch1"] = (() => new GoldenNchw1x2x3x3(), new StaticNchwAffineTracked<GoldenNchw1x2x3x3, float>()),
            ["nchw_2x3x4x4_f64_offset_mean"] = (() => new GoldenNchw2x3x4x4F64(), new StaticNchwAffineTracked<GoldenNchw2x3x4x4F64, double>()),
            ["nchw_2x3x4x5_f32"] = (() => new GoldenNchw2x3x4x5(), new StaticNchwAffineTracked<GoldenNchw2x3x4x5, float>()),
            ["nchw_2x5x3x3_f32_eval_backward"] = (() => new GoldenNchw2x5x3x3(), new StaticNchwAffineTracked<GoldenNchw2x5x3x3, float>()),
            ["nchw_3x4x3x3_f32_no_running_stats"] = (() => new GoldenNchw3x4x3x3NoStats(), new StaticNchwAffine<GoldenNchw3x4x3x3NoStats, float>()),
            ["nchw_4x16x7x7_f32"] = (() => new GoldenNchw4x16x7x7(), new StaticNchwAffineTracked<GoldenNchw4x16x7x7, float>()),
        };
}
