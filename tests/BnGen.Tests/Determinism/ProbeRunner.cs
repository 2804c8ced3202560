using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Threading.Tasks;

namespace BnGen.Tests.Determinism;

/// <summary>One run of the determinism probe: its settings, what the runtime reported, and its hashes.</summary>
public sealed record ProbeRun(string Variant, int ExitCode, string Runtime, IReadOnlyDictionary<string, string> Hashes, string Total,
    IReadOnlyList<string> Errors, string Output)
{
    /// <summary>The value of one "name=value" field of the runtime line, e.g. "Vector&lt;float&gt;.Count".</summary>
    public string Reported(string name)
        => Runtime.Split("; ").Select(part => part.Split('=', 2)).FirstOrDefault(kv => kv.Length == 2 && kv[0] == name)?[1]
            ?? throw new InvalidOperationException($"the probe did not report {name}: {Runtime}");
}

/// <summary>
/// Finds the built BnGen.DeterminismProbe (tests/BnGen.DeterminismProbe/bin/&lt;configuration&gt;/net10.0, built with the
/// solution and as a build dependency of this test project) and runs it as a child process under given DOTNET_*
/// settings, with every other SIMD or JIT setting of this process removed so that "nothing disabled" means that.
/// </summary>
public static class ProbeRunner
{
    /// <summary>The runtime knobs that change code generation: removed from the child's environment before a variant's are set.</summary>
    private static readonly string[] Knobs =
    {
        "EnableAVX", "EnableAVX2", "EnableAVX512", "EnableAVX512F", "EnableAVX10v1", "EnableAVX10v2", "EnableHWIntrinsic", "EnableSSE",
        "EnableSSE2", "EnableSSE3", "EnableSSSE3", "EnableSSE41", "EnableSSE42", "EnableFMA", "EnableArm64AdvSimd", "MaxVectorTBitWidth",
        "PreferredVectorBitWidth", "TieredCompilation", "TieredPGO", "TC_QuickJitForLoops", "OSR_HitLimit", "ReadyToRun", "JitStress",
    };

    public static string ProbePath()
    {
        string configuration = typeof(ProbeRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        string root = RepositoryRoot();
        string path = Path.Combine(root, "tests", "BnGen.DeterminismProbe", "bin", configuration, "net10.0", "BnGen.DeterminismProbe.dll");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The determinism probe is not built: {path}. Build it with `dotnet build BnGen.sln -c {configuration}` " +
                $"(or `dotnet build tests/BnGen.DeterminismProbe -c {configuration}`).", path);
        }
        return path;
    }

    /// <summary>Runs every variant, as many at a time as there are processors.</summary>
    public static IReadOnlyDictionary<string, ProbeRun> RunAll(IEnumerable<(string Variant, IReadOnlyDictionary<string, string> Settings)> variants,
        TimeSpan timeout)
    {
        string probe = ProbePath();
        var runs = new System.Collections.Concurrent.ConcurrentDictionary<string, ProbeRun>();
        System.Threading.Tasks.Parallel.ForEach(variants, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) },
            v => runs[v.Variant] = Run(probe, v.Variant, v.Settings, timeout));
        return runs;
    }

    private static ProbeRun Run(string probe, string variant, IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(DotNetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(probe);
        foreach (string key in start.Environment.Keys.ToList())
        {
            string name = key.StartsWith("DOTNET_", StringComparison.OrdinalIgnoreCase) ? key[7..]
                : key.StartsWith("COMPlus_", StringComparison.OrdinalIgnoreCase) ? key[8..] : "";
            if (Knobs.Contains(name, StringComparer.OrdinalIgnoreCase) || name.StartsWith("Jit", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine("stderr: " + e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit((int)timeout.TotalMilliseconds))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"The probe under {variant} did not finish within {timeout.TotalSeconds:F0} s:\n{output}");
        }
        process.WaitForExit();
        string text;
        lock (output)
        {
            text = output.ToString();
        }

        var hashes = new Dictionary<string, string>();
        var errors = new List<string>();
        string runtime = "", total = "";
        foreach (string line in text.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith("hash ", StringComparison.Ordinal))
            {
                int colon = line.LastIndexOf(": ", StringComparison.Ordinal);
                hashes[line[5..colon]] = line[(colon + 2)..];
            }
            else if (line.StartsWith("runtime: ", StringComparison.Ordinal))
            {
                runtime = line[9..];
            }
            else if (line.StartsWith("total: ", StringComparison.Ordinal))
            {
                total = line[7..];
            }
            else if (line.StartsWith("error", StringComparison.Ordinal) || line.StartsWith("stderr: ", StringComparison.Ordinal))
            {
                errors.Add(line);
            }
        }
        return new ProbeRun(variant, process.ExitCode, runtime, hashes, total, errors, text);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BnGen.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No BnGen.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The muxer that runs this test (so the child uses the same runtime); else `dotnet` on PATH.</summary>
    private static string DotNetPath()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }
        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet";
    }
}
