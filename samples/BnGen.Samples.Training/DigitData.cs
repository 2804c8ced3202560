using System;

namespace BnGen.Samples.Training;

/// <summary>
/// A data set of noisy digit-like glyphs (see <see cref="Glyphs"/>): each example is a Size×Size grey image,
/// flattened to Size² inputs, with random contrast, background level and Gaussian pixel noise.
/// </summary>
internal sealed class DigitData
{
    public const int Size = 14;
    public const int Inputs = Size * Size;

    public DigitData(int count, double noise, int seed)
    {
        Count = count;
        X = new float[count * Inputs];
        Labels = new int[count];
        var rng = new Random(seed);
        float[] mask = new float[Inputs];
        for (int i = 0; i < count; i++)
        {
            int digit = i % Glyphs.Classes; // balanced classes; the training loop shuffles
            Glyphs.Draw(digit, Size, rng, mask);
            double background = 0.3 * rng.NextDouble();
            double contrast = 0.5 + 0.5 * rng.NextDouble();
            Span<float> image = X.AsSpan(i * Inputs, Inputs);
            for (int p = 0; p < Inputs; p++)
                image[p] = (float)(background + contrast * mask[p] + noise * Gaussian(rng));
            Labels[i] = digit;
        }
    }

    public int Classes => Glyphs.Classes;
    public int Count { get; }
    /// <summary>Row-major [Count, Inputs] pixel values.</summary>
    public float[] X { get; }
    public int[] Labels { get; }

    /// <summary>A standard normal deviate (Box-Muller), from the given generator only: runs are reproducible.</summary>
    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
