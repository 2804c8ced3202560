using System;
using BnGen;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// One benchmark shape: layout, dimensions and the generated layer that normalizes it. <see cref="Height"/> and
/// <see cref="Width"/> are 1 for NC.
/// </summary>
public sealed record Shape(string Name, BatchNormLayout Layout, int Batch, int Features, int Height, int Width, Type Layer)
{
    /// <summary>The float shapes of docs/benchmarks.md, in its order. Adding a shape is one line here.</summary>
    public static readonly Shape[] All =
    {
        Nc(32, 64, typeof(Nc64Float)),
        Nc(256, 1024, typeof(Nc1024Float)),
        Nc(8, 17, typeof(Nc17Float)),
        Nchw(8, 64, 28, 28, typeof(Nchw64Float)),
        Nchw(32, 64, 56, 56, typeof(Nchw64Float)),
        Nchw(4, 256, 14, 14, typeof(Nchw256Float)),
        Nchw(64, 16, 8, 8, typeof(Nchw16Float)),
        Nchw(1, 3, 224, 224, typeof(Nchw3Float)),
        Nhwc(8, 28, 28, 64, typeof(Nhwc64Float)),
        Nhwc(32, 56, 56, 64, typeof(Nhwc64Float)),
    };

    public static Shape Nc(int batch, int features, Type layer)
        => new($"NC {batch}x{features} f32", BatchNormLayout.NC, batch, features, 1, 1, layer);

    public static Shape Nchw(int batch, int features, int height, int width, Type layer)
        => new($"NCHW {batch}x{features}x{height}x{width} f32", BatchNormLayout.NCHW, batch, features, height, width, layer);

    public static Shape Nhwc(int batch, int height, int width, int features, Type layer)
        => new($"NHWC {batch}x{height}x{width}x{features} f32", BatchNormLayout.NHWC, batch, features, height, width, layer);

    /// <summary>Elements of the tensor: batch · features · height · width.</summary>
    public int Count => checked(Batch * Features * Height * Width);

    /// <summary>Values each channel's statistics run over: batch · height · width.</summary>
    public int PerChannel => Batch * Height * Width;

    /// <summary>The name without the element type, for the chart's axis.</summary>
    public string ShortName => Name.EndsWith(" f32", StringComparison.Ordinal) ? Name[..^4] : Name;

    /// <summary>Index of element (n, c, s) in memory, s = h · width + w: channel runs for NC/NCHW, interleaved channels for NHWC.</summary>
    public int Index(int n, int c, int s) => Layout == BatchNormLayout.NHWC
        ? (n * Height * Width + s) * Features + c
        : (n * Features + c) * Height * Width + s;
}
