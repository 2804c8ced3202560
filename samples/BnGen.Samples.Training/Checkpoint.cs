using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen;

namespace BnGen.Samples.Training;

/// <summary>
/// The Training sample's checkpoint, shared with the Inference sample: the trained MLP (the run with BatchNorm) as a
/// PyTorch state dict in a safetensors file, under the names PyTorch gives the same model,
/// <code>
/// model = nn.Sequential(OrderedDict([
///     ("hidden", nn.Linear(784, 256)), ("relu", nn.ReLU()), ("norm", nn.BatchNorm1d(256)), ("output", nn.Linear(256, 10))]))
/// </code>
/// so that <c>model.load_state_dict(safetensors.torch.load_file(path))</c> loads it strictly:
/// <c>hidden.weight</c> [256, 784], <c>hidden.bias</c> [256], <c>norm.weight</c>, <c>norm.bias</c>, <c>norm.running_mean</c>,
/// <c>norm.running_var</c> [256], <c>norm.num_batches_tracked</c> [] (I64), <c>output.weight</c> [10, 256],
/// <c>output.bias</c> [10]; F32 but the count. A Linear layer's weight is [out, in], row-major, like <see cref="Linear.Weight"/>.
/// <para>
/// Beside it, a probe file (safetensors too, not part of the model): a few held-out images and what the training
/// process computed for them in evaluation mode, so that the loader can check it reproduces the same numbers.
/// </para>
/// </summary>
public static class Checkpoint
{
    public const string FileName = "bngen-mlp.safetensors";
    public const string ProbeFileName = "bngen-mlp-probe.safetensors";

    /// <summary>The module names of the PyTorch model above: the keys' prefixes.</summary>
    public const string HiddenName = "hidden", NormName = "norm", OutputName = "output";

    /// <summary>The model, as <c>__metadata__</c> records it (safetensors metadata are free-form strings).</summary>
    public const string ModelDescription =
        "Sequential(hidden=Linear(784, 256), relu=ReLU(), norm=BatchNorm1d(256, eps=1e-05, momentum=0.1), output=Linear(256, 10))";

    /// <summary>The probe's tensors: images [n, 784], the batch norm's input and output [n, 256], the logits [n, 10].</summary>
    public const string ProbeImages = "images", ProbePreNorm = "pre_norm", ProbePostNorm = "post_norm", ProbeLogits = "logits";

    /// <summary>The default location of the checkpoint, shared by both samples: artifacts/samples under the current directory.</summary>
    public static string DefaultPath(string? directory = null) =>
        Path.GetFullPath(Path.Combine(directory ?? Path.Combine("artifacts", "samples"), FileName));

    /// <summary>The probe file next to a checkpoint.</summary>
    public static string ProbePath(string checkpointPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!, ProbeFileName);

    /// <summary>A new state dict with the metadata <c>safetensors.torch.save_file</c> writes, plus the model's description.</summary>
    public static StateDict NewModelState()
    {
        var state = new StateDict();
        state.Metadata["format"] = "pt";
        state.Metadata["model"] = ModelDescription;
        return state;
    }

    /// <summary>Writes a Linear layer's <c>{name}.weight</c> [out, in] and <c>{name}.bias</c> [out], as PyTorch names them.</summary>
    internal static void SaveLinear(StateDict state, string name, Linear linear)
    {
        state[name + ".weight"] = StateTensor.Create(linear.Weight, [linear.Outputs, linear.Inputs]);
        state[name + ".bias"] = StateTensor.Create(linear.Bias, [linear.Outputs]);
    }

    /// <summary>
    /// Loads <c>{name}.weight</c> and <c>{name}.bias</c> into a Linear layer of the same shape, strictly and all or nothing
    /// (as a generated layer's LoadStateDict): a missing key or another shape is an <see cref="ArgumentException"/> naming
    /// the key, and nothing is written.
    /// </summary>
    internal static void LoadLinear(StateDict state, string name, Linear linear)
    {
        StateTensor weight = Tensor(state, name + ".weight", [linear.Outputs, linear.Inputs]);
        StateTensor bias = Tensor(state, name + ".bias", [linear.Outputs]);
        float[] w = weight.ToSingleArray(), b = bias.ToSingleArray();
        w.CopyTo(linear.Weight, 0);
        b.CopyTo(linear.Bias, 0);
    }

    /// <summary>A tensor that must be present with exactly this shape.</summary>
    public static StateTensor Tensor(StateDict state, string key, long[] shape)
    {
        if (!state.TryGetValue(key, out StateTensor? tensor))
        {
            throw new ArgumentException($"Missing key '{key}' in the checkpoint.", nameof(state));
        }
        if (!tensor.Shape.SequenceEqual(shape))
        {
            throw new ArgumentException(
                $"Size mismatch for key '{key}': the checkpoint holds shape [{string.Join(", ", tensor.Shape)}], the model expects [{string.Join(", ", shape)}].",
                nameof(state));
        }
        return tensor;
    }

    /// <summary>The probe: images [n, 784] and the evaluation-mode values the training process computed for them.</summary>
    public static StateDict Probe(int count, ReadOnlySpan<float> images, ReadOnlySpan<float> preNorm, ReadOnlySpan<float> postNorm,
        ReadOnlySpan<float> logits, int pixels, int hidden, int classes)
    {
        var probe = new StateDict();
        probe.Metadata["what"] = "held-out images and the Training sample's evaluation-mode values for them";
        probe[ProbeImages] = StateTensor.Create(images, [count, pixels]);
        probe[ProbePreNorm] = StateTensor.Create(preNorm, [count, hidden]);
        probe[ProbePostNorm] = StateTensor.Create(postNorm, [count, hidden]);
        probe[ProbeLogits] = StateTensor.Create(logits, [count, classes]);
        return probe;
    }

    /// <summary>The keys a checkpoint of this model holds, in PyTorch's <c>state_dict()</c> order.</summary>
    public static IReadOnlyList<string> ModelKeys { get; } =
    [
        "hidden.weight", "hidden.bias", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked",
        "output.weight", "output.bias",
    ];
}
