using BnGen.Generator.Model;

namespace BnGen.Generator.Emitting;

/// <summary>
/// <c>Features</c> and the constants struct: every kernel in <c>BnGen.Internal</c> is generic over it, so the JIT (or the
/// AOT compiler) compiles a copy of the kernels for this layer with these values folded in.
/// </summary>
internal static class ConstantsEmitter
{
    public static void Write(CodeWriter w, EmitContext c)
    {
        LayerSpec spec = c.Spec;
        w.Summary($"Number of {c.Unit} this layer normalizes.");
        w.Line(c.GeneratedCode);
        w.Line($"public const int Features = {c.Features};");
        w.Line();

        w.Line("// This layer's constants. The shared kernels are generic over this struct: the JIT compiles them once for this");
        w.Line("// layer with every value folded in, so every per-feature loop bound and stride is a constant.");
        w.Line(c.GeneratedCode);
        using (w.Block("private readonly struct BnGenLayer : global::BnGen.Internal.ILayerConstants"))
        {
            w.Line($"public int Features => {c.Features};");
            w.Line($"public global::BnGen.BatchNormLayout Layout => global::BnGen.BatchNormLayout.{spec.Layout};");
            w.Line($"public double Epsilon => {Literal.Double(spec.Epsilon)};");
            w.Line($"public double Momentum => {Literal.Double(spec.Momentum)};");
            w.Line($"public bool CumulativeAverage => {Literal.Bool(spec.CumulativeAverage)};");
            w.Line($"public bool Affine => {Literal.Bool(spec.Affine)};");
            w.Line($"public bool TrackRunningStats => {Literal.Bool(spec.TrackRunningStats)};");
            w.Line($"public global::BnGen.BatchNormActivation Activation => global::BnGen.BatchNormActivation.{spec.Activation};");
            w.Line("public bool OptionalParameters => false;");
        }
        w.Line();
    }
}
