using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using BnGen.Tests.Infrastructure;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// Same input, same bytes: across runs of fresh drivers, and whatever the current culture (fi-FI writes a comma and a
/// U+2212 minus, de-DE a comma, tr-TR has the dotless i). Numbers in generated code must be invariant and round-trip.
/// </summary>
public class DeterminismTests
{
    private const string Source = """
        namespace Determinism
        {
            [global::BnGen.BatchNormLayer(17, Epsilon = 1e-3, Momentum = 0.01)]
            public partial class Small { }

            [global::BnGen.BatchNormLayer(1234, Epsilon = 1E-07, Momentum = 0.3, ElementType = typeof(double))]
            public partial class Wide { }

            [global::BnGen.BatchNormLayer(3, global::BnGen.BatchNormLayout.NCHW, Epsilon = 2.5e-5, Momentum = 0.125, Affine = false)]
            public partial class Image { }

            [global::BnGen.BatchNormLayer(9, global::BnGen.BatchNormLayout.NCHW, Epsilon = 0.1, CumulativeAverage = true, ElementType = typeof(double))]
            public partial class Cumulative { }

            [global::BnGen.BatchNormLayer(5, Momentum = 0.30000000000000004, TrackRunningStats = false)]
            public partial class Awkward { }
        }
        """;

    /// <summary>Hint name → UTF-8 bytes of every generated file, from a fresh driver.</summary>
    private static SortedDictionary<string, byte[]> Generate()
    {
        GeneratorRun run = GeneratorRunner.Run(TestCompilation.Create(Source)).AssertCompilesCleanly();
        Assert.Equal(5, run.Result.GeneratedSources.Length);
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var source in run.Result.GeneratedSources)
        {
            files.Add(source.HintName, Encoding.UTF8.GetBytes(source.SourceText.ToString()));
        }
        return files;
    }

    private static void AssertSameBytes(SortedDictionary<string, byte[]> expected, SortedDictionary<string, byte[]> actual, string what)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach ((string hint, byte[] bytes) in expected)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(actual[hint]),
                $"{hint} differs {what}:\n" + SnapshotAssert.UnifiedDiff(Encoding.UTF8.GetString(bytes), Encoding.UTF8.GetString(actual[hint]), hint));
        }
    }

    [Fact]
    public void TwoRuns_GiveIdenticalBytes()
    {
        AssertSameBytes(Generate(), Generate(), "between two runs");
    }

    [Theory]
    [InlineData("fi-FI")]
    [InlineData("tr-TR")]
    [InlineData("de-DE")]
    [InlineData("ar-SA")]
    public void Culture_DoesNotChangeABit(string cultureName)
    {
        SortedDictionary<string, byte[]> invariant = WithCulture(CultureInfo.InvariantCulture, Generate);
        var culture = CultureInfo.GetCultureInfo(cultureName);
        // Guard: the culture really formats numbers differently, so this test could catch culture-dependent output.
        Assert.NotEqual("0.001", WithCulture(culture, () => (1e-3).ToString(CultureInfo.CurrentCulture)));
        SortedDictionary<string, byte[]> local = WithCulture(culture, Generate);
        AssertSameBytes(invariant, local, $"under {cultureName}");
    }

    [Fact]
    public void Numbers_AreInvariantRoundTripLiterals()
    {
        SortedDictionary<string, byte[]> files = Generate();
        string small = Encoding.UTF8.GetString(files["Determinism.Small.BatchNorm.g.cs"]);
        string wide = Encoding.UTF8.GetString(files["Determinism.Wide.BatchNorm.g.cs"]);
        string awkward = Encoding.UTF8.GetString(files["Determinism.Awkward.BatchNorm.g.cs"]);
        string image = Encoding.UTF8.GetString(files["Determinism.Image.BatchNorm.g.cs"]);

        Assert.Contains("//        Epsilon = 0.001, Momentum = 0.01, Affine = true,\n", small, StringComparison.Ordinal);
        Assert.Contains("public double Epsilon => 0.001d;", small, StringComparison.Ordinal);
        Assert.Contains("public double Momentum => 0.01d;", small, StringComparison.Ordinal);
        Assert.Contains("public const int Features = 1234;", wide, StringComparison.Ordinal);
        Assert.Contains("public int Features => 1234;", wide, StringComparison.Ordinal);
        Assert.Contains("public double Epsilon => 1E-07d;", wide, StringComparison.Ordinal);
        Assert.Contains("public double Epsilon => 2.5E-05d;", image, StringComparison.Ordinal);
        Assert.Contains("public double Momentum => 0.30000000000000004d;", awkward, StringComparison.Ordinal);
        Assert.Contains("Momentum = 0.30000000000000004,", awkward, StringComparison.Ordinal);
        Assert.All(files, file =>
        {
            string text = Encoding.UTF8.GetString(file.Value);
            Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
            // fi-FI's minus sign may appear in documentation ("x − mean"), never in code; nor a decimal comma anywhere.
            Assert.DoesNotContain(text.Split('\n'), line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal) && line.Contains('\u2212'));
            Assert.DoesNotMatch(@"\d,\d", text);
            Assert.DoesNotContain(" \n", text, StringComparison.Ordinal);      // no trailing spaces
            Assert.DoesNotContain("\t", text, StringComparison.Ordinal);
            Assert.EndsWith("}\n", text, StringComparison.Ordinal);
        });
    }

    private static T WithCulture<T>(CultureInfo culture, Func<T> action)
    {
        CultureInfo culture0 = CultureInfo.CurrentCulture, ui0 = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = culture0;
            CultureInfo.CurrentUICulture = ui0;
        }
    }
}
