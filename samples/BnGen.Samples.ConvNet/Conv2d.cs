using System;
using BnGen.Samples.Training;

namespace BnGen.Samples.ConvNet;

/// <summary>
/// A valid (no padding, stride 1) 2-D convolution on NCHW spans, as im2col + dot products: each output position's
/// receptive field is copied into a row of InChannels·K·K values, and each output channel is a dot product with it.
/// </summary>
internal sealed class Conv2d
{
    private readonly float[] _columns;     // [OutHeight·OutWidth, Patch] for one image
    private readonly float[] _gradColumns; // same shape, for the backward pass

    public Conv2d(int inChannels, int outChannels, int kernel, int inHeight, int inWidth, Random rng)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        InHeight = inHeight;
        InWidth = inWidth;
        OutHeight = inHeight - kernel + 1;
        OutWidth = inWidth - kernel + 1;
        Patch = inChannels * kernel * kernel;
        Weight = new float[outChannels * Patch];
        Bias = new float[outChannels];
        WeightGrad = new float[Weight.Length];
        BiasGrad = new float[outChannels];
        _columns = new float[OutHeight * OutWidth * Patch];
        _gradColumns = new float[_columns.Length];
        Initialization.HeNormal(Weight, Patch, rng);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int InHeight { get; }
    public int InWidth { get; }
    public int OutHeight { get; }
    public int OutWidth { get; }
    public int Patch { get; }
    public int InputSize => InChannels * InHeight * InWidth;
    public int OutputSize => OutChannels * OutHeight * OutWidth;
    /// <summary>Row-major [OutChannels, InChannels, K, K].</summary>
    public float[] Weight { get; }
    public float[] Bias { get; }
    public float[] WeightGrad { get; }
    public float[] BiasGrad { get; }

    /// <summary>A copy with the same shape, weights and bias (gradients zero).</summary>
    public Conv2d Clone()
    {
        var copy = new Conv2d(InChannels, OutChannels, Kernel, InHeight, InWidth, new Random(0));
        Weight.CopyTo(copy.Weight, 0);
        Bias.CopyTo(copy.Bias, 0);
        return copy;
    }

    /// <summary>y = conv(x) + bias; with <paramref name="relu"/>, max(0, ·) as each output is written (a folded network).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch, bool relu = false)
    {
        int positions = OutHeight * OutWidth;
        for (int n = 0; n < batch; n++)
        {
            Im2Col(x.Slice(n * InputSize, InputSize));
            Span<float> image = y.Slice(n * OutputSize, OutputSize);
            for (int o = 0; o < OutChannels; o++)
            {
                ReadOnlySpan<float> w = Weight.AsSpan(o * Patch, Patch);
                Span<float> plane = image.Slice(o * positions, positions);
                for (int p = 0; p < positions; p++)
                    plane[p] = Blas.Dot(_columns.AsSpan(p * Patch, Patch), w) + Bias[o];
                if (relu) Blas.Relu(plane); // the plane is still in cache
            }
        }
    }

    /// <summary>Overwrites WeightGrad and BiasGrad; writes dx unless it is empty.</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        Array.Clear(WeightGrad);
        Array.Clear(BiasGrad);
        int positions = OutHeight * OutWidth;
        for (int n = 0; n < batch; n++)
        {
            Im2Col(x.Slice(n * InputSize, InputSize));
            if (!dx.IsEmpty) Array.Clear(_gradColumns);
            ReadOnlySpan<float> image = dy.Slice(n * OutputSize, OutputSize);
            for (int o = 0; o < OutChannels; o++)
            {
                Span<float> gradW = WeightGrad.AsSpan(o * Patch, Patch);
                ReadOnlySpan<float> w = Weight.AsSpan(o * Patch, Patch);
                for (int p = 0; p < positions; p++)
                {
                    float g = image[o * positions + p];
                    if (g == 0f) continue; // ReLU and max-pool leave many exact zeros
                    BiasGrad[o] += g;
                    Blas.Axpy(g, _columns.AsSpan(p * Patch, Patch), gradW);
                    if (!dx.IsEmpty) Blas.Axpy(g, w, _gradColumns.AsSpan(p * Patch, Patch));
                }
            }
            if (!dx.IsEmpty) Col2Im(dx.Slice(n * InputSize, InputSize));
        }
    }

    // Row p = (oy, ox) of the column matrix holds x[c, oy + ky, ox + kx] for c, ky, kx in weight order.
    private void Im2Col(ReadOnlySpan<float> image)
    {
        int row = 0;
        for (int oy = 0; oy < OutHeight; oy++)
        {
            for (int ox = 0; ox < OutWidth; ox++, row += Patch)
            {
                int k = row;
                for (int c = 0; c < InChannels; c++)
                {
                    for (int ky = 0; ky < Kernel; ky++)
                    {
                        image.Slice((c * InHeight + oy + ky) * InWidth + ox, Kernel).CopyTo(_columns.AsSpan(k, Kernel));
                        k += Kernel;
                    }
                }
            }
        }
    }

    // The adjoint of Im2Col: every column entry's gradient is added back to the pixel it was copied from.
    private void Col2Im(Span<float> gradImage)
    {
        gradImage.Clear();
        int row = 0;
        for (int oy = 0; oy < OutHeight; oy++)
        {
            for (int ox = 0; ox < OutWidth; ox++, row += Patch)
            {
                int k = row;
                for (int c = 0; c < InChannels; c++)
                {
                    for (int ky = 0; ky < Kernel; ky++)
                    {
                        Span<float> target = gradImage.Slice((c * InHeight + oy + ky) * InWidth + ox, Kernel);
                        ReadOnlySpan<float> source = _gradColumns.AsSpan(k, Kernel);
                        for (int kx = 0; kx < Kernel; kx++) target[kx] += source[kx];
                        k += Kernel;
                    }
                }
            }
        }
    }
}

/// <summary>2x2 max pooling with stride 2 on NCHW spans; remembers where each maximum came from.</summary>
internal sealed class MaxPool2x2
{
    private readonly int[] _argMax;

    public MaxPool2x2(int channels, int height, int width, int maxBatch)
    {
        Channels = channels;
        Height = height;
        Width = width;
        _argMax = new int[maxBatch * OutputSize];
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int OutputSize => Channels * (Height / 2) * (Width / 2);

    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch)
    {
        int outH = Height / 2, outW = Width / 2, o = 0;
        for (int plane = 0; plane < batch * Channels; plane++)
        {
            int baseIndex = plane * Height * Width;
            for (int oy = 0; oy < outH; oy++)
            {
                for (int ox = 0; ox < outW; ox++, o++)
                {
                    int topLeft = baseIndex + 2 * oy * Width + 2 * ox, best = topLeft;
                    if (x[topLeft + 1] > x[best]) best = topLeft + 1;
                    if (x[topLeft + Width] > x[best]) best = topLeft + Width;
                    if (x[topLeft + Width + 1] > x[best]) best = topLeft + Width + 1;
                    y[o] = x[best];
                    _argMax[o] = best;
                }
            }
        }
    }

    /// <summary>Routes each output gradient to the input that was the maximum; everything else gets zero.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        dx.Slice(0, batch * Channels * Height * Width).Clear();
        for (int o = 0; o < batch * OutputSize; o++) dx[_argMax[o]] += dy[o];
    }
}
