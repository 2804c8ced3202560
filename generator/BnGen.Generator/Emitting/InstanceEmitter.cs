using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Model;

namespace BnGen.Generator.Emitting;

/// <summary>The instance API: Forward and Backward with the layer's state, the resets, and folding into the layer before.</summary>
internal static class InstanceEmitter
{
    public static void Write(CodeWriter w, EmitContext c)
    {
        WriteForward(w, c);
        WriteBackward(w, c);
        StateEmitter.WriteResets(w, c);
        FoldingEmitter.WriteInstance(w, c);
        StateDictEmitter.Write(w, c);
    }

    private static void WriteForward(CodeWriter w, EmitContext c)
    {
        string relu = c.Relu ? ", then ReLU" : string.Empty;
        string summary = $"Training mode: y = (x − mean) / sqrt(var + ε) · γ + β{relu}, with each feature's batch mean and biased "
            + $"variance over {c.PerFeatureText} values"
            + (c.Track
                ? "; the running statistics move toward them and NumBatchesTracked grows by one. Evaluation mode: the running "
                  + "statistics instead, nothing updated."
                : " (in both modes: no running statistics).")
            + " In place (output = input) is allowed, but then Backward no longer has x.";
        w.Summary(summary,
            $"<param name=\"input\">x, {c.ShapeText}.</param>",
            "<param name=\"output\">y.</param>");
        foreach (string doc in c.DimensionDocs())
        {
            w.Doc(doc);
        }
        w.Doc("<exception cref=\"global::System.ArgumentOutOfRangeException\">A dimension is not positive.</exception>");
        w.Doc("<exception cref=\"global::System.ArgumentException\">A length does not match, or batch statistics over one value per "
            + "feature. A rejected call changes nothing.</exception>");
        w.Line(c.GeneratedCode);
        ApiMethod forward = c.Method(GeneratedApi.Forward, false);
        w.Call("public void Forward", c.Parameters(forward), string.Empty);
        w.Line($"    => _bnGen.Forward(input, output, {c.Shape});");
        w.Line();
    }

    private static void WriteBackward(CodeWriter w, EmitContext c)
    {
        string relu = c.Relu ? " dy is the ReLU output's gradient, passed where that output (recomputed exactly) is > 0." : string.Empty;
        string grads = c.Affine ? " Writes WeightGrad = Σ dy·x̂ and BiasGrad = Σ dy." : string.Empty;
        w.Summary("The gradient of the last Forward, which must have had this shape: after batch statistics "
            + "dx = γ·invStd·(dy − Σdy/n − x̂·Σ(dy·x̂)/n), after running statistics dx = dy · γ / sqrt(RunningVar + ε)." + relu + grads,
            "<param name=\"input\">x, as given to Forward.</param>",
            "<param name=\"gradOutput\">dLoss/dy.</param>",
            "<param name=\"gradInput\">dLoss/dx, written; may be <paramref name=\"gradOutput\"/>.</param>");
        foreach (string doc in c.DimensionDocs())
        {
            w.Doc(doc);
        }
        w.Doc("<exception cref=\"global::System.ArgumentOutOfRangeException\">A dimension is not positive.</exception>");
        w.Doc("<exception cref=\"global::System.ArgumentException\">A length does not match.</exception>");
        w.Doc("<exception cref=\"global::System.InvalidOperationException\">No Forward yet, or one of another shape.</exception>");
        w.Line(c.GeneratedCode);
        ApiMethod backward = c.Method(GeneratedApi.Backward, false);
        w.Call("public void Backward", c.Parameters(backward), string.Empty);
        w.Line($"    => _bnGen.Backward(input, gradOutput, gradInput, {c.Shape}, nameof({c.Spec.ClassName}));");
        w.Line();
    }

    /// <summary>The arguments of a call: each name, or <c>default</c> where the method has no such parameter.</summary>
    public static List<string> Arguments(ApiMethod method, params string[] names)
        => names.Select(n => method.Parameters.Any(p => p.Name == n) ? n : "default").ToList();
}
