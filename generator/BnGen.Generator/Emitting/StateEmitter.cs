namespace BnGen.Generator.Emitting;

/// <summary>The layer's state: parameters, running statistics, the mode and the options, kept by one LayerCore.</summary>
internal static class StateEmitter
{
    public static void Write(CodeWriter w, EmitContext c)
    {
        string t = c.T;
        w.Line("// The parameters, the running statistics and the last forward's statistics and shape.");
        w.Line(c.GeneratedCode);
        w.Line($"private readonly global::BnGen.Internal.LayerCore<{t}, BnGenLayer> _bnGen = new();");
        w.Line();

        if (c.Affine)
        {
            Property(w, c, $"{t}[] Weight", "_bnGen.Weight",
                "γ (PyTorch's <c>weight</c>), initially 1. Read afresh by every call: write into it freely.");
            Property(w, c, $"{t}[] Bias", "_bnGen.Bias",
                "β (PyTorch's <c>bias</c>), initially 0. Read afresh by every call.");
            Property(w, c, $"{t}[] WeightGrad", "_bnGen.WeightGrad",
                "dLoss/dγ = Σ dy · x̂, written by Backward (added to with <see cref=\"AccumulateGradients\"/>).");
            Property(w, c, $"{t}[] BiasGrad", "_bnGen.BiasGrad",
                "dLoss/dβ = Σ dy, written by Backward like <see cref=\"WeightGrad\"/>.");
        }
        if (c.Track)
        {
            string update = c.Spec.CumulativeAverage
                ? "the cumulative average of the batch means over all training batches (PyTorch's momentum=None)"
                : $"each training forward sets (1 − {Literal.DoubleText(c.Spec.Momentum)}) · running + "
                  + $"{Literal.DoubleText(c.Spec.Momentum)} · batch mean";
            Property(w, c, $"{t}[] RunningMean", "_bnGen.RunningMean", $"Running mean, initially 0: {update}.");
            Property(w, c, $"{t}[] RunningVar", "_bnGen.RunningVar",
                "Running unbiased variance (var · n/(n − 1)), initially 1, updated like <see cref=\"RunningMean\"/>.");
            w.Summary("Successful training forwards (PyTorch's <c>num_batches_tracked</c>); settable, to resume a checkpoint.",
                "<exception cref=\"global::System.ArgumentOutOfRangeException\">The value is negative (nothing changes).</exception>");
            w.Line(c.GeneratedCode);
            w.Line("public long NumBatchesTracked { get => _bnGen.NumBatchesTracked; set => _bnGen.NumBatchesTracked = value; }");
            w.Line();
        }

        string eval = c.Track
            ? "false: normalize with the running statistics, update nothing"
            : "false: the same (without running statistics PyTorch uses the batch statistics in both modes)";
        string trainUpdate = c.Track ? " and update the running statistics" : string.Empty;
        w.Summary($"true (initially): normalize with the batch statistics{trainUpdate}; {eval}.");
        w.Line(c.GeneratedCode);
        w.Line("public bool Training { get => _bnGen.Training; set => _bnGen.Training = value; }");
        w.Line();

        w.Summary("Threads a call may use, this one included: 1 (the default), -1 for all cores. The results do not depend on it.",
            "<exception cref=\"global::System.ArgumentOutOfRangeException\">0 or below -1 (nothing changes).</exception>");
        w.Line(c.GeneratedCode);
        w.Line("public int MaxDegreeOfParallelism");
        w.Line("{");
        w.Line("    get => _bnGen.MaxDegreeOfParallelism;");
        w.Line("    set => _bnGen.MaxDegreeOfParallelism = value;");
        w.Line("}");
        w.Line();

        w.Summary("When set, batch statistics are the global batch's, all processes' slices reduced through it (PyTorch's "
            + "SyncBatchNorm), and so are Backward's sums. null (the default): this process's batch.");
        w.Line(c.GeneratedCode);
        w.Line("public global::BnGen.IAllReduce? SyncStatistics { get => _bnGen.SyncStatistics; set => _bnGen.SyncStatistics = value; }");
        w.Line();

        if (c.Affine)
        {
            w.Summary("true: Backward adds to the gradients, as PyTorch's <c>.grad</c>, until <see cref=\"ZeroGradients\"/>. "
                + "false (the default): it overwrites them.");
            w.Line(c.GeneratedCode);
            w.Line("public bool AccumulateGradients { get => _bnGen.AccumulateGradients; set => _bnGen.AccumulateGradients = value; }");
            w.Line();
        }
    }

    /// <summary>PyTorch's reset_running_stats, reset_parameters and zero_grad.</summary>
    public static void WriteResets(CodeWriter w, EmitContext c)
    {
        if (c.Track)
        {
            w.Summary("PyTorch's <c>reset_running_stats</c>: running mean 0, running variance 1, count 0.");
            w.Line(c.GeneratedCode);
            w.Line("public void ResetRunningStats() => _bnGen.ResetRunningStats();");
            w.Line();
        }
        string what = (c.Track, c.Affine) switch
        {
            (true, true) => "<see cref=\"ResetRunningStats\"/>, then γ = 1 and β = 0",
            (true, false) => "<see cref=\"ResetRunningStats\"/> (the layer has no γ or β)",
            (false, true) => "γ = 1 and β = 0 (the layer has no running statistics)",
            _ => "the layer has neither parameters nor running statistics, so nothing changes",
        };
        w.Summary($"PyTorch's <c>reset_parameters</c>: {what}.");
        w.Line(c.GeneratedCode);
        w.Line("public void ResetParameters() => _bnGen.ResetParameters();");
        w.Line();
        if (c.Affine)
        {
            w.Summary("WeightGrad = BiasGrad = 0 (PyTorch's <c>zero_grad</c>).");
            w.Line(c.GeneratedCode);
            w.Line("public void ZeroGradients() => _bnGen.ZeroGradients();");
            w.Line();
        }
    }

    private static void Property(CodeWriter w, EmitContext c, string typeAndName, string source, string summary)
    {
        w.Summary(summary);
        w.Line(c.GeneratedCode);
        w.Line($"public {typeAndName} => {source};");
        w.Line();
    }
}
