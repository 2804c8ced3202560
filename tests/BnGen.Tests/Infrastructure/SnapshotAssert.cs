using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Xunit.Sdk;

namespace BnGen.Tests.Infrastructure;

/// <summary>What <see cref="SnapshotAssert.Matches(string, string, string)"/> does with a snapshot.</summary>
internal enum SnapshotMode
{
    /// <summary>Compare with the verified file; on a difference write the received file and fail.</summary>
    Compare,

    /// <summary>Write the verified file (accepting the generated text) and pass.</summary>
    Accept,
}

/// <summary>
/// Compares generated text exactly with a committed <c>Snapshots/&lt;name&gt;.verified.cs</c> beside the calling test file.
/// On a mismatch (or a missing snapshot) it writes <c>&lt;name&gt;.received.cs</c> beside it and fails with a unified diff.
/// With the environment variable <c>BNGEN_ACCEPT_SNAPSHOTS=1</c> it writes the verified file instead and passes, except
/// on CI (the variable <c>CI</c> set): there accept mode is refused and every snapshot comparison fails.
/// </summary>
internal static partial class SnapshotAssert
{
    public const string AcceptVariable = "BNGEN_ACCEPT_SNAPSHOTS";

    /// <summary>Set by CI systems (GitHub Actions, GitLab, Azure Pipelines, …); accept mode is refused when it is.</summary>
    public const string CiVariable = "CI";

    /// <summary>Lines of context around each change in the diff of a failure.</summary>
    private const int Context = 3;

    /// <summary>At most this many diff lines go into a failure message; the received file has the rest.</summary>
    private const int MaxDiffLines = 400;

    /// <summary>The mode the environment asks for (see <see cref="ModeFor"/>).</summary>
    public static SnapshotMode Mode
        => ModeFor(Environment.GetEnvironmentVariable(AcceptVariable), Environment.GetEnvironmentVariable(CiVariable));

    /// <summary>
    /// <see cref="SnapshotMode.Accept"/> when <paramref name="accept"/> (the value of <c>BNGEN_ACCEPT_SNAPSHOTS</c>) is
    /// <c>1</c> or <c>true</c>, else <see cref="SnapshotMode.Compare"/>. Accepting with <paramref name="ci"/> (the value of
    /// <c>CI</c>) set to anything but empty, <c>0</c> or <c>false</c> throws: on CI a snapshot is compared, never rewritten.
    /// </summary>
    public static SnapshotMode ModeFor(string? accept, string? ci)
    {
        if (accept is not ("1" or "true"))
        {
            return SnapshotMode.Compare;
        }
        if (!string.IsNullOrEmpty(ci) && ci is not ("0" or "false"))
        {
            throw new XunitException(
                $"{AcceptVariable}={accept} is refused because {CiVariable}={ci}: on CI snapshots are compared, never rewritten. "
                + "Accept new snapshots on your machine, review them with git diff, and commit them.");
        }
        return SnapshotMode.Accept;
    }

    /// <summary>Compares (or, in accept mode, writes) <c>Snapshots/&lt;name&gt;.verified.cs</c> beside <paramref name="callerFile"/>.</summary>
    public static void Matches(string generated, string name, [CallerFilePath] string callerFile = "")
        => Matches(generated, name, Mode, callerFile);

    /// <summary>The snapshot folder beside a test file.</summary>
    public static string SnapshotDirectory(string callerFile) => Path.Combine(Path.GetDirectoryName(callerFile)!, "Snapshots");

    public static void Matches(string generated, string name, SnapshotMode mode, string callerFile)
    {
        string directory = SnapshotDirectory(callerFile);
        string verifiedPath = Path.Combine(directory, name + ".verified.cs");
        string receivedPath = Path.Combine(directory, name + ".received.cs");
        string received = Scrub(generated);

        if (mode == SnapshotMode.Accept)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, received, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }

        if (!File.Exists(verifiedPath))
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(receivedPath, received, new UTF8Encoding(false));
            throw new XunitException(
                $"No snapshot {verifiedPath}.\nWrote {receivedPath}.\nAccept all snapshots with: {AcceptCommand}");
        }

        // Git may have checked the file out with CRLF line ends; the generator always writes '\n'.
        string verified = File.ReadAllText(verifiedPath).Replace("\r\n", "\n");
        if (string.Equals(verified, received, StringComparison.Ordinal))
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received, new UTF8Encoding(false));
        throw new XunitException(
            $"Generated text differs from {verifiedPath}.\nWrote {receivedPath}.\n" +
            $"Accept all snapshots with: {AcceptCommand}\n\n" + UnifiedDiff(verified, received, name));
    }

    public const string AcceptCommand =
        "BNGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/BnGen.Tests -c Release --filter \"FullyQualifiedName~Generator\"";

    /// <summary>Replaces what legitimately changes between builds (the generator's version) with a placeholder.</summary>
    public static string Scrub(string text)
        => VersionPattern().Replace(text.Replace("\r\n", "\n"), "\"BnGen.Generator\", \"%VERSION%\"");

    [GeneratedRegex("\"BnGen\\.Generator\", \"[0-9]+(\\.[0-9]+){1,3}[^\"]*\"")]
    private static partial Regex VersionPattern();

    /// <summary>A unified diff (<c>---</c>/<c>+++</c>, <c>@@ -a,b +c,d @@</c> hunks, three lines of context) of two texts.</summary>
    public static string UnifiedDiff(string expected, string actual, string name)
    {
        // Both texts end with a line end; without trimming it the diff would count an empty line after it.
        DiffPaneModel model = InlineDiffBuilder.Diff(TrimFinalLineEnd(expected), TrimFinalLineEnd(actual), ignoreWhiteSpace: false, ignoreCase: false);
        List<DiffPiece> lines = model.Lines;

        // Line numbers in the old (verified) and new (received) texts of each diff line.
        var oldNumbers = new int[lines.Count];
        var newNumbers = new int[lines.Count];
        int oldLine = 0, newLine = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Type != ChangeType.Inserted)
            {
                oldLine++;
            }
            if (lines[i].Type != ChangeType.Deleted)
            {
                newLine++;
            }
            oldNumbers[i] = oldLine;
            newNumbers[i] = newLine;
        }

        var text = new StringBuilder();
        text.Append("--- ").Append(name).Append(".verified.cs\n");
        text.Append("+++ ").Append(name).Append(".received.cs\n");
        int written = 0;
        int index = 0;
        while (index < lines.Count)
        {
            if (!IsChange(lines[index]))
            {
                index++;
                continue;
            }

            // A hunk: context before, then changes merged while fewer than 2 × Context unchanged lines separate them.
            int start = Math.Max(0, index - Context);
            int end = index;
            while (end < lines.Count)
            {
                int next = end;
                while (next < lines.Count && !IsChange(lines[next]))
                {
                    next++;
                }
                if (next >= lines.Count || next - end > 2 * Context)
                {
                    end = Math.Min(lines.Count, end + Context);
                    break;
                }
                end = next + 1;
                while (end < lines.Count && IsChange(lines[end]))
                {
                    end++;
                }
            }

            int oldStart = start == 0 ? 1 : oldNumbers[start - 1] + 1;
            int newStart = start == 0 ? 1 : newNumbers[start - 1] + 1;
            int oldCount = 0, newCount = 0;
            for (int i = start; i < end; i++)
            {
                oldCount += lines[i].Type == ChangeType.Inserted ? 0 : 1;
                newCount += lines[i].Type == ChangeType.Deleted ? 0 : 1;
            }
            text.Append($"@@ -{oldStart},{oldCount} +{newStart},{newCount} @@\n");
            for (int i = start; i < end; i++)
            {
                char mark = lines[i].Type switch
                {
                    ChangeType.Inserted => '+',
                    ChangeType.Deleted => '-',
                    _ => ' ',
                };
                text.Append(mark).Append(lines[i].Text).Append('\n');
                if (++written >= MaxDiffLines)
                {
                    text.Append("… (diff truncated: compare the .received.cs file with the .verified.cs file)\n");
                    return text.ToString();
                }
            }
            index = end;
        }
        if (written == 0)
        {
            text.Append("(no line differs: the texts differ in line ends or in the final line end)\n");
        }
        return text.ToString();
    }

    private static string TrimFinalLineEnd(string text) => text.EndsWith('\n') ? text[..^1] : text;

    private static bool IsChange(DiffPiece line) => line.Type is ChangeType.Inserted or ChangeType.Deleted or ChangeType.Modified;
}
