using System;
using System.ComponentModel;
using System.Globalization;

namespace BnGen.Internal;

/// <summary>
/// Folding a batch-norm layer's evaluation-mode transform into the linear or convolution layer before it, as
/// PyTorch's <c>fuse_linear_bn_eval</c> / <c>fuse_conv_bn_eval</c> do: with s = γ / sqrt(runningVar + ε),
/// W'[c, …] = W[c, …] · s[c] and b'[c] = (b[c] − runningMean[c]) · s[c] + β[c], in double, each rounded once.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Folding
{
    /// <summary>
    /// Rewrites <paramref name="weight"/> (row-major, output channel outermost: a positive multiple of Features values)
    /// and <paramref name="bias"/> (Features values) in place. γ and β are empty for a layer without affine parameters.
    /// Every length is checked before anything is written.
    /// </summary>
    public static void Fold<T, TLayer>(Span<T> weight, Span<T> bias, ReadOnlySpan<T> bnWeight, ReadOnlySpan<T> bnBias,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar)
        where T : unmanaged
        where TLayer : unmanaged, ILayerConstants
    {
        TLayer layer = default;
        int features = layer.Features;
        if (weight.Length == 0 || weight.Length % features != 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"'weight' must hold a positive multiple of {features} values (the preceding layer's weight, output channel outermost), but it holds {weight.Length}."),
                nameof(weight));
        }
        CheckFeatures(bias.Length, features, nameof(bias));
        if (layer.Affine)
        {
            CheckFeatures(bnWeight.Length, features, "bnWeight");
            CheckFeatures(bnBias.Length, features, "bnBias");
        }
        CheckFeatures(runningMean.Length, features, nameof(runningMean));
        CheckFeatures(runningVar.Length, features, nameof(runningVar));

        int row = weight.Length / features;
        double epsilon = layer.Epsilon;
        for (int c = 0; c < features; c++)
        {
            double gamma = layer.Affine ? Scalar.ToDouble(bnWeight[c]) : 1d;
            double beta = layer.Affine ? Scalar.ToDouble(bnBias[c]) : 0d;
            double scale = gamma / Math.Sqrt(Scalar.ToDouble(runningVar[c]) + epsilon);
            Span<T> rowValues = weight.Slice(c * row, row);
            for (int i = 0; i < rowValues.Length; i++)
            {
                rowValues[i] = Scalar.FromDouble<T>(Scalar.ToDouble(rowValues[i]) * scale);
            }
            bias[c] = Scalar.FromDouble<T>((Scalar.ToDouble(bias[c]) - Scalar.ToDouble(runningMean[c])) * scale + beta);
        }
    }

    private static void CheckFeatures(int length, int features, string name)
    {
        if (length != features)
        {
            ThrowHelper.LengthMismatch(name, features, length, string.Create(CultureInfo.InvariantCulture, $"[{features}]"));
        }
    }
}
