using System;

namespace BnGen.Tests.Layouts;

/// <summary>
/// One layer configuration generated four times, as an NCHW, an NHWC, an NCL and an NC layer (<see cref="Families"/>),
/// with the static kernels of each where the configuration declares them (Affine and TrackRunningStats).
/// </summary>
public sealed record Family<T>(string Name, Func<object> Nchw, Func<object> Nhwc, Func<object> Ncl, Func<object> Nc,
    IKernelSet<T>? StaticNchw = null, IKernelSet<T>? StaticNhwc = null, IKernelSet<T>? StaticNcl = null, IKernelSet<T>? StaticNc = null)
    where T : unmanaged
{
    /// <summary>The options shared by the three layers (the layout is the NCHW one's).</summary>
    public LayerOptions Options => LayerOptions.Of(Nchw().GetType());

    public TestLayer<T> Layer(BatchNormLayout layout) => new(layout switch
    {
        BatchNormLayout.NCHW => Nchw(),
        BatchNormLayout.NHWC => Nhwc(),
        BatchNormLayout.NCL => Ncl(),
        BatchNormLayout.NC => Nc(),
        _ => throw new ArgumentOutOfRangeException(nameof(layout)),
    });

    public IKernelSet<T>? Static(BatchNormLayout layout) => layout switch
    {
        BatchNormLayout.NCHW => StaticNchw,
        BatchNormLayout.NHWC => StaticNhwc,
        BatchNormLayout.NCL => StaticNcl,
        BatchNormLayout.NC => StaticNc,
        _ => null,
    };

    public override string ToString() => $"family {Name}: {Options}";
}
