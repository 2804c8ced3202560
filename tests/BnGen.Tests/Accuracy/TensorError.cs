using System;
using System.Runtime.CompilerServices;

namespace BnGen.Tests.Accuracy;

/// <summary>
/// The error of a result tensor against the truth, in units of its own precision.
/// <para>
/// Values are grouped by channel: all values of a channel for a per-element tensor (y, dx), the one value of a
/// per-feature tensor (saved and running statistics, dγ, dβ). A group's unit is one ulp, in the tensor's element type
/// (2^(⌊log₂ M⌋ − 23) for float, 2^(⌊log₂ M⌋ − 52) for double, the subnormal spacing below the normal range), of its
/// magnitude M: the largest |truth| in the group, or one rounding of the largest term the centered formula adds up to
/// get a value (u · term scale, see <see cref="TruthBatchNorm.Tensor"/>) if that is larger. A group's error is
/// max |result − truth| over the group, in that unit.
/// </para>
/// <para>
/// Why by channel: a channel's values share a scale (γ·invStd·(x − mean) + β, or γ·invStd·dy), and channels differ
/// by orders of magnitude (γ of 10⁻³ next to γ of 10³, a constant channel next to a noisy one), so one unit for the
/// whole tensor would hide every error in its small channels. Why the group's magnitude and not each value's own: a
/// value that is nearly 0 inside a channel of values near 1 is computed from terms of size 1, and no float result can
/// resolve it better than ulp(1). Where a whole group cancels (the gradInput of two values per channel, a constant dy),
/// M is that tiny true value, and BnGen's and ATen's errors are compared as absolute errors in the same unit: exactly
/// the case where one formula cancels and the other does not. Ratios of errors do not depend on the unit; the unit
/// matters for the floors (<see cref="AccuracyRunner"/>) and for reading the numbers.
/// </para>
/// </summary>
public static class TensorError
{
    /// <summary>The spacing of float (or double) numbers at |m|: ulp(m), the subnormal spacing for tiny or zero m.</summary>
    public static double Ulp(double m, bool isDouble)
    {
        m = Math.Abs(m);
        if (!double.IsFinite(m))
        {
            return double.PositiveInfinity;
        }
        int exponent = m == 0 ? int.MinValue : Math.ILogB(m);
        return isDouble
            ? Math.ScaleB(1d, Math.Max(exponent, -1022) - 52)
            : Math.ScaleB(1d, Math.Max(exponent, -126) - 23);
    }

    /// <summary>|actual − truth| without rounding the truth to double first (it matters for double results).</summary>
    public static double Distance(double actual, DoubleDouble truth)
    {
        if (!double.IsFinite(actual))
        {
            return actual.Equals(truth.Hi) ? 0 : double.PositiveInfinity;
        }
        return Math.Abs((actual - truth.Hi) - truth.Lo);
    }

    /// <summary>
    /// Each group's unit: one ulp (in the element type) of the group's magnitude, the largest of |truth| and of one
    /// rounding of its terms (u · term scale) — a group that cancels to exactly 0 is still measured on the scale its
    /// terms give it, not on the subnormal spacing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] Units(DoubleDouble[] truth, double[] scales, int features, int plane, bool perFeature, bool isDouble)
    {
        var magnitude = new double[features];
        double unitRoundoff = UnitRoundoff(isDouble);
        for (int i = 0; i < truth.Length; i++)
        {
            int c = Group(i, features, plane, perFeature);
            magnitude[c] = Math.Max(magnitude[c], Math.Max(Math.Abs(truth[i].Hi), unitRoundoff * scales[i]));
        }
        var units = new double[features];
        for (int c = 0; c < features; c++)
        {
            units[c] = Ulp(magnitude[c], isDouble);
        }
        return units;
    }

    /// <summary>Each group's error in its unit (see the class), and the index where it is reached.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double[] Errors, int[] Index) PerGroup(ReadOnlySpan<double> actual, DoubleDouble[] truth, double[] units, int features, int plane,
        bool perFeature)
    {
        if (actual.Length != truth.Length)
        {
            throw new ArgumentException($"{actual.Length} values against a truth of {truth.Length}");
        }
        var errors = new double[features];
        var index = new int[features];
        Array.Fill(index, -1);
        for (int i = 0; i < truth.Length; i++)
        {
            int c = Group(i, features, plane, perFeature);
            double error = Distance(actual[i], truth[i]) / units[c];
            error = double.IsNaN(error) ? double.PositiveInfinity : error;
            if (index[c] < 0 || error > errors[c])
            {
                errors[c] = error;
                index[c] = i;
            }
        }
        return (errors, index);
    }

    /// <summary>
    /// Each group's floor in its unit: <paramref name="ulps"/>, or <paramref name="roundings"/> unit roundoffs of the
    /// group's largest term scale (what any implementation of the centered formula rounds away), whichever is larger.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double[] Floors(double[] scales, double[] units, int features, int plane, bool perFeature, bool isDouble, double ulps,
        double roundings)
    {
        var termScale = new double[features];
        for (int i = 0; i < scales.Length; i++)
        {
            int c = Group(i, features, plane, perFeature);
            termScale[c] = Math.Max(termScale[c], scales[i]);
        }
        var floors = new double[features];
        for (int c = 0; c < features; c++)
        {
            floors[c] = Math.Max(ulps, roundings * UnitRoundoff(isDouble) * termScale[c] / units[c]);
        }
        return floors;
    }

    /// <summary>2⁻²⁴ for float, 2⁻⁵³ for double.</summary>
    public static double UnitRoundoff(bool isDouble) => isDouble ? Math.ScaleB(1d, -53) : Math.ScaleB(1d, -24);

    private static int Group(int i, int features, int plane, bool perFeature) => perFeature ? i : i / plane % features;
}
