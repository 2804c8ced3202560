using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
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

    /// <summary>
    /// <c>MethodImplOptions.AggressiveOptimization</c>, which netstandard2.0 does not name: on a .NET host (the compiler
    /// server) the writer's methods are compiled optimized at once instead of running as tier-0 code through a large
    /// consumer's first build (500 layers: 119–146 ms of writing before, 72–91 ms after). .NET Framework ignores it.
    /// </summary>
    private const MethodImplOptions Optimized = (MethodImplOptions)512;

    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>The current indentation, in spaces.</summary>
    public int Indentation => _indent * 4;

    [MethodImpl(Optimized)]
    public void Line(string line = "")
    {
        if (line.Length == 0)
        {
            _text.Append('\n');
            return;
        }
        int content = StartLine();
        _text.Append(line);
        EndLine(content);
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
    [MethodImpl(Optimized)]
    public void Summary(string summary, params string[] more)
    {
        if (summary.Length + Indentation + 24 <= MaxLine)
        {
            int content = StartLine();
            _text.Append("/// <summary>").Append(summary).Append("</summary>");
            EndLine(content);
        }
        else
        {
            Line("/// <summary>");
            Doc(summary);
            Line("/// </summary>");
        }
        foreach (string line in more)
        {
            Doc(line);
        }
    }

    /// <summary>
    /// <paramref name="head"/>(<paramref name="items"/>)<paramref name="tail"/> on one line if it fits, otherwise with the
    /// items continued on lines indented one level deeper.
    /// </summary>
    [MethodImpl(Optimized)]
    public void Call(string head, IReadOnlyList<string> items, string tail)
    {
        int single = head.Length + 2 + tail.Length + (items.Count > 1 ? 2 * (items.Count - 1) : 0);
        for (int i = 0; i < items.Count; i++)
        {
            single += items[i].Length;
        }
        int content = StartLine();
        _text.Append(head).Append('(');
        if (single + Indentation <= MaxLine)
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    _text.Append(", ");
                }
                _text.Append(items[i]);
            }
            _text.Append(')').Append(tail);
            EndLine(content);
            return;
        }
        int limit = MaxLine - Indentation;
        int continuation = head.Length - head.TrimStart().Length + 4;
        int length = head.Length + 1;
        bool first = true;
        for (int i = 0; i < items.Count; i++)
        {
            bool last = i == items.Count - 1;
            int itemLength = items[i].Length + (last ? 1 + tail.Length : 1);
            if (!first && length + 1 + itemLength > limit)
            {
                EndLine(content);
                content = StartLine();
                _text.Append(' ', continuation);
                length = continuation;
                first = true;
            }
            if (!first)
            {
                _text.Append(' ');
                length++;
            }
            _text.Append(items[i]);
            if (last)
            {
                _text.Append(')').Append(tail);
            }
            else
            {
                _text.Append(',');
            }
            length += itemLength;
            first = false;
        }
        if (items.Count == 0)
        {
            _text.Append(')').Append(tail);
        }
        EndLine(content);
    }

    public override string ToString() => _text.ToString();

    /// <summary>Writes the indentation; returns where the line's content starts.</summary>
    [MethodImpl(Optimized)]
    private int StartLine()
    {
        _text.Append(' ', _indent * 4);
        return _text.Length;
    }

    /// <summary>Drops the content's trailing white space, then ends the line.</summary>
    [MethodImpl(Optimized)]
    private void EndLine(int content)
    {
        int end = _text.Length;
        while (end > content && char.IsWhiteSpace(_text[end - 1]))
        {
            end--;
        }
        _text.Length = end;
        _text.Append('\n');
    }

    /// <summary>
    /// One documentation element (<c>&lt;param …&gt;…</c>, or a summary's text) as <c>///</c> lines of at most
    /// <see cref="MaxLine"/> characters, split at spaces (a longer word stays whole). Each line is a run of the text's words
    /// as written: it starts at a word, ends at a word, and keeps the spaces between them; a line never starts with the
    /// empty word between two spaces.
    /// </summary>
    [MethodImpl(Optimized)]
    public void Doc(string text)
    {
        int width = MaxLine - Indentation - 4;
        int lineStart = -1, lineEnd = 0;
        int wordStart = 0;
        while (wordStart <= text.Length)
        {
            int space = text.IndexOf(' ', wordStart);
            int wordEnd = space < 0 ? text.Length : space;
            int lineLength = lineStart < 0 ? 0 : lineEnd - lineStart;
            if (lineLength > 0 && lineLength + 1 + (wordEnd - wordStart) > width)
            {
                DocLine(text, lineStart, lineEnd);
                lineStart = -1;
                lineLength = 0;
            }
            if (lineLength > 0)
            {
                lineEnd = wordEnd;
            }
            else if (wordEnd > wordStart)
            {
                lineStart = wordStart;
                lineEnd = wordEnd;
            }
            if (space < 0)
            {
                break;
            }
            wordStart = space + 1;
        }
        if (lineStart >= 0 && lineEnd > lineStart)
        {
            DocLine(text, lineStart, lineEnd);
        }
    }

    [MethodImpl(Optimized)]
    private void DocLine(string text, int start, int end)
    {
        int content = StartLine();
        _text.Append("/// ").Append(text, start, end - start);
        EndLine(content);
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
