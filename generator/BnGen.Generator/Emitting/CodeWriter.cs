using System.Text;

namespace BnGen.Generator.Emitting;

/// <summary>Writes indented C# with <c>'\n'</c> line ends and no trailing spaces, whatever the machine.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>A line that <see cref="Block"/> drops: what an optional part of a template stands for when it is absent.</summary>
    public const string Skip = "\u0001";

    public void Line(string line = "")
    {
        if (line.Trim().Length == 0)
        {
            _text.Append('\n');
            return;
        }
        _text.Append(' ', _indent * 4).Append(line.TrimEnd()).Append('\n');
    }

    /// <summary>Writes a multi-line block (e.g. a raw string template), each line at the current indentation.</summary>
    public void Block(string block)
    {
        string[] lines = block.Replace("\r\n", "\n").Split('\n');
        foreach (string line in lines)
        {
            // An indented line that is blank is an optional part that came out empty; a blank line at column 0 is meant.
            if (line.Trim() == Skip || (line.Length > 0 && line.Trim().Length == 0))
            {
                continue;
            }
            Line(line);
        }
    }

    public void Open(string line)
    {
        Line(line);
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        // A member block ends with a blank separator line; the closing brace follows the last member directly.
        while (_text.Length >= 2 && _text[_text.Length - 1] == '\n' && _text[_text.Length - 2] == '\n')
        {
            _text.Length--;
        }
        Line("}" + suffix);
    }

    public override string ToString() => _text.ToString();

    public static string Join(string separator, params string[] parts)
    {
        var builder = new StringBuilder();
        foreach (string part in parts)
        {
            if (part.Length == 0)
            {
                continue;
            }
            if (builder.Length > 0)
            {
                builder.Append(separator);
            }
            builder.Append(part);
        }
        return builder.ToString();
    }
}
