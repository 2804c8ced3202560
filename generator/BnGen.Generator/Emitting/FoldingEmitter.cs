using BnGen.Generator.Model;

namespace BnGen.Generator.Emitting;

/// <summary>
/// FoldInto: rewrites the preceding linear or convolution layer's weight and bias so that it alone computes what it and
/// this layer in evaluation mode (before the activation) compute together.
/// </summary>
internal static class FoldingEmitter
{
    private const string Formula = "weight[c, …] · s[c], bias[c] = (bias[c] − runningMean[c]) · s[c] + β[c] with s = γ / sqrt(runningVar + ε), "
        + "in double, rounded once (PyTorch's fuse_linear_bn_eval / fuse_conv_bn_eval)";

    public static void WriteInstance(CodeWriter w, EmitContext c)
    {
        if (!c.Track)
        {
            return;
        }
        w.Summary("Folds this layer's evaluation-mode transform (before any activation) into the preceding linear or convolution "
            + "layer, in place: " + Formula + ". That layer alone then computes what both did.",
            "<param name=\"weight\">Its weight, output channel outermost (Linear.weight [Features, in], Conv2d.weight "
            + "[Features, in/groups, kh, kw]).</param>",
            "<param name=\"bias\">Its bias, Features values (zeros if it had none).</param>",
            "<exception cref=\"global::System.ArgumentException\">A length is wrong. Nothing is written.</exception>");
        w.Line(c.GeneratedCode);
        w.Line($"public void FoldInto(BnGenSpan weight, BnGenSpan bias) => _bnGen.FoldInto(weight, bias);");
        w.Line();
    }

    public static void WriteStatic(CodeWriter w, EmitContext c)
    {
        if (!c.Track)
        {
            return;
        }
        ApiMethod fold = c.Method(GeneratedApi.FoldInto, true);
        w.Summary("<see cref=\"FoldInto(BnGenSpan, BnGenSpan)\"/> with the given parameters and statistics: " + Formula + ".",
            "<param name=\"weight\">The preceding layer's weight, output channel outermost.</param>",
            "<param name=\"bias\">Its bias, Features values (zeros if it had none).</param>");
        if (c.Affine)
        {
            w.Doc("<param name=\"bnWeight\">γ, length Features.</param>");
            w.Doc("<param name=\"bnBias\">β, length Features.</param>");
        }
        w.Doc("<param name=\"runningMean\">Running mean, length Features.</param>");
        w.Doc("<param name=\"runningVar\">Running variance, length Features.</param>");
        w.Doc("<exception cref=\"global::System.ArgumentException\">A length is wrong. Nothing is written.</exception>");
        w.Line(c.GeneratedCode);
        w.Call("public static void FoldInto", c.Parameters(fold), string.Empty);
        w.Call($"    => global::BnGen.Internal.Folding.Fold<{c.T}, BnGenLayer>",
            InstanceEmitter.Arguments(fold, "weight", "bias", "bnWeight", "bnBias", "runningMean", "runningVar"), ";");
        w.Line();
    }
}
