namespace BnGen.Generator.Emitting;

/// <summary>LoadStateDict and SaveStateDict: the layer's entries of a PyTorch state dict (safetensors), by PyTorch's key names.</summary>
internal static class StateDictEmitter
{
    public static void Write(CodeWriter w, EmitContext c)
    {
        string keys = Keys(c);
        w.Summary($"Loads this layer's entries of a PyTorch state dict, {keys}, converting them to {c.T} as <c>load_state_dict</c> "
            + "does. Strict: every key present with its shape and a numeric dtype; otherwise nothing is written.",
            "<param name=\"state\">The state dict, e.g. <c>StateDict.Load(\"model.safetensors\")</c>.</param>",
            "<param name=\"prefix\">The module's name in the model, e.g. <c>\"stem.bn1\"</c>; empty for none.</param>",
            "<exception cref=\"global::System.ArgumentException\">A key is missing or has a wrong shape or dtype.</exception>");
        w.Line(c.GeneratedCode);
        w.Line("public void LoadStateDict(global::BnGen.StateDict state, string prefix)");
        w.Line($"    => _bnGen.LoadStateDict(state, prefix, nameof({c.Spec.ClassName}));");
        w.Line();

        w.Summary($"Writes this layer's entries into a PyTorch state dict: {keys}, as {(c.T == "float" ? "F32" : "F64")}"
            + (c.Track ? " (the count as I64)" : string.Empty) + ", replacing keys that exist.",
            "<param name=\"state\">The state dict; save it with <c>state.Save(path)</c>.</param>",
            "<param name=\"prefix\">The module's name in the model; empty for none.</param>");
        w.Line(c.GeneratedCode);
        w.Line("public void SaveStateDict(global::BnGen.StateDict state, string prefix) => _bnGen.SaveStateDict(state, prefix);");
        w.Line();
    }

    private static string Keys(EmitContext c)
    {
        var keys = new System.Collections.Generic.List<string>();
        if (c.Affine)
        {
            keys.Add("weight");
            keys.Add("bias");
        }
        if (c.Track)
        {
            keys.Add("running_mean");
            keys.Add("running_var");
            keys.Add("num_batches_tracked");
        }
        return keys.Count == 0 ? "none (the layer has no parameters or buffers)" : "<c>{prefix}." + string.Join("</c>, <c>.", keys) + "</c>";
    }
}
