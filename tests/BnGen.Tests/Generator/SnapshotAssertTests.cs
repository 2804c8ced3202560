using System;
using System.IO;
using BnGen.Tests.Infrastructure;
using Xunit;
using Xunit.Sdk;

namespace BnGen.Tests.Generator;

/// <summary>The snapshot machinery itself: scrubbing, the diff of a failure, and the received file it leaves behind.</summary>
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

    [Fact]
    public void Mismatch_WritesReceived_AndFails_MatchRemovesIt()
    {
        if (SnapshotAssert.Accepting)
        {
            return;   // accepting writes verified files by design; this test is about comparing
        }
        string directory = Path.Combine(Path.GetTempPath(), "bngen-snapshot-" + Guid.NewGuid().ToString("N"));
        string caller = Path.Combine(directory, "FakeTests.cs");
        string snapshots = Path.Combine(directory, "Snapshots");
        Directory.CreateDirectory(snapshots);
        try
        {
            File.WriteAllText(Path.Combine(snapshots, "case.verified.cs"), "line 1\nline 2\n");

            var failure = Assert.Throws<XunitException>(() => SnapshotAssert.Matches("line 1\nline two\n", "case", caller));
            Assert.Contains("-line 2\n+line two\n", failure.Message, StringComparison.Ordinal);
            Assert.Contains(SnapshotAssert.AcceptCommand, failure.Message, StringComparison.Ordinal);
            Assert.Equal("line 1\nline two\n", File.ReadAllText(Path.Combine(snapshots, "case.received.cs")));

            SnapshotAssert.Matches("line 1\r\nline 2\r\n", "case", caller);   // CRLF is not a difference
            Assert.False(File.Exists(Path.Combine(snapshots, "case.received.cs")));

            Assert.Throws<XunitException>(() => SnapshotAssert.Matches("new\n", "missing", caller));
            Assert.True(File.Exists(Path.Combine(snapshots, "missing.received.cs")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
