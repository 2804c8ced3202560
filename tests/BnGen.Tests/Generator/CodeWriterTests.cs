using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using BnGen.Generator.Emitting;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// The code writer appends straight into its buffer (no per-line strings): its wrapping must equal the plain
/// definition — split the text at every space, refill lines word by word up to the width, trim each line's end — on
/// any text, including leading, trailing and repeated spaces and words longer than a line.
/// </summary>
public class CodeWriterTests
{
    [Fact]
    public void Doc_WrapsLikeSplittingAtSpacesAndRefilling()
    {
        var random = new Random(2026_11_30);
        for (int round = 0; round < 2000; round++)
        {
            string text = RandomText(random);
            int depth = random.Next(0, 4);
            var writer = new CodeWriter();
            var scopes = new List<CodeWriter.Scope>();
            for (int i = 0; i < depth; i++)
            {
                scopes.Add(writer.Block("partial class C" + i));
            }
            int before = writer.ToString().Length;
            writer.Doc(text);
            string written = writer.ToString().Substring(before);

            string indent = new(' ', depth * 4);
            string expected = string.Concat(ReferenceWrap(text, CodeWriter.MaxLine - depth * 4 - 4)
                .Select(line => indent + ("/// " + line).TrimEnd() + "\n"));
            Assert.True(expected == written, $"text [{text}] at depth {depth}:\nexpected\n{expected}\nwritten\n{written}");
        }
    }

    [Fact]
    public void Summary_OneLineWhenItFits_OtherwiseWrappedBetweenTags()
    {
        var writer = new CodeWriter();
        writer.Summary("Short.");
        string longText = string.Join(" ", Enumerable.Repeat("word", 40));
        writer.Summary(longText, "<param name=\"x\">X.</param>");
        string[] lines = writer.ToString().Split('\n');
        Assert.Equal("/// <summary>Short.</summary>", lines[0]);
        Assert.Equal("/// <summary>", lines[1]);
        Assert.Equal("/// </summary>", lines[4]);
        Assert.Equal(longText, lines[2].Substring(4) + " " + lines[3].Substring(4));
        Assert.True(lines[2].Length <= CodeWriter.MaxLine && lines[2].Length + 5 > CodeWriter.MaxLine);
        Assert.Equal("/// <param name=\"x\">X.</param>", lines[5]);
    }

    [Fact]
    public void Call_OneLineWhenItFits_OtherwiseItemsContinuedOneLevelDeeper()
    {
        var writer = new CodeWriter();
        writer.Call("public void F", new[] { "int a", "int b" }, string.Empty);
        writer.Call("public void G", Array.Empty<string>(), ";");
        string[] items = Enumerable.Range(0, 30).Select(i => "global::System.Span<float> parameter" + i).ToArray();
        using (writer.Block("partial class C"))
        {
            writer.Call("    => Target", items, ";");
        }
        string[] lines = writer.ToString().TrimEnd('\n').Split('\n');
        Assert.Equal("public void F(int a, int b)", lines[0]);
        Assert.Equal("public void G();", lines[1]);
        string[] wrapped = lines[4..^1];
        Assert.True(wrapped.Length > 1);
        Assert.StartsWith("        => Target(global::System.Span<float> parameter0,", wrapped[0]);
        Assert.All(wrapped.Skip(1), line => Assert.StartsWith(new string(' ', 12) + "global::", line));
        Assert.All(wrapped, line => Assert.True(line.Length <= CodeWriter.MaxLine, line));
        Assert.EndsWith("parameter29);", wrapped[^1]);
        string joined = string.Join(" ", wrapped.Select(l => l.Trim()));
        Assert.Equal("=> Target(" + string.Join(", ", items) + ");", joined);
    }

    /// <summary>The plain definition: words from <see cref="string.Split(char[])"/>, refilled up to the width.</summary>
    private static List<string> ReferenceWrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0)
            {
                line.Append(' ');
            }
            line.Append(word);
        }
        if (line.Length > 0)
        {
            lines.Add(line.ToString());
        }
        return lines;
    }

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        int words = random.Next(0, 60);
        for (int i = 0; i < words; i++)
        {
            text.Append(' ', random.Next(10) == 0 ? random.Next(0, 4) : 1);
            int length = random.Next(20) == 0 ? random.Next(100, 200) : random.Next(0, 15);
            for (int c = 0; c < length; c++)
            {
                text.Append((char)('a' + random.Next(26)));
            }
        }
        if (random.Next(4) == 0)
        {
            text.Append(' ', random.Next(1, 3));
        }
        return text.ToString();
    }
}
