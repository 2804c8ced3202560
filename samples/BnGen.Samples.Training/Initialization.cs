using System;

namespace BnGen.Samples.Training;

/// <summary>Weight initialization from a seeded generator only, so that runs are reproducible.</summary>
internal static class Initialization
{
    /// <summary>He (Kaiming) normal initialization, suited to ReLU: N(0, 2 / fan_in).</summary>
    public static void HeNormal(Span<float> weights, int fanIn, Random rng)
    {
        double std = Math.Sqrt(2.0 / fanIn);
        for (int i = 0; i < weights.Length; i++) weights[i] = (float)(std * Gaussian(rng));
    }

    /// <summary>A standard normal deviate (Box-Muller).</summary>
    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
