using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace BnGen.Tests.Packaging;

/// <summary>
/// Shared, slow set-up of the install-path tests, done once: `dotnet pack` of src/BnGen into a temporary feed with a
/// unique version (so no cached package can stand in for it), then two brand-new console projects in another
/// temporary folder whose nuget.config adds that feed and keeps nuget.org, `dotnet add package BnGen --version v`
/// in each, and one shared restore into a fresh package cache.
/// </summary>
public sealed class PackageFixture : IDisposable
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(4);

    public PackageFixture()
    {
        RepositoryRoot = FindRepositoryRoot();
        Root = Path.Combine(Path.GetTempPath(), "bngen-e2e-" + Guid.NewGuid().ToString("N")[..12]);
        Feed = Path.Combine(Root, "feed");
        Consumers = Path.Combine(Root, "consumers");
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Consumers);
        Version = "1.0.0-e2e." + DateTime.UtcNow.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var total = Stopwatch.StartNew();

        // 1. Pack exactly as the README says, with build output kept out of the repository (--artifacts-path).
        Pack = Step(RepositoryRoot, PackTimeout, null, "pack", Path.Combine(RepositoryRoot, "src", "BnGen", "BnGen.csproj"),
            "-c", "Release", "-o", Feed, "--artifacts-path", Path.Combine(Root, "artifacts"),
            "-p:Version=" + Version, "--disable-build-servers");
        Package = Path.Combine(Feed, $"BnGen.{Version}.nupkg");
        SymbolPackage = Path.Combine(Feed, $"BnGen.{Version}.snupkg");

        // 2. Two new console projects and a nuget.config: the local feed first, nuget.org for everything else.
        File.WriteAllText(Path.Combine(Consumers, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="bngen-e2e" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
              </packageSources>
            </configuration>
            """);
        ConsumerProject = CreateConsole("Consumer");
        NotPartialProject = CreateConsole("NotPartial");
        File.WriteAllText(Path.Combine(Consumers, "Consumers.slnx"), """
            <Solution>
              <Project Path="Consumer/Consumer.csproj" />
              <Project Path="NotPartial/NotPartial.csproj" />
            </Solution>
            """);

        // 3. `dotnet add package` in each (no restore yet), then one restore for both into a fresh package cache.
        PackageCache = Path.Combine(Root, "packages");
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = PackageCache };
        foreach (string project in new[] { ConsumerProject, NotPartialProject })
            Step(Consumers, StepTimeout, Environment, "add", project, "package", "BnGen", "--version", Version, "--no-restore");
        Restore = Step(Consumers, StepTimeout, Environment, "restore", "Consumers.slnx", "--disable-build-servers");
        SetUpTime = total.Elapsed;
    }

    public string RepositoryRoot { get; }
    public string Root { get; }
    public string Feed { get; }
    public string Consumers { get; }
    public string PackageCache { get; }
    public string Version { get; }
    public string Package { get; }
    public string SymbolPackage { get; }
    public string ConsumerProject { get; }
    public string NotPartialProject { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }
    public CliResult Pack { get; }
    public CliResult Restore { get; }
    public TimeSpan SetUpTime { get; }

    public CliResult Run(TimeSpan timeout, params string[] arguments) => DotNetCli.Run(Consumers, timeout, Environment, arguments);

    public void Dispose()
    {
        if (System.Environment.GetEnvironmentVariable("BNGEN_E2E_KEEP") == "1") return;
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>A fresh console project, as `dotnet new console` makes it (net10.0, nullable, implicit usings).</summary>
    private string CreateConsole(string name)
    {
        string folder = Path.Combine(Consumers, name);
        Directory.CreateDirectory(folder);
        string project = Path.Combine(folder, name + ".csproj");
        File.WriteAllText(project, """
            <Project Sdk="Microsoft.NET.Sdk">

              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>

            </Project>
            """);
        return project;
    }

    private static CliResult Step(string directory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment,
        params string[] arguments)
    {
        CliResult result = DotNetCli.Run(directory, timeout, environment, arguments);
        if (result.ExitCode != 0) throw new InvalidOperationException("E2E set-up failed: " + result);
        return result;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BnGen.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("BnGen.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every `name: v v v` line of a program's output, by name.</summary>
    public static Dictionary<string, double[]> ParseValues(string output) =>
        output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Contains(": ", StringComparison.Ordinal))
            .Select(line => line.Split(": ", 2))
            .ToDictionary(parts => parts[0], parts => parts[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray());
}
