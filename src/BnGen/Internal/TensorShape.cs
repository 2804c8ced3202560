using System.ComponentModel;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// The run-time dimensions of one call, validated: batch and, by layout, height and width (NCHW, NHWC) or length (NCL,
/// kept as width with height 1). Generated layers create it with the factory of their layout, which checks every
/// dimension (in argument order) and names the argument at fault.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct TensorShape
{
    private TensorShape(BatchNormLayout layout, int batch, int height, int width)
    {
        Layout = layout;
        Batch = batch;
        Height = height;
        Width = width;
    }

    /// <summary>The memory layout.</summary>
    public BatchNormLayout Layout { get; }

    /// <summary>Batch size N.</summary>
    public int Batch { get; }

    /// <summary>Height H (NCHW, NHWC); 1 otherwise.</summary>
    public int Height { get; }

    /// <summary>Width W (NCHW, NHWC) or length L (NCL); 1 for NC.</summary>
    public int Width { get; }

    /// <summary><c>[batch, features]</c>.</summary>
    public static TensorShape NC(int batch)
    {
        CheckPositive(batch, nameof(batch));
        return new TensorShape(BatchNormLayout.NC, batch, 1, 1);
    }

    /// <summary><c>[batch, channels, height, width]</c>.</summary>
    public static TensorShape NCHW(int batch, int height, int width)
    {
        CheckPositive(batch, nameof(batch));
        CheckPositive(height, nameof(height));
        CheckPositive(width, nameof(width));
        return new TensorShape(BatchNormLayout.NCHW, batch, height, width);
    }

    /// <summary><c>[batch, height, width, channels]</c>.</summary>
    public static TensorShape NHWC(int batch, int height, int width)
    {
        CheckPositive(batch, nameof(batch));
        CheckPositive(height, nameof(height));
        CheckPositive(width, nameof(width));
        return new TensorShape(BatchNormLayout.NHWC, batch, height, width);
    }

    /// <summary><c>[batch, channels, length]</c>.</summary>
    public static TensorShape NCL(int batch, int length)
    {
        CheckPositive(batch, nameof(batch));
        CheckPositive(length, nameof(length));
        return new TensorShape(BatchNormLayout.NCL, batch, 1, length);
    }

    /// <summary>The runtime-shaped kernels' form: <paramref name="features"/>, layout, batch, height, width, in that order.</summary>
    internal static TensorShape Runtime(int features, BatchNormLayout layout, int batch, int height, int width)
    {
        CheckPositive(features, nameof(features));
        if (layout is not (BatchNormLayout.NC or BatchNormLayout.NCHW or BatchNormLayout.NHWC or BatchNormLayout.NCL))
        {
            ThrowHelper.UndefinedLayout(layout);
        }
        CheckPositive(batch, nameof(batch));
        CheckPositive(height, nameof(height));
        CheckPositive(width, nameof(width));
        if (layout == BatchNormLayout.NC && (height != 1 || width != 1))
        {
            ThrowHelper.SpatialNotOneForNC(height, width);
        }
        if (layout == BatchNormLayout.NCL && height != 1)
        {
            ThrowHelper.HeightNotOneForNCL(height);
        }
        return new TensorShape(layout, batch, height, width);
    }

    /// <summary>Values per channel over which batch statistics run: n = batch · height · width.</summary>
    public long PerChannel => (long)Batch * Height * Width;

    /// <summary>Values of one (sample, channel) plane (NCHW, NCL): height · width.</summary>
    internal long Plane => (long)Height * Width;

    /// <summary>
    /// Whether the tensor is rows of <c>features</c> values: NC and NHWC, and NCHW or NCL whose planes hold one value (the
    /// same memory as NC). Such tensors run the row passes; the others the channel passes over runs of a plane.
    /// </summary>
    internal bool RowMajor => Layout is BatchNormLayout.NC or BatchNormLayout.NHWC || Plane == 1;

    /// <summary>Values in the tensor, batch · features · height · width, saturating instead of wrapping around.</summary>
    internal long Count(int features)
    {
        long count = (long)features * Batch;
        count = count > long.MaxValue / Height ? long.MaxValue : count * Height;
        return count > long.MaxValue / Width ? long.MaxValue : count * Width;
    }

    /// <summary>The same dimensions (the layout is the caller's, fixed).</summary>
    internal bool SameAs(TensorShape other)
        => Batch == other.Batch && Height == other.Height && Width == other.Width;

    /// <summary>The shape as messages show it, in the layout's dimension order.</summary>
    internal string Describe(int features) => Layout switch
    {
        BatchNormLayout.NC => string.Create(CultureInfo.InvariantCulture, $"[{Batch}, {features}]"),
        BatchNormLayout.NHWC => string.Create(CultureInfo.InvariantCulture, $"[{Batch}, {Height}, {Width}, {features}]"),
        BatchNormLayout.NCL => string.Create(CultureInfo.InvariantCulture, $"[{Batch}, {features}, {Width}]"),
        _ => string.Create(CultureInfo.InvariantCulture, $"[{Batch}, {features}, {Height}, {Width}]"),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckPositive(int value, string name)
    {
        if (value <= 0)
        {
            ThrowHelper.DimensionNotPositive(name, value);
        }
    }
}
