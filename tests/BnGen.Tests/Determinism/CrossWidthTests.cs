using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Determinism;

/// <summary>Runs the determinism probe once per variant, all variants concurrently, for the whole test class.</summary>
public sealed class ProbeRunsFixture
{
    public const string Baseline = "nothing disabled";

    /// <summary>Each variant and the DOTNET_* settings it runs with.</summary>
    public static readonly IReadOnlyList<(string Variant, IReadOnlyDictionary<string, string> Settings)> Variants = new[]
    {
        Variant(Baseline),
        Variant("DOTNET_EnableAVX512=0"),
        Variant("DOTNET_MaxVectorTBitWidth=128"),
        Variant("DOTNET_EnableAVX2=0"),
        Variant("DOTNET_EnableHWIntrinsic=0"),
        Variant("DOTNET_TieredCompilation=0"),
        Variant("DOTNET_TieredPGO=0"),
    };

    public ProbeRunsFixture() => Runs = ProbeRunner.RunAll(Variants, TimeSpan.FromMinutes(5));

    public IReadOnlyDictionary<string, ProbeRun> Runs { get; }

    private static (string, IReadOnlyDictionary<string, string>) Variant(string setting)
        => (setting, setting == Baseline
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { [setting.Split('=')[0]] = setting.Split('=')[1] });
}

/// <summary>
/// Issue 8 §2: one result on every machine. The probe (tests/BnGen.DeterminismProbe) runs every layer kind — NC and
/// NCHW, float and double, with and without Affine and TrackRunningStats, 1, 3, 17, 37 and 300 features, ragged planes,
/// batch 2–9, training and evaluation, forward and backward, out of place and in place, three steps so the running
/// statistics evolve, through the instance API, the static kernels and the runtime-shaped BatchNormKernels — and prints
/// a SHA-256 of the exact bits of everything each (layer, operation) produced. Every variant must print the baseline's
/// hashes: AVX-512 off, 128-bit Vector&lt;T&gt;, AVX2 (and with it FMA) off, no hardware intrinsics at all, and the
/// JIT's tier 0 and PGO out of the picture.
/// </summary>
public class CrossWidthTests(ProbeRunsFixture fixture, ITestOutputHelper output) : IClassFixture<ProbeRunsFixture>
{
    public static TheoryData<string> Variants()
        => new(ProbeRunsFixture.Variants.Select(v => v.Variant).Where(v => v != ProbeRunsFixture.Baseline));

    [Fact]
    public void BaselineRunsEveryLayerAndOperation()
    {
        ProbeRun run = fixture.Runs[ProbeRunsFixture.Baseline];
        output.WriteLine($"{run.Variant}: {run.Runtime}");
        Assert.True(run.ExitCode == 0 && run.Errors.Count == 0, $"The probe failed:\n{run.Output}");
        // At least the 20 layers of today's table; every one has the instance, static and runtime operations.
        string[] layers = run.Hashes.Keys.Select(k => k.Split(' ')[0]).Distinct().ToArray();
        Assert.True(layers.Length >= 20, $"{layers.Length} layers: {string.Join(", ", layers)}");
        foreach (string layer in layers)
        {
            Assert.Contains($"{layer} instance train forward", run.Hashes.Keys);
            Assert.Contains($"{layer} static train backward in place", run.Hashes.Keys);
            Assert.Contains($"{layer} runtime train forward", run.Hashes.Keys);
        }
        Assert.Matches("^[0-9A-F]{64}$", run.Total);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void VariantGivesTheSameBits(string variant)
    {
        ProbeRun baseline = fixture.Runs[ProbeRunsFixture.Baseline];
        ProbeRun run = fixture.Runs[variant];
        output.WriteLine($"{baseline.Variant}: {baseline.Runtime}");
        output.WriteLine($"{run.Variant}: {run.Runtime}");
        Assert.True(baseline.ExitCode == 0 && baseline.Errors.Count == 0, $"The baseline probe failed:\n{baseline.Output}");
        Assert.True(run.ExitCode == 0 && run.Errors.Count == 0, $"The probe under {variant} failed:\n{run.Output}");
        AssertSettingTookEffect(run);

        var differing = baseline.Hashes.Where(h => !run.Hashes.TryGetValue(h.Key, out string? other) || other != h.Value).Select(h => h.Key).ToList();
        if (differing.Count > 0)
        {
            var byLayer = differing.GroupBy(k => k.Split(' ')[0]).Select(g => $"  {g.Key}: {string.Join(", ", g.Select(k => k[(g.Key.Length + 1)..]))}");
            Assert.Fail($"Under {variant}, {differing.Count} of {baseline.Hashes.Count} (layer, operation) results differ from the baseline's bits " +
                $"(total {run.Total} vs {baseline.Total}).\nbaseline: {baseline.Runtime}\n{variant}: {run.Runtime}\n" + string.Join("\n", byLayer));
        }
        Assert.Equal(baseline.Total, run.Total);
    }

    /// <summary>What the runtime reports shows that the variant's setting took effect (on x64; elsewhere only Vector&lt;T&gt;).</summary>
    private static void AssertSettingTookEffect(ProbeRun run)
    {
        Assert.Contains($"setting: {run.Variant}", run.Output);
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        switch (run.Variant)
        {
            case "DOTNET_EnableAVX512=0":
                Assert.Equal("False", run.Reported("Vector512"));
                if (x64)
                {
                    Assert.Equal("False", run.Reported("Avx512F"));
                }
                break;
            case "DOTNET_MaxVectorTBitWidth=128":
                Assert.True(int.Parse(run.Reported("Vector<float>.Count"), System.Globalization.CultureInfo.InvariantCulture) <= 4, run.Runtime);
                break;
            case "DOTNET_EnableAVX2=0" when x64:
                Assert.Equal("False", run.Reported("Avx2"));
                Assert.Equal("False", run.Reported("Fma"));
                Assert.Equal("False", run.Reported("Vector256"));
                break;
            case "DOTNET_EnableHWIntrinsic=0":
                Assert.Equal("False", run.Reported("Vector128"));
                Assert.Equal("False", run.Reported("Vector.IsHardwareAccelerated"));
                break;
        }
    }
}
