namespace BnGen.Generator.Model;

/// <summary>Mirrors <c>BnGen.BatchNormLayout</c>: the netstandard2.0 generator cannot reference the runtime library.</summary>
internal enum LayerLayout
{
    NC = 0,
    NCHW = 1,
    NHWC = 2,
    NCL = 3,
}

/// <summary>Mirrors <c>BnGen.BatchNormActivation</c>.</summary>
internal enum ActivationKind
{
    None = 0,
    ReLU = 1,
}

/// <summary>The element type named by <c>ElementType = typeof(...)</c>.</summary>
internal enum ElementKind
{
    Float,
    Double,
}

/// <summary>
/// Everything needed to emit one layer. Cached by Roslyn between edits, so it must stay immutable and value-equal:
/// strings, numbers, enums and <see cref="EquatableArray{T}"/> only; never symbols, syntax or locations.
/// </summary>
/// <param name="FullName">Metadata-style name, e.g. <c>Vision.Outer.StemNorm</c>; also names the output file.</param>
/// <param name="Namespace">Namespace as written in C# (keywords escaped), or null for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of the containing types, outermost first, e.g. <c>partial class Outer</c>.</param>
/// <param name="ClassName">The layer's identifier as written in C# (escaped with <c>@</c> if it is a keyword).</param>
/// <param name="Keyword"><c>class</c> or <c>record</c>, whichever the user's declaration uses.</param>
internal sealed record LayerSpec(
    string FullName,
    string? Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string Keyword,
    int Features,
    LayerLayout Layout,
    ElementKind Element,
    double Epsilon,
    double Momentum,
    bool Affine,
    bool TrackRunningStats,
    bool CumulativeAverage,
    ActivationKind Activation = ActivationKind.None)
{
    public string HintName => FullName + ".BatchNorm.g.cs";
}
