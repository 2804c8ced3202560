using BnGen.Generator.Model;

namespace BnGen.Generator.Emitting;

/// <summary>The spellings the emitted code uses for one layer: every type name fully qualified with <c>global::</c>.</summary>
internal sealed class EmitContext
{
    public EmitContext(LayerSpec spec, string version)
    {
        Spec = spec;
        T = spec.Element == ElementKind.Float ? "float" : "double";
        IsFloat = spec.Element == ElementKind.Float;
        Vec = $"global::System.Numerics.Vector<{T}>";
        Ros = $"global::System.ReadOnlySpan<{T}>";
        Span = $"global::System.Span<{T}>";
        GeneratedCode = $"[global::System.CodeDom.Compiler.GeneratedCode(\"BnGen.Generator\", \"{version}\")]";
        Nchw = spec.Layout == LayerLayout.NCHW;
        Dims = Nchw ? "int batch, int height, int width" : "int batch";
        DimArgs = Nchw ? "batch, height, width" : "batch";
        // NC kernels process features in blocks whose per-feature coefficients live on the stack.
        Block = spec.Features <= MaxBlock ? spec.Features : MaxBlock;
    }

    public const int MaxBlock = 512;

    public LayerSpec Spec { get; }
    public bool IsFloat { get; }
    public bool Nchw { get; }
    public bool Affine => Spec.Affine;
    public bool Track => Spec.TrackRunningStats;

    /// <summary><c>float</c> or <c>double</c>.</summary>
    public string T { get; }
    public string Vec { get; }
    public const string VecD = "global::System.Numerics.Vector<double>";
    public const string Vector = "global::System.Numerics.Vector";
    public const string Simd = "global::BnGen.Internal.Simd";
    public const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
    public const string Marshal = "global::System.Runtime.InteropServices.MemoryMarshal";
    public const string Throw = "global::BnGen.Internal.ThrowHelper";
    public const string Math = "global::System.Math";
    public const string RosD = "global::System.ReadOnlySpan<double>";
    public const string SpanD = "global::System.Span<double>";
    public const string Inline = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";
    public string Ros { get; }
    public string Span { get; }
    public string GeneratedCode { get; }
    public string Dims { get; }
    public string DimArgs { get; }
    public int Block { get; }

    public string Features => Literal.Int(Spec.Features);
    public string Epsilon => Literal.Double(Spec.Epsilon);
    public string Momentum => Literal.Double(Spec.Momentum);

    /// <summary>A literal of the element type.</summary>
    public string Lit(double value) => IsFloat ? Literal.Float((float)value) : Literal.Double(value);

    /// <summary>The cast from double to the element type, for an expression.</summary>
    public string ToT(string doubleExpression)
        => !IsFloat ? doubleExpression
            : IsSimple(doubleExpression) ? "(float)" + doubleExpression
            : $"(float)({doubleExpression})";

    /// <summary>An identifier, or a call or element access on one (<c>sumDy</c>, <c>Unsafe.Add(ref dots, j)</c>): a cast needs no parentheses.</summary>
    private static bool IsSimple(string expression)
    {
        int depth = 0;
        foreach (char ch in expression)
        {
            if (ch is '(' or '[' or '<')
            {
                depth++;
            }
            else if (ch is ')' or ']' or '>')
            {
                depth--;
            }
            else if (depth == 0 && !(char.IsLetterOrDigit(ch) || ch is '_' or '.' or ':'))
            {
                return false;
            }
        }
        return true;
    }
}
