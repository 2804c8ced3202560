using System;

namespace BnGen.Samples.Training;

/// <summary>A fully connected layer y = x·Wᵀ + b on row-major [batch, features] spans.</summary>
internal sealed class Linear
{
    public Linear(int inputs, int outputs, Random rng)
    {
        Inputs = inputs;
        Outputs = outputs;
        Weight = new float[outputs * inputs];
        Bias = new float[outputs];
        WeightGrad = new float[Weight.Length];
        BiasGrad = new float[outputs];
        Initialization.HeNormal(Weight, inputs, rng);
    }

    public int Inputs { get; }
    public int Outputs { get; }
    /// <summary>Row-major [Outputs, Inputs].</summary>
    public float[] Weight { get; }
    public float[] Bias { get; }
    public float[] WeightGrad { get; }
    public float[] BiasGrad { get; }

    /// <summary>A copy with the same shape, weights and bias (gradients zero).</summary>
    public Linear Clone()
    {
        var copy = new Linear(Inputs, Outputs, new Random(0));
        Weight.CopyTo(copy.Weight, 0);
        Bias.CopyTo(copy.Bias, 0);
        return copy;
    }

    /// <summary>y = x·Wᵀ + b; with <paramref name="relu"/>, max(0, ·) as each output is written (a folded network).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int batch, bool relu = false)
    {
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = x.Slice(n * Inputs, Inputs);
            Span<float> outRow = y.Slice(n * Outputs, Outputs);
            for (int o = 0; o < Outputs; o++)
                outRow[o] = Blas.Dot(row, Weight.AsSpan(o * Inputs, Inputs)) + Bias[o];
            if (relu) Blas.Relu(outRow); // the row is still in cache
        }
    }

    /// <summary>Overwrites WeightGrad and BiasGrad; writes dx unless it is empty (the first layer needs none).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int batch)
    {
        Array.Clear(WeightGrad);
        Array.Clear(BiasGrad);
        if (!dx.IsEmpty) dx.Slice(0, batch * Inputs).Clear();
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = x.Slice(n * Inputs, Inputs);
            ReadOnlySpan<float> gradRow = dy.Slice(n * Outputs, Outputs);
            for (int o = 0; o < Outputs; o++)
            {
                float g = gradRow[o];
                if (g == 0f) continue; // where a ReLU after this layer was off, dy is exactly zero: nothing to add
                BiasGrad[o] += g;
                // dW[o, :] += g · x[n, :]   and   dx[n, :] += g · W[o, :]
                Blas.Axpy(g, row, WeightGrad.AsSpan(o * Inputs, Inputs));
                if (!dx.IsEmpty) Blas.Axpy(g, Weight.AsSpan(o * Inputs, Inputs), dx.Slice(n * Inputs, Inputs));
            }
        }
    }
}
