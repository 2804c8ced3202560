using System;
using BnGen.Samples.Training;

namespace BnGen.Samples.ConvNet;

/// <summary>
/// 3x32x32 colour images of the ten digit-like glyphs: random ink and background colours (never the same),
/// random size, position, slant and stroke (see <see cref="Glyphs"/>), per-image brightness jitter and pixel noise.
/// Stored NCHW, as the network consumes them.
/// </summary>
internal sealed class ImageData
{
    public const int Channels = 3, Size = 32, Pixels = Size * Size, ImageSize = Channels * Pixels;

    public ImageData(int count, int seed)
    {
        Count = count;
        X = new float[count * ImageSize];
        Labels = new int[count];
        var rng = new Random(seed);
        float[] mask = new float[Pixels];
        Span<double> ink = stackalloc double[Channels], paper = stackalloc double[Channels];
        for (int i = 0; i < count; i++)
        {
            int digit = i % Glyphs.Classes;
            Glyphs.Draw(digit, Size, rng, mask);
            // Colours: pick until ink and background differ enough in brightness to be seen.
            do
            {
                for (int c = 0; c < Channels; c++)
                {
                    ink[c] = rng.NextDouble();
                    paper[c] = rng.NextDouble();
                }
            }
            while (Math.Abs(ink[0] + ink[1] + ink[2] - paper[0] - paper[1] - paper[2]) < 0.9);
            double brightness = 0.8 + 0.4 * rng.NextDouble();
            Span<float> image = X.AsSpan(i * ImageSize, ImageSize);
            for (int c = 0; c < Channels; c++)
            {
                for (int p = 0; p < Pixels; p++)
                {
                    double value = paper[c] + (ink[c] - paper[c]) * mask[p];
                    image[c * Pixels + p] = (float)(brightness * value + 0.15 * DigitData.Gaussian(rng));
                }
            }
            Labels[i] = digit;
        }
    }

    public int Count { get; }
    public float[] X { get; }
    public int[] Labels { get; }
}
