using System;
using System.IO;
using BnGen.Tests.Infrastructure;
using Xunit;
using Xunit.Sdk;

namespace BnGen.Tests.Generator;

/// <summary>
/// The snapshot machinery itself: scrubbing, the diff of a failure, the received file it leaves behind, accept mode, and
/// accept mode refused on CI. Each test names its mode, so it checks the same thing whatever BNGEN_ACCEPT_SNAPSHOTS says.
/// </summary>
public class SnapshotAssertTests
{
    [Fact]
    public void Scrub_ReplacesTheGeneratorVersion_Only()
    {
        string text = "[global::System.CodeDom.Compiler.GeneratedCode(\"BnGen.Generator\", \"1.2.3.4\")]\r\n"
                      + "[global::System.CodeDom.Compiler.GeneratedCode(\"Other\", \"1.2.3.4\")]\n";
        Assert.Equal(
            "[global::System.CodeDom.Compiler.GeneratedCode(\"BnGen.Generator\", \"%VERSION%\")]\n"
            + "[global::System.CodeDom.Compiler.GeneratedCode(\"Other\", \"1.2.3.4\")]\n",
            SnapshotAssert.Scrub(text));
    }

    [Fact]
    public void UnifiedDiff_ShowsChangedLinesWithContextAndLineNumbers()
    {
        string expected = string.Join("\n", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l") + "\n";
        string actual = expected.Replace("c\n", "C\n", StringComparison.Ordinal).Replace("l\n", "l\nm\n", StringComparison.Ordinal);
        Assert.Equal(
            """
            --- x.verified.cs
            +++ x.received.cs
            @@ -1,6 +1,6 @@
             a
             b
            -c
            +C
             d
             e
             f
            @@ -10,3 +10,4 @@
             j
             k
             l
            +m

            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            SnapshotAssert.UnifiedDiff(expected, actual, "x"));
    }

    /// <summary>A throw-away test folder with a Snapshots/ folder beside a fake test file.</summary>
    private sealed class Scratch : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "bngen-snapshot-" + Guid.NewGuid().ToString("N"));

        public Scratch() => Directory.CreateDirectory(Snapshots);

        public string Caller => Path.Combine(_root, "FakeTests.cs");

        public string Snapshots => Path.Combine(_root, "Snapshots");

        public string File(string name) => Path.Combine(Snapshots, name);

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Compare_Mismatch_WritesReceived_AndFails_MatchRemovesIt()
    {
        using var scratch = new Scratch();
        File.WriteAllText(scratch.File("case.verified.cs"), "line 1\nline 2\n");

        var failure = Assert.Throws<XunitException>(() => SnapshotAssert.Matches("line 1\nline two\n", "case", SnapshotMode.Compare, scratch.Caller));
        Assert.Contains("-line 2\n+line two\n", failure.Message, StringComparison.Ordinal);
        Assert.Contains(SnapshotAssert.AcceptCommand, failure.Message, StringComparison.Ordinal);
        Assert.Equal("line 1\nline two\n", File.ReadAllText(scratch.File("case.received.cs")));
        Assert.Equal("line 1\nline 2\n", File.ReadAllText(scratch.File("case.verified.cs")));

        SnapshotAssert.Matches("line 1\r\nline 2\r\n", "case", SnapshotMode.Compare, scratch.Caller);   // CRLF is not a difference
        Assert.False(File.Exists(scratch.File("case.received.cs")));

        Assert.Throws<XunitException>(() => SnapshotAssert.Matches("new\n", "missing", SnapshotMode.Compare, scratch.Caller));
        Assert.True(File.Exists(scratch.File("missing.received.cs")));
        Assert.False(File.Exists(scratch.File("missing.verified.cs")));
    }

    [Fact]
    public void Accept_WritesTheScrubbedVerifiedFile_RemovesReceived_AndPasses()
    {
        using var scratch = new Scratch();
        File.WriteAllText(scratch.File("case.verified.cs"), "old\n");
        File.WriteAllText(scratch.File("case.received.cs"), "stale\n");
        string generated = "[GeneratedCode(\"BnGen.Generator\", \"9.9.9.9\")]\r\nnew\r\n";

        SnapshotAssert.Matches(generated, "case", SnapshotMode.Accept, scratch.Caller);
        Assert.Equal("[GeneratedCode(\"BnGen.Generator\", \"%VERSION%\")]\nnew\n", File.ReadAllText(scratch.File("case.verified.cs")));
        Assert.False(File.Exists(scratch.File("case.received.cs")));
        SnapshotAssert.Matches(generated, "case", SnapshotMode.Compare, scratch.Caller);   // what was accepted now compares equal

        SnapshotAssert.Matches("fresh\n", "added", SnapshotMode.Accept, scratch.Caller);
        Assert.Equal("fresh\n", File.ReadAllText(scratch.File("added.verified.cs")));
    }

    [Theory]
    [InlineData(null, null, false)]
    [InlineData(null, "true", false)]
    [InlineData("0", null, false)]
    [InlineData("yes", null, false)]
    [InlineData("1", null, true)]
    [InlineData("true", "", true)]
    [InlineData("1", "false", true)]
    [InlineData("1", "0", true)]
    public void ModeFollowsTheAcceptVariable(string? accept, string? ci, bool accepts)
        => Assert.Equal(accepts ? SnapshotMode.Accept : SnapshotMode.Compare, SnapshotAssert.ModeFor(accept, ci));

    [Theory]
    [InlineData("1", "true")]
    [InlineData("true", "1")]
    [InlineData("1", "yes")]
    public void AcceptModeIsRefusedOnCI(string accept, string ci)
    {
        var refusal = Assert.Throws<XunitException>(() => SnapshotAssert.ModeFor(accept, ci));
        Assert.Contains("refused", refusal.Message, StringComparison.Ordinal);
        Assert.Contains("CI=" + ci, refusal.Message, StringComparison.Ordinal);
    }
}
