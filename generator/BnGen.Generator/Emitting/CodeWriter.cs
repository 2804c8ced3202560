using System;
using System.Collections.Generic;
using System.Text;

namespace BnGen.Generator.Emitting;

/// <summary>
/// Writes indented C# with <c>'\n'</c> line ends and no trailing spaces, whatever the machine: lines, brace blocks as
/// <c>using</c> scopes, XML documentation, and signatures wrapped to stay within <see cref="MaxLine"/> characters.
/// </summary>
internal sealed class CodeWriter
{
    /// <summary>No generated line is longer than this.</summary>
    public const int MaxLine = 140;

    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>The current indentation, in spaces.</summary>
    public int Indentation => _indent * 4;

    public void Line(string line = "")
    {
        if (line.Length == 0)
        {
            _text.Append('\n');
            return;
        }
        _text.Append(' ', _indent * 4).Append(line.TrimEnd()).Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> and an opening brace; disposing the scope closes it.</summary>
    public Scope Block(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Scope(this);
    }

    /// <summary>A <c>/// &lt;summary&gt;</c> (one line, or several), then the other documentation lines given.</summary>
    public void Summary(string summary, params string[] more)
    {
        if (summary.Length + Indentation + 24 <= MaxLine)
        {
            Line($"/// <summary>{summary}</summary>");
        }
        else
        {
            Line("/// <summary>");
            foreach (string line in Wrap(summary, MaxLine - Indentation - 4))
            {
                Line("/// " + line);
            }
            Line("/// </summary>");
        }
        foreach (string line in more)
        {
            Doc(line);
        }
    }

    /// <summary>One documentation element (<c>&lt;param …&gt;…</c>), wrapped over several <c>///</c> lines if long.</summary>
    public void Doc(string element)
    {
        List<string> lines = Wrap(element, MaxLine - Indentation - 4);
        foreach (string line in lines)
        {
            Line("/// " + line);
        }
    }

    /// <summary>
    /// <paramref name="head"/>(<paramref name="items"/>)<paramref name="tail"/> on one line if it fits, otherwise with the
    /// items continued on lines indented one level deeper.
    /// </summary>
    public void Call(string head, IReadOnlyList<string> items, string tail)
    {
        string single = head + "(" + string.Join(", ", items) + ")" + tail;
        if (single.Length + Indentation <= MaxLine)
        {
            Line(single);
            return;
        }
        var line = new StringBuilder(head).Append('(');
        int limit = MaxLine - Indentation;
        int continuation = head.Length - head.TrimStart().Length + 4;
        bool first = true;
        for (int i = 0; i < items.Count; i++)
        {
            string item = items[i] + (i < items.Count - 1 ? "," : ")" + tail);
            if (!first && line.Length + 1 + item.Length > limit)
            {
                Line(line.ToString());
                line.Clear().Append(' ', continuation);
                first = true;
            }
            if (!first)
            {
                line.Append(' ');
            }
            line.Append(item);
            first = false;
        }
        if (items.Count == 0)
        {
            line.Append(')').Append(tail);
        }
        Line(line.ToString());
    }

    public override string ToString() => _text.ToString();

    /// <summary>Splits text at spaces into lines of at most <paramref name="width"/> characters (longer words stay whole).</summary>
    private static List<string> Wrap(string text, int width)
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

    /// <summary>Closes a brace block.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly CodeWriter _writer;

        public Scope(CodeWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}");
        }
    }
}
