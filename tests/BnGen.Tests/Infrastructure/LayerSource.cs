using System.Collections.Generic;
using System.Globalization;

namespace BnGen.Tests.Infrastructure;

/// <summary>One layer configuration of the generator-test matrices, and the C# attribute that declares it.</summary>
internal sealed record LayerConfig(
    int Features,
    bool Nchw = false,
    bool Double = false,
    bool Affine = true,
    bool Track = true,
    bool CumulativeAverage = false,
    double? Epsilon = null,
    double? Momentum = null)
{
    /// <summary>The attribute as a user would write it, with only the arguments that differ from the defaults.</summary>
    public string Attribute()
    {
        var args = new List<string> { Features.ToString(CultureInfo.InvariantCulture) };
        if (Nchw)
        {
            args.Add("global::BnGen.BatchNormLayout.NCHW");
        }
        if (Double)
        {
            args.Add("ElementType = typeof(double)");
        }
        if (!Affine)
        {
            args.Add("Affine = false");
        }
        if (!Track)
        {
            args.Add("TrackRunningStats = false");
        }
        if (CumulativeAverage)
        {
            args.Add("CumulativeAverage = true");
        }
        if (Epsilon is double eps)
        {
            args.Add("Epsilon = " + eps.ToString("R", CultureInfo.InvariantCulture));
        }
        if (Momentum is double m)
        {
            args.Add("Momentum = " + m.ToString("R", CultureInfo.InvariantCulture));
        }
        return "[global::BnGen.BatchNormLayer(" + string.Join(", ", args) + ")]";
    }

    /// <summary>A readable name: <c>NCHW_Double_NoAffine_NoTrack_F17</c>.</summary>
    public string Name
        => (Nchw ? "NCHW" : "NC") + (Double ? "_Double" : "_Float") + (Affine ? "_Affine" : "_NoAffine")
           + (Track ? "_Track" : "_NoTrack") + (CumulativeAverage ? "_Cumulative" : string.Empty) + "_F" + Features.ToString(CultureInfo.InvariantCulture);

    /// <summary>The 16 combinations of layout, element type, Affine and TrackRunningStats, at <paramref name="features"/>.</summary>
    public static IEnumerable<LayerConfig> Matrix(int features)
    {
        foreach (bool nchw in new[] { false, true })
        {
            foreach (bool dbl in new[] { false, true })
            {
                foreach (bool affine in new[] { true, false })
                {
                    foreach (bool track in new[] { true, false })
                    {
                        yield return new LayerConfig(features, nchw, dbl, affine, track);
                    }
                }
            }
        }
    }
}
