using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using System.Text;
using BnGen.DeterminismProbe;
using X86 = System.Runtime.Intrinsics.X86;

// BnGen determinism probe: one SHA-256 per (layer, operation) over the exact bits of everything the operation
// produces, then a total. Run under different DOTNET_* settings (SIMD widths, JIT tiers), every line must be the same.
//
//   dotnet tests/BnGen.DeterminismProbe/bin/Release/net10.0/BnGen.DeterminismProbe.dll [--repeat N]
//
// Output lines: "runtime: ..." (what the runtime reports), "setting: NAME=VALUE" (each DOTNET_ variable that is set),
// "hash <layer> <operation>: <hex>", "error <layer>: <message>", "total: <hex>". The whole workload runs N times
// (default 2) in the process; a second run that gives other bits is reported as an error.

int repeat = 2;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--repeat" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0)
    {
        repeat = n;
        i++;
    }
    else
    {
        Console.Error.WriteLine($"unknown argument '{args[i]}'; usage: BnGen.DeterminismProbe [--repeat N]");
        return 2;
    }
}

Console.WriteLine("# BnGen determinism probe");
Console.WriteLine("runtime: " + RuntimeDescription());
foreach (var (name, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
    .Select(e => ((string)e.Key, (string?)e.Value ?? "")).Where(e => e.Item1.StartsWith("DOTNET_", StringComparison.Ordinal))
    .OrderBy(e => e.Item1, StringComparer.Ordinal))
{
    Console.WriteLine($"setting: {name}={value}");
}

List<string>? first = null;
int errors = 0;
for (int pass = 0; pass < repeat; pass++)
{
    var lines = new List<string>();
    for (int index = 0; index < ProbeLayers.All.Count; index++)
    {
        ProbeLayer layer = ProbeLayers.All[index];
        try
        {
            var results = layer.IsDouble ? new Workload<double>(layer, 1000 + index).Run() : new Workload<float>(layer, 1000 + index).Run();
            lines.AddRange(results.Select(r => $"hash {layer.Name} {r.Operation}: {r.Hash}"));
        }
        catch (Exception e)
        {
            lines.Add($"error {layer.Name}: {e.GetType().Name}: {e.Message}");
            errors++;
        }
    }
    if (first is null)
    {
        first = lines;
        continue;
    }
    foreach (var (a, b) in first.Zip(lines).Where(p => p.First != p.Second))
    {
        Console.WriteLine($"error repeat {pass + 1}: '{b}' where the first run gave '{a}'");
        errors++;
    }
}

foreach (string line in first!)
{
    Console.WriteLine(line);
}
byte[] total = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", first)));
Console.WriteLine($"total: {Convert.ToHexString(total)}");
return errors == 0 ? 0 : 1;

static string RuntimeDescription()
{
    var parts = new List<string>
    {
        $".NET {Environment.Version}",
        RuntimeInformation.ProcessArchitecture.ToString(),
        $"Vector<float>.Count={Vector<float>.Count}",
        $"Vector.IsHardwareAccelerated={Vector.IsHardwareAccelerated}",
        $"Vector512={Vector512.IsHardwareAccelerated}",
        $"Vector256={Vector256.IsHardwareAccelerated}",
        $"Vector128={Vector128.IsHardwareAccelerated}",
        $"Fma={X86.Fma.IsSupported}",
        $"Avx2={X86.Avx2.IsSupported}",
        $"Avx512F={X86.Avx512F.IsSupported}",
        $"AdvSimd={System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported}",
    };
    return string.Join("; ", parts);
}
