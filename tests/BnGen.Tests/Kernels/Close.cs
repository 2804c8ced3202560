using System;
using System.Globalization;
using Xunit.Sdk;

namespace BnGen.Tests.Kernels;

/// <summary>Element-wise comparisons with an absolute tolerance, failing with the first offending index and values.</summary>
public static class Close
{
    /// <summary>|actual[i] − expected[i]| ≤ tolerance for every i (NaN only matches NaN).</summary>
    public static void All(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = double.IsNaN(e) ? double.IsNaN(a) : Math.Abs(a - e) <= tolerance;
            if (!ok)
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {e:R}, got {a:R} (difference {Math.Abs(a - e):E3}, tolerance {tolerance:E3})"));
            }
        }
    }

    /// <summary>|actual[i] − expected[i]| ≤ tolerances[i] for every i.</summary>
    public static void Each(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, ReadOnlySpan<double> tolerances)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}");
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!(Math.Abs(a - e) <= tolerances[i]))
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture,
                    $"{what}[{i}]: expected {e:R}, got {a:R} (difference {Math.Abs(a - e):E3}, tolerance {tolerances[i]:E3})"));
            }
        }
    }

    /// <summary>Relative to the largest magnitude in the expected tensor (at least <paramref name="floor"/>).</summary>
    public static void Relative(string what, ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double relative, double floor = 0)
        => All(what, expected, actual, relative * Math.Max(MaxAbs(expected), floor));

    public static double MaxAbs(ReadOnlySpan<double> values)
    {
        double max = 0;
        foreach (double v in values)
        {
            max = Math.Max(max, Math.Abs(v));
        }
        return max;
    }
}
