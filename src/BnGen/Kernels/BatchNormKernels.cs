using System;
using System.Globalization;
using BnGen.Internal;

namespace BnGen;

/// <summary>
/// Batch normalization with the shape given at run time (features, layout, batch, height, width): the same operations
/// and PyTorch semantics as the generated layers, for shapes known only at run time. Generated layers are specialized
/// versions of these kernels; both are tested against each other and against PyTorch's reference vectors.
/// </summary>
/// <remarks>
/// <para>
/// Every method checks all of its arguments before it writes anything: a rejected call leaves every span it was given
/// unchanged. Dimensions that are not positive and an undefined layout give <see cref="ArgumentOutOfRangeException"/>;
/// a span of the wrong length gives <see cref="ArgumentException"/> naming the expected length; batch statistics over a
/// single value per channel give <see cref="ArgumentException"/>, as PyTorch's "Expected more than 1 value per channel
/// when training".
/// </para>
/// <para>
/// Statistics are computed in double with two passes (the mean, then Σ (x − mean)²), so data whose mean is many orders of
/// magnitude above its standard deviation keeps its variance in float32. Normalizing is y = x · scale + shift with
/// per-channel scale = γ · invStd and shift = β − mean · scale, by fused multiply-add where the hardware has it.
/// The <see cref="BatchNormLayout.NC"/> layout (and any shape whose plane is 1 × 1) is walked row by row with per-feature
/// accumulators; <see cref="BatchNormLayout.NCHW"/> is walked channel by channel over contiguous planes.
/// No method allocates on the heap.
/// </para>
/// </remarks>
public static partial class BatchNormKernels
{
    /// <summary>
    /// Features per block in the row-wise (NC) passes: their per-feature coefficients live on the stack, so a block is
    /// at most 3 · 512 elements plus 2 · 512 doubles (20 KiB for double).
    /// </summary>
    private const int Block = 512;

    /// <summary>A shape whose dimensions have been checked, and the checks of the spans that go with it.</summary>
    private readonly struct Shape
    {
        private Shape(int features, BatchNormLayout layout, int batch, int height, int width)
        {
            Features = features;
            Layout = layout;
            Batch = batch;
            Height = height;
            Width = width;
            // Saturating: a product beyond any span length must not wrap around to one that matches.
            long count = (long)features * batch;
            count = count > long.MaxValue / height ? long.MaxValue : count * height;
            Count = count > long.MaxValue / width ? long.MaxValue : count * width;
        }

        public int Features { get; }

        public BatchNormLayout Layout { get; }

        public int Batch { get; }

        public int Height { get; }

        public int Width { get; }

        /// <summary>Number of values in the tensor: batch · features · height · width.</summary>
        public long Count { get; }

        /// <summary>
        /// Values per (sample, channel) run: height · width. Only read after a tensor length has been checked against
        /// <see cref="Count"/>, so that it fits in an <see cref="int"/>.
        /// </summary>
        public int Plane => Height * Width;

        /// <summary>Values per channel, n = batch · height · width, over which batch statistics run.</summary>
        public double PerChannel => (double)Batch * Height * Width;

        /// <summary>Checks the dimensions and the layout, in argument order.</summary>
        public static Shape Validate(int features, BatchNormLayout layout, int batch, int height, int width)
        {
            if (features <= 0)
            {
                ThrowHelper.DimensionNotPositive(nameof(features), features);
            }
            if (layout is not (BatchNormLayout.NC or BatchNormLayout.NCHW))
            {
                ThrowHelper.UndefinedLayout(layout);
            }
            if (batch <= 0)
            {
                ThrowHelper.DimensionNotPositive(nameof(batch), batch);
            }
            if (height <= 0)
            {
                ThrowHelper.DimensionNotPositive(nameof(height), height);
            }
            if (width <= 0)
            {
                ThrowHelper.DimensionNotPositive(nameof(width), width);
            }
            if (layout == BatchNormLayout.NC && (height != 1 || width != 1))
            {
                ThrowHelper.SpatialNotOneForNC(height, width);
            }
            return new Shape(features, layout, batch, height, width);
        }

        /// <summary>A tensor (input, output or gradient) must hold exactly <see cref="Count"/> values.</summary>
        public void CheckTensor(string name, int length)
        {
            if (length != Count)
            {
                ThrowHelper.LengthMismatch(name, Count, length, Describe());
            }
        }

        /// <summary>A per-feature span must hold exactly <see cref="Features"/> values.</summary>
        public void CheckPerFeature(string name, int length)
        {
            if (length != Features)
            {
                ThrowHelper.LengthMismatch(name, Features, length, DescribeFeatures());
            }
        }

        /// <summary>An optional per-feature span is empty (not given) or holds exactly <see cref="Features"/> values.</summary>
        public void CheckOptionalPerFeature(string name, int length)
        {
            if (length != 0 && length != Features)
            {
                ThrowHelper.LengthMismatch(name, Features, length, DescribeFeatures());
            }
        }

        /// <summary>Batch statistics need more than one value per channel, as in PyTorch.</summary>
        public void CheckBatchStatistics()
        {
            if (Batch == 1 && Height == 1 && Width == 1)
            {
                ThrowHelper.SingleValuePerChannel(Describe());
            }
        }

        private string Describe() => Layout == BatchNormLayout.NC
            ? ThrowHelper.ShapeNC(Batch, Features)
            : ThrowHelper.ShapeNCHW(Batch, Features, Height, Width);

        private string DescribeFeatures() => string.Create(CultureInfo.InvariantCulture, $"[{Features}]");
    }

    /// <summary>PyTorch's <c>eps</c> must be a finite positive number.</summary>
    private static void CheckEpsilon(double epsilon)
    {
        if (!(epsilon > 0d && double.IsFinite(epsilon)))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(epsilon), epsilon, "must be finite and positive");
        }
    }

    /// <summary>The weight of a batch statistic in a running average lies in [0, 1].</summary>
    private static void CheckFactor(double exponentialAverageFactor)
    {
        if (!(exponentialAverageFactor >= 0d && exponentialAverageFactor <= 1d))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(exponentialAverageFactor), exponentialAverageFactor, "must be within [0, 1]");
        }
    }
}
