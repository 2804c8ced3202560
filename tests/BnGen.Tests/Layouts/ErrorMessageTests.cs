using System;
using Xunit;

namespace BnGen.Tests.Layouts;

/// <summary>
/// Errors speak the layout's language: shapes in its own dimension order (<c>[batch, height, width, channels]</c> for
/// NHWC, <c>[batch, channels, length]</c> for NCL, against NCHW's <c>[batch, channels, height, width]</c>) and its own
/// dimension names (<c>length</c>); the generated instance and static kernels and <see cref="BatchNormKernels"/> alike. Every
/// rejected call leaves the output and the layer's state as they were.
/// </summary>
public class ErrorMessageTests
{
    private const int F = FamilyANchw.Features;

    [Fact]
    public void Nhwc_lengths_are_described_as_batch_height_width_channels()
    {
        var layer = new FamilyANhwc();
        float[] output = Data.Filled<float>(120, double.NaN);
        var e = Rejected<ArgumentException>(layer, output, () => layer.Forward(new float[119], output, 2, 3, 4));
        Assert.Equal("input", e.ParamName);
        Assert.StartsWith("'input' must hold exactly 120 values for shape [2, 3, 4, 5], but it holds 119.", e.Message);

        e = Rejected<ArgumentException>(layer, output, () => FamilyANhwc.ForwardTraining(new float[120], new float[121], 2, 3, 4, new float[F], new float[F],
            new double[F], new double[F], new float[F], new float[F], 0.1));
        Assert.Equal("output", e.ParamName);
        Assert.StartsWith("'output' must hold exactly 120 values for shape [2, 3, 4, 5], but it holds 121.", e.Message);

        // The same shape in NCHW, for contrast: channels second.
        var nchw = new FamilyANchw();
        e = Assert.Throws<ArgumentException>(() => nchw.Forward(new float[119], new float[120], 2, 3, 4));
        Assert.StartsWith("'input' must hold exactly 120 values for shape [2, 5, 3, 4], but it holds 119.", e.Message);
    }

    [Fact]
    public void Ncl_lengths_are_described_as_batch_channels_length()
    {
        var layer = new FamilyANcl();
        float[] output = Data.Filled<float>(70, double.NaN);
        var e = Rejected<ArgumentException>(layer, output, () => layer.Forward(new float[69], output, 2, 7));
        Assert.Equal("input", e.ParamName);
        Assert.StartsWith("'input' must hold exactly 70 values for shape [2, 5, 7], but it holds 69.", e.Message);

        e = Rejected<ArgumentException>(layer, output, () => FamilyANcl.ForwardInference(new float[70], new float[69], 2, 7, new float[F], new float[F],
            new float[F], new float[F], 1));
        Assert.Equal("output", e.ParamName);
        Assert.StartsWith("'output' must hold exactly 70 values for shape [2, 5, 7], but it holds 69.", e.Message);
    }

    [Fact]
    public void Ncl_names_its_dimension_length()
    {
        var layer = new FamilyANcl();
        float[] output = Data.Filled<float>(10, double.NaN);
        var e = Rejected<ArgumentOutOfRangeException>(layer, output, () => layer.Forward(new float[10], output, 2, 0));
        Assert.Equal("length", e.ParamName);
        Assert.StartsWith("'length' must be positive, but was 0.", e.Message);
        e = Rejected<ArgumentOutOfRangeException>(layer, output, () => layer.Backward(new float[10], new float[10], output, 2, -3));
        Assert.Equal("length", e.ParamName);
        e = Rejected<ArgumentOutOfRangeException>(layer, output, () => FamilyANcl.BackwardTraining(new float[10], new float[10], output, 1, 0,
            new float[F], new double[F], new double[F], new float[F], new float[F]));
        Assert.Equal("length", e.ParamName);
        e = Rejected<ArgumentOutOfRangeException>(layer, output, () => layer.Forward(new float[10], output, 0, 2));
        Assert.Equal("batch", e.ParamName);
    }

    [Fact]
    public void Nhwc_names_height_and_width()
    {
        var layer = new FamilyANhwc();
        float[] output = Data.Filled<float>(10, double.NaN);
        Assert.Equal("height", Rejected<ArgumentOutOfRangeException>(layer, output, () => layer.Forward(new float[10], output, 2, 0, 1)).ParamName);
        Assert.Equal("width", Rejected<ArgumentOutOfRangeException>(layer, output, () => layer.Forward(new float[10], output, 2, 1, -1)).ParamName);
    }

    [Fact]
    public void Backward_shape_mismatch_is_described_in_the_layout_order()
    {
        var nhwc = new FamilyANhwc();
        nhwc.Forward(new float[120], new float[120], 2, 3, 4);
        var e = Assert.Throws<InvalidOperationException>(() => nhwc.Backward(new float[120], new float[120], new float[120], 2, 4, 3));
        Assert.Equal("FamilyANhwc.Backward was called with shape [2, 4, 3, 5], but the most recent Forward had shape [2, 3, 4, 5]: "
            + "pass the same input (and shape) to Backward.", e.Message);

        var ncl = new FamilyANcl();
        ncl.Forward(new float[70], new float[70], 2, 7);
        e = Assert.Throws<InvalidOperationException>(() => ncl.Backward(new float[70], new float[70], new float[70], 7, 2));
        Assert.Equal("FamilyANcl.Backward was called with shape [7, 5, 2], but the most recent Forward had shape [2, 5, 7]: "
            + "pass the same input (and shape) to Backward.", e.Message);
    }

    [Fact]
    public void One_value_per_channel_is_described_in_the_layout_order()
    {
        var nhwc = new FamilyANhwc();
        float[] output = Data.Filled<float>(F, double.NaN);
        var e = Rejected<ArgumentException>(nhwc, output, () => nhwc.Forward(new float[F], output, 1, 1, 1));
        Assert.Contains("got input of shape [1, 1, 1, 5].", e.Message);

        var ncl = new FamilyANcl();
        e = Rejected<ArgumentException>(ncl, output, () => ncl.Forward(new float[F], output, 1, 1));
        Assert.Contains("got input of shape [1, 5, 1].", e.Message);
    }

    [Fact]
    public void BatchNormKernels_describe_NHWC_and_NCL_in_their_order()
    {
        float[] output = Data.Filled<float>(70, double.NaN);
        var e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardInference(new float[69], output, F, BatchNormLayout.NCL, 2, 1, 7,
            default, default, 1e-5, new float[F], new float[F]));
        Assert.StartsWith("'input' must hold exactly 70 values for shape [2, 5, 7], but it holds 69.", e.Message);

        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardInference(new float[70], output, F, BatchNormLayout.NCL, 2, 7, 1,
            default, default, 1e-5, new float[F], new float[F]));
        Assert.Equal("height", e.ParamName);
        Assert.StartsWith("Layout NCL is [batch, channels, length]: pass height 1 and the length as width, but height was 7.", e.Message);

        e = Assert.Throws<ArgumentException>(() => BatchNormKernels.ForwardInference(new float[69], output, F, BatchNormLayout.NHWC, 2, 7, 1,
            default, default, 1e-5, new float[F], new float[F]));
        Assert.StartsWith("'input' must hold exactly 70 values for shape [2, 7, 1, 5], but it holds 69.", e.Message);
        Assert.All(output, v => Assert.True(float.IsNaN(v)));
    }

    /// <summary>The call throws <typeparamref name="TException"/> (exactly) and changes neither the output nor the layer.</summary>
    private static TException Rejected<TException>(object layer, float[] output, Action call)
        where TException : Exception
    {
        var before = new TestLayer<float>(layer);
        float[] mean = (float[])before.RunningMean!.Clone(), variance = (float[])before.RunningVar!.Clone();
        long count = before.NumBatchesTracked!.Value;
        float[] outputBefore = (float[])output.Clone();
        TException e = Assert.Throws<TException>(call);
        Bits.Equal("output", outputBefore, output);
        Bits.Equal("running mean", mean, before.RunningMean);
        Bits.Equal("running var", variance, before.RunningVar);
        Assert.Equal(count, before.NumBatchesTracked);
        return e;
    }
}
