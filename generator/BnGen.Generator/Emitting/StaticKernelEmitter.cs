using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Model;

namespace BnGen.Generator.Emitting;

/// <summary>
/// The stateless static kernels, for frameworks that own their buffers: each overload without
/// <c>maxDegreeOfParallelism</c> calls the one with it (1 thread), which calls the shared kernel with this layer's constants.
/// </summary>
internal static class StaticKernelEmitter
{
    public static void Write(CodeWriter w, EmitContext c)
    {
        Kernel(w, c, GeneratedApi.ForwardTraining, ForwardTrainingSummary(c),
            new[] { "input", "output", "SHAPE", "weight", "bias", "savedMean", "savedInvStd", "runningMean", "runningVar",
                c.Track ? "exponentialAverageFactor" : "0d" });
        if (c.Track)
        {
            Kernel(w, c, GeneratedApi.ForwardInference, ForwardInferenceSummary(c),
                new[] { "input", "output", "SHAPE", "weight", "bias", "runningMean", "runningVar" });
        }
        Kernel(w, c, GeneratedApi.BackwardTraining, BackwardTrainingSummary(c),
            new[] { "input", "gradOutput", "gradInput", "SHAPE", "weight", "bias", "savedMean", "savedInvStd", "weightGrad", "biasGrad" });
        if (c.Track)
        {
            Kernel(w, c, GeneratedApi.BackwardInference, BackwardInferenceSummary(c),
                new[] { "input", "gradOutput", "gradInput", "SHAPE", "weight", "bias", "runningMean", "runningVar", "weightGrad", "biasGrad" });
        }
    }

    private static void Kernel(CodeWriter w, EmitContext c, string name, string summary, string[] kernelArguments)
    {
        List<ApiMethod> overloads = c.Overloads(name, true).ToList();
        ApiMethod single = overloads[0], parallel = overloads[1];

        w.Summary($"{Title(name)} on the calling thread: the overload with <c>maxDegreeOfParallelism</c> = 1.");
        w.Line(c.GeneratedCode);
        w.Call($"public static void {name}", c.Parameters(single), string.Empty);
        w.Call($"    => {name}", single.Parameters.Select(p => p.Name).Concat(new[] { "1" }).ToList(), ";");
        w.Line();

        Docs(w, c, summary, parallel, withDegree: true);
        w.Line(c.GeneratedCode);
        w.Call($"public static void {name}", c.Parameters(parallel), string.Empty);
        var arguments = new List<string> { "default" };
        arguments.AddRange(kernelArguments.Select(a => a == "SHAPE" ? c.Shape
            : a.EndsWith("d", System.StringComparison.Ordinal) && char.IsDigit(a[0]) ? a
            : parallel.Parameters.Any(p => p.Name == a) ? a : "default"));
        arguments.Add("maxDegreeOfParallelism");
        w.Call($"    => global::BnGen.Internal.LayerKernels<{c.T}, BnGenLayer>.{name}", arguments, ";");
        w.Line();
    }

    private static string Title(string name) => name switch
    {
        GeneratedApi.ForwardTraining => "Training-mode forward",
        GeneratedApi.ForwardInference => "Evaluation-mode forward",
        GeneratedApi.BackwardTraining => "Training-mode backward",
        _ => "Evaluation-mode backward",
    };

    private static void Docs(CodeWriter w, EmitContext c, string summary, ApiMethod method, bool withDegree)
    {
        w.Summary(summary);
        foreach (ApiParameter parameter in method.Parameters)
        {
            w.Doc($"<param name=\"{parameter.Name}\">{ParameterText(c, parameter.Name)}</param>");
        }
        string factor = method.Parameters.Any(p => p.Name == "exponentialAverageFactor") ? ", the factor is not in [0, 1]" : string.Empty;
        string degree = withDegree ? ", maxDegreeOfParallelism is 0 or below -1" : string.Empty;
        string single = method.Name.EndsWith("Training", System.StringComparison.Ordinal) ? ", or n = 1 value per feature" : string.Empty;
        w.Doc($"<exception cref=\"global::System.ArgumentOutOfRangeException\">A dimension is not positive{factor}{degree}.</exception>");
        w.Doc($"<exception cref=\"global::System.ArgumentException\">A length does not match{single}. Nothing is written.</exception>");
    }

    private static string ParameterText(EmitContext c, string name) => name switch
    {
        "input" => $"x, {c.ShapeText}.",
        "output" => "y; may be <paramref name=\"input\"/>.",
        "gradOutput" => c.Relu ? "dLoss/dy of the ReLU's output." : "dLoss/dy.",
        "gradInput" => "dLoss/dx, written; may be <paramref name=\"gradOutput\"/>.",
        "batch" => "Batch size N.",
        "height" => "Height H.",
        "width" => "Width W.",
        "length" => "Length L.",
        "weight" => "γ.",
        "bias" => c.Relu ? "β (the backward recomputes ReLU's gate with it)." : "β.",
        "savedMean" => "Batch mean per feature, in double (written by ForwardTraining).",
        "savedInvStd" => "1 / sqrt(var + ε) per feature, in double (written by ForwardTraining).",
        "runningMean" => "Running mean.",
        "runningVar" => "Running unbiased variance.",
        "exponentialAverageFactor" => "Weight of the batch statistic: the momentum, or 1 / batches seen for a cumulative average.",
        "weightGrad" => "dLoss/dγ = Σ dy · x̂, written.",
        "biasGrad" => "dLoss/dβ = Σ dy, written.",
        "maxDegreeOfParallelism" => "Threads at most, this one included (-1: all cores); the result does not depend on it.",
        _ => name + ".",
    };

    private static string Relu(EmitContext c, string what) => c.Relu ? $", then ReLU: y = max(0, {what})" : string.Empty;

    private static string ForwardTrainingSummary(EmitContext c)
        => "Training-mode forward on caller-owned buffers (per-feature spans: Features values): y = (x − mean) · invStd · γ + β with "
            + $"the batch statistics, invStd = 1 / sqrt(var + {Literal.DoubleText(c.Spec.Epsilon)}), var biased" + Relu(c, "·") + "."
            + (c.Track ? " Then running = (1 − factor) · running + factor · batch statistic, the variance unbiased." : string.Empty);

    private static string ForwardInferenceSummary(EmitContext c)
        => "Evaluation-mode forward on caller-owned buffers: y = (x − runningMean) / sqrt(runningVar + "
            + $"{Literal.DoubleText(c.Spec.Epsilon)}){(c.Affine ? " · γ + β" : string.Empty)}" + Relu(c, "·") + ". Updates nothing.";

    private static string BackwardTrainingSummary(EmitContext c)
        => "Training-mode backward on caller-owned buffers: dx = γ·invStd·(dy − Σdy/n − x̂·Σ(dy·x̂)/n), "
            + "x̂ = (x − savedMean) · savedInvStd."
            + (c.Relu ? " dy passes only where the ReLU's output, recomputed as the forward computed it, is > 0." : string.Empty);

    private static string BackwardInferenceSummary(EmitContext c)
        => "Evaluation-mode backward on caller-owned buffers: dx = dy · γ / sqrt(runningVar + ε)"
            + (c.Relu ? " where the ReLU's output, recomputed as the forward computed it, is > 0" : string.Empty)
            + (c.Affine ? "; x̂ = (x − runningMean) / sqrt(runningVar + ε) for weightGrad" : string.Empty) + ".";
}
