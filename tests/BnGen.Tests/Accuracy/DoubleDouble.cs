using System;
using System.Runtime.CompilerServices;

namespace BnGen.Tests.Accuracy;

/// <summary>
/// A double-double number Hi + Lo (|Lo| ≤ ulp(Hi) / 2): about 106 significant bits, enough to be "the truth" for float
/// and double results, whose errors are measured in units of 2⁻²⁴ and 2⁻⁵³. Error-free transformations (TwoSum, and
/// TwoProd through <see cref="Math.FusedMultiplyAdd"/>) after Hida, Li and Bailey's QD library; relative error of each
/// operation about 2⁻¹⁰⁴.
/// </summary>
public readonly struct DoubleDouble
{
    public DoubleDouble(double hi, double lo)
    {
        Hi = hi;
        Lo = lo;
    }

    public double Hi { get; }

    public double Lo { get; }

    public static DoubleDouble Zero => default;

    public static implicit operator DoubleDouble(double value) => new(value, 0);

    /// <summary>The nearest double (Hi + Lo rounds once).</summary>
    public double ToDouble() => Hi + Lo;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleDouble operator -(DoubleDouble a) => new(-a.Hi, -a.Lo);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleDouble operator +(DoubleDouble a, DoubleDouble b)
    {
        var (s1, s2) = TwoSum(a.Hi, b.Hi);
        var (t1, t2) = TwoSum(a.Lo, b.Lo);
        s2 += t1;
        (s1, s2) = QuickTwoSum(s1, s2);
        s2 += t2;
        return Normalized(s1, s2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleDouble operator -(DoubleDouble a, DoubleDouble b) => a + -b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleDouble operator *(DoubleDouble a, DoubleDouble b)
    {
        var (p1, p2) = TwoProduct(a.Hi, b.Hi);
        p2 += a.Hi * b.Lo + a.Lo * b.Hi;
        return Normalized(p1, p2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DoubleDouble operator /(DoubleDouble a, DoubleDouble b)
    {
        // Three quotient digits, each from the exact remainder of the previous ones.
        double q1 = a.Hi / b.Hi;
        DoubleDouble r = a - b * q1;
        double q2 = r.Hi / b.Hi;
        r -= b * q2;
        double q3 = r.Hi / b.Hi;
        return Normalized(q1, q2) + q3;
    }

    /// <summary>√a for a ≥ 0: x = 1/√a.Hi, then a·x + (a − (a·x)²)·x/2 (Karp and Markstein).</summary>
    public static DoubleDouble Sqrt(DoubleDouble a)
    {
        if (a.Hi <= 0)
        {
            return a.Hi == 0 ? Zero : new DoubleDouble(double.NaN, double.NaN);
        }
        double x = 1 / Math.Sqrt(a.Hi);
        double ax = a.Hi * x;
        DoubleDouble axDd = ax;
        return axDd + (a - axDd * axDd).Hi * (x * 0.5);
    }

    public static DoubleDouble Abs(DoubleDouble a) => a.Hi < 0 || (a.Hi == 0 && a.Lo < 0) ? -a : a;

    public static bool IsFinite(DoubleDouble a) => double.IsFinite(a.Hi) && double.IsFinite(a.Lo);

    public override string ToString() => $"{Hi:R} + {Lo:R}";

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Sum, double Error) TwoSum(double a, double b)
    {
        double s = a + b;
        double bb = s - a;
        return (s, (a - (s - bb)) + (b - bb));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Sum, double Error) QuickTwoSum(double a, double b)
    {
        double s = a + b;
        return (s, b - (s - a));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double Product, double Error) TwoProduct(double a, double b)
    {
        double p = a * b;
        return (p, Math.FusedMultiplyAdd(a, b, -p));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static DoubleDouble Normalized(double hi, double lo)
    {
        var (s, e) = QuickTwoSum(hi, lo);
        // An infinite or NaN Hi must not turn into NaN through the error term.
        return double.IsFinite(s) ? new DoubleDouble(s, e) : new DoubleDouble(s, 0);
    }
}
