using System.Globalization;

namespace BnGen.Generator.Emitting;

/// <summary>
/// Every number that reaches the generated source goes through here: invariant culture, round-trip precision, a type
/// suffix. Never format a number with string interpolation in the emitter.
/// </summary>
internal static class Literal
{
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    /// <summary>A double literal that parses back to exactly <paramref name="value"/>, e.g. <c>0.1d</c>, <c>1E-05d</c>.</summary>
    public static string Double(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (double.Parse(text, CultureInfo.InvariantCulture) != value)
        {
            text = value.ToString("G17", CultureInfo.InvariantCulture);
        }
        return text + "d";
    }

    /// <summary>A float literal that parses back to exactly <paramref name="value"/>, e.g. <c>0.5f</c>.</summary>
    public static string Float(float value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (float.Parse(text, CultureInfo.InvariantCulture) != value)
        {
            text = value.ToString("G9", CultureInfo.InvariantCulture);
        }
        return text + "f";
    }

    /// <summary>A double for comments: round-trip text without suffix.</summary>
    public static string DoubleText(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";
}
