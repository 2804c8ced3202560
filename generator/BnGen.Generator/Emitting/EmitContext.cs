using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Model;

namespace BnGen.Generator.Emitting;

/// <summary>What the emitters need to know about one layer, and the spellings its file uses.</summary>
internal sealed class EmitContext
{
    public EmitContext(LayerSpec spec, string version)
    {
        Spec = spec;
        T = spec.Element == ElementKind.Float ? "float" : "double";
        GeneratedCode = $"[BnGenGeneratedCode(\"BnGen.Generator\", \"{version}\")]";
        Api = GeneratedApi.Methods(ApiShape.Of(spec));
        Dims = GeneratedApi.DimensionNames(spec.Layout);
    }

    public LayerSpec Spec { get; }

    /// <summary><c>float</c> or <c>double</c>.</summary>
    public string T { get; }

    public string GeneratedCode { get; }

    /// <summary>The generated methods and their signatures (shared with the analyzers).</summary>
    public IReadOnlyList<ApiMethod> Api { get; }

    /// <summary>The dimension parameters: <c>batch</c> (NC), <c>batch, height, width</c>, or <c>batch, length</c> (NCL).</summary>
    public IReadOnlyList<string> Dims { get; }

    public bool Affine => Spec.Affine;

    public bool Track => Spec.TrackRunningStats;

    public bool Relu => Spec.Activation == ActivationKind.ReLU;

    public string Features => Literal.Int(Spec.Features);

    /// <summary>The file's type aliases: short names for the long ones, prefixed so that they cannot meet a user's type.</summary>
    public IEnumerable<string> Aliases() => new[]
    {
        $"using BnGenReadOnlySpan = global::System.ReadOnlySpan<{T}>;",
        $"using BnGenSpan = global::System.Span<{T}>;",
        "using BnGenReadOnlyDoubles = global::System.ReadOnlySpan<double>;",
        "using BnGenDoubles = global::System.Span<double>;",
        "using BnGenShape = global::BnGen.Internal.TensorShape;",
        "using BnGenGeneratedCode = global::System.CodeDom.Compiler.GeneratedCodeAttribute;",
    };

    /// <summary>The C# spelling of a <see cref="ApiParameter.Type"/> in this file.</summary>
    public string TypeName(string apiType) => apiType switch
    {
        "int" or "double" or "string" => apiType,
        "System.ReadOnlySpan<double>" when T == "double" => "BnGenReadOnlySpan",
        "System.Span<double>" when T == "double" => "BnGenSpan",
        "System.ReadOnlySpan<double>" => "BnGenReadOnlyDoubles",
        "System.Span<double>" => "BnGenDoubles",
        _ when apiType == $"System.ReadOnlySpan<{T}>" => "BnGenReadOnlySpan",
        _ when apiType == $"System.Span<{T}>" => "BnGenSpan",
        _ => "global::" + apiType,
    };

    /// <summary>A method's parameters as declarations: <c>BnGenReadOnlySpan input</c>, …</summary>
    public IReadOnlyList<string> Parameters(ApiMethod method)
        => method.Parameters.Select(p => TypeName(p.Type) + " " + p.Name).ToList();

    /// <summary>The generated method <paramref name="name"/> with exactly <paramref name="parameterCount"/> parameters.</summary>
    public ApiMethod Method(string name, bool isStatic, int parameterCount = -1)
        => Api.First(m => m.Name == name && m.IsStatic == isStatic && (parameterCount < 0 || m.Parameters.Count == parameterCount));

    /// <summary>All overloads of a generated method, in emission order.</summary>
    public IEnumerable<ApiMethod> Overloads(string name, bool isStatic) => Api.Where(m => m.Name == name && m.IsStatic == isStatic);

    /// <summary>The shape of the call, validated: <c>BnGenShape.NCHW(batch, height, width)</c>.</summary>
    public string Shape => $"BnGenShape.{Spec.Layout}({string.Join(", ", Dims)})";

    /// <summary>The layout's PyTorch module and memory order, for comments.</summary>
    public string Module => Spec.Layout switch
    {
        LayerLayout.NCHW => "BatchNorm2d (NCHW)",
        LayerLayout.NHWC => "BatchNorm2d, channels last (NHWC)",
        LayerLayout.NCL => "BatchNorm1d on 3-D input (NCL)",
        _ => "BatchNorm1d (NC)",
    };

    /// <summary>What the tensor spans hold, for documentation.</summary>
    public string TensorText => Spec.Layout switch
    {
        LayerLayout.NCHW => "<c>batch · Features · height · width</c> values, <c>[batch, Features, height, width]</c> row-major",
        LayerLayout.NHWC => "<c>batch · height · width · Features</c> values, <c>[batch, height, width, Features]</c> row-major",
        LayerLayout.NCL => "<c>batch · Features · length</c> values, <c>[batch, Features, length]</c> row-major",
        _ => "<c>batch · Features</c> values, <c>[batch, Features]</c> row-major",
    };

    /// <summary>The tensor's dimensions, for documentation: <c>[batch, Features, height, width]</c>.</summary>
    public string ShapeText => Spec.Layout switch
    {
        LayerLayout.NCHW => "<c>[batch, Features, height, width]</c>",
        LayerLayout.NHWC => "<c>[batch, height, width, Features]</c>",
        LayerLayout.NCL => "<c>[batch, Features, length]</c>",
        _ => "<c>[batch, Features]</c>",
    };

    /// <summary>n, the values per feature that batch statistics run over.</summary>
    public string PerFeatureText => Spec.Layout switch
    {
        LayerLayout.NCHW or LayerLayout.NHWC => "n = batch · height · width",
        LayerLayout.NCL => "n = batch · length",
        _ => "n = batch",
    };

    /// <summary>The unit of <c>Features</c>.</summary>
    public string Unit => Spec.Layout is LayerLayout.NC ? "features" : "channels";

    /// <summary>The <c>&lt;param&gt;</c> elements of the dimensions.</summary>
    public IEnumerable<string> DimensionDocs(string suffix = "") => Dims.Select(d => d switch
    {
        "batch" => $"<param name=\"batch\">Batch size N{suffix}.</param>",
        "height" => $"<param name=\"height\">Height H{suffix}.</param>",
        "width" => $"<param name=\"width\">Width W{suffix}.</param>",
        _ => $"<param name=\"length\">Length L{suffix}.</param>",
    });

    /// <summary>An element-type literal.</summary>
    public string Lit(double value) => T == "float" ? Literal.Float((float)value) : Literal.Double(value);
}
