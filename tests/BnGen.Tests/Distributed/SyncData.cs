using System;
using System.Globalization;
using System.Numerics;
using Xunit.Sdk;

namespace BnGen.Tests.Distributed;

/// <summary>Seeded test data in a case's layout, slicing along the batch, and the comparisons the tests make.</summary>
public static class SyncData
{
    /// <summary>A seed that is the same in every run (string.GetHashCode is randomized per process).</summary>
    public static int Seed(string text, int salt)
    {
        int hash = 17 + salt;
        foreach (char ch in text)
        {
            hash = unchecked(hash * 31 + ch);
        }
        return hash & int.MaxValue;
    }

    /// <summary>Where value (sample n, channel c, spatial position s) lives in the case's layout.</summary>
    public static int Index(SyncCase config, int n, int c, int s) => config.Layout switch
    {
        BatchNormLayout.NC => n * config.Features + c,
        BatchNormLayout.NHWC => (n * config.Plane + s) * config.Features + c,
        _ => (n * config.Features + c) * config.Plane + s,
    };

    /// <summary>
    /// x for <paramref name="batch"/> samples: channel c centred on an offset in [−3, 3] with a spread in [0.5, 2], so that
    /// every channel has its own statistics and ReLU layers see both signs.
    /// </summary>
    public static T[] Input<T>(SyncCase config, int batch, Random rng)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int features = config.Features, plane = config.Plane;
        var offset = new double[features];
        var spread = new double[features];
        for (int c = 0; c < features; c++)
        {
            offset[c] = rng.NextDouble() * 6 - 3;
            spread[c] = 0.5 + rng.NextDouble() * 1.5;
        }
        var x = new T[batch * features * plane];
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < features; c++)
            {
                for (int s = 0; s < plane; s++)
                {
                    x[Index(config, n, c, s)] = T.CreateTruncating(offset[c] + spread[c] * Gaussian(rng));
                }
            }
        }
        return x;
    }

    /// <summary>
    /// Moves the first value of every channel of every slice (sample 0 of the slice, spatial position 0) 20,000 above
    /// the data (spread at most 2): the pivot, the mean of those first values, then lies about 10^4 standard deviations
    /// from the mean, Σ (x − pivot)² exceeds 1024 · Σ (x − mean)² once n exceeds about 1025 per process, and the
    /// forward takes its third, exact, round.
    /// </summary>
    public static void FarFirstValues<T>(SyncCase config, T[] x, int[] slices)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int[] starts = Starts(slices);
        for (int r = 0; r < slices.Length; r++)
        {
            for (int c = 0; c < config.Features; c++)
            {
                int i = Index(config, starts[r], c, 0);
                x[i] += T.CreateTruncating(20_000d);
            }
        }
    }

    /// <summary>Slices for <see cref="FarFirstValues"/>: K processes, about 1,300 values per channel each (uneven).</summary>
    public static int[] FarSlices(SyncCase config, int processes)
    {
        var slices = new int[processes];
        for (int r = 0; r < processes; r++)
        {
            slices[r] = (1300 + 150 * r + config.Plane - 1) / config.Plane;
        }
        return slices;
    }

    /// <summary>Standard normal values (dLoss/dy).</summary>
    public static T[] Gaussians<T>(int count, Random rng)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = T.CreateTruncating(Gaussian(rng));
        }
        return values;
    }

    public static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Offsets of each slice in a batch-major tensor, in samples: [0, s0, s0 + s1, …].</summary>
    public static int[] Starts(int[] slices)
    {
        var starts = new int[slices.Length + 1];
        for (int r = 0; r < slices.Length; r++)
        {
            starts[r + 1] = starts[r] + slices[r];
        }
        return starts;
    }

    /// <summary>Every value bit for bit (a float widened to double keeps its bits' meaning; NaN matches NaN).</summary>
    public static void Identical<T>(string what, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            if (BitConverter.DoubleToInt64Bits(e) != BitConverter.DoubleToInt64Bits(a))
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {e:R}, got {a:R} (not bit-identical)"));
            }
        }
    }

    public static void Identical(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
        => Identical<double>(what, expected, actual);

    /// <summary>max |actual − expected| / max |expected| (0 when both are all zeros).</summary>
    public static double RelativeError<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double maxDiff = 0, maxAbs = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            maxDiff = Math.Max(maxDiff, Math.Abs(a - e));
            maxAbs = Math.Max(maxAbs, Math.Abs(e));
            if (double.IsNaN(a) != double.IsNaN(e))
            {
                return double.PositiveInfinity;
            }
        }
        return maxDiff == 0 ? 0 : maxDiff / maxAbs;
    }

    /// <summary>
    /// |actual[i] − expected[i]| ≤ <paramref name="tolerance"/> · scale for every i, scale = max(max |expected|,
    /// <paramref name="floor"/>): a tolerance relative to the size of the terms the values are computed from, so that a
    /// tensor that cancels to near zero (dx of a batch of two) is not held to a relative bound no rounding can meet.
    /// Returns the largest |actual − expected| / scale.
    /// </summary>
    public static double Close<T>(string what, ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, double tolerance, double floor = 0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        }
        double scale = floor;
        foreach (T v in expected)
        {
            scale = Math.Max(scale, Math.Abs(double.CreateChecked(v)));
        }
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            double error = (double.IsNaN(e) && double.IsNaN(a)) || a == e ? 0 : Math.Abs(a - e) / scale;
            if (!(error <= tolerance))
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {e:R}, got {a:R}; difference {Math.Abs(a - e):E2}, scale {scale:R}, tolerance {tolerance:E1} of the scale"));
            }
            worst = Math.Max(worst, error);
        }
        return worst;
    }

    /// <summary>
    /// The scales of the backward's results for one batch: dx is (dy − Σdy/n − x̂ · Σdy·x̂/n) · γ · invStd, so its terms are
    /// of size max |dy| · max |γ · invStd|; WeightGrad and BiasGrad are sums over a channel, of size Σ |dy| over a channel.
    /// invStd comes from the batch's own variance (ε left out: the scale only needs to be the right size).
    /// </summary>
    public static (double Dx, double Gradients) Scales<T>(SyncCase config, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, int batch,
        ReadOnlySpan<T> weight)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double maxDy = 0, dxScale = 0, gradScale = 0;
        foreach (T v in dy)
        {
            maxDy = Math.Max(maxDy, Math.Abs(double.CreateChecked(v)));
        }
        int count = batch * config.Plane;
        for (int c = 0; c < config.Features; c++)
        {
            double sum = 0, squares = 0, absDy = 0;
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < config.Plane; s++)
                {
                    int i = Index(config, n, c, s);
                    double value = double.CreateChecked(x[i]);
                    sum += value;
                    squares += value * value;
                    absDy += Math.Abs(double.CreateChecked(dy[i]));
                }
            }
            double mean = sum / count, variance = Math.Max(squares / count - mean * mean, 1e-300);
            double gamma = weight.IsEmpty ? 1 : Math.Abs(double.CreateChecked(weight[c]));
            dxScale = Math.Max(dxScale, maxDy * gamma / Math.Sqrt(variance));
            gradScale = Math.Max(gradScale, absDy);
        }
        return (dxScale, gradScale);
    }
}
