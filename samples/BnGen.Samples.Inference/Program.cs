using System;
using System.Globalization;
using System.IO;
using System.Linq;
using BnGen;
using BnGen.Samples.Training;

// Inference with the Training sample's model: load its checkpoint (a PyTorch state dict in a safetensors file) with
// StateDict.Load, the BatchNorm layer through its generated LoadStateDict and the two Linear layers by their PyTorch key
// names, switch to eval mode, and replay the probe the training process saved:
//   1. the BatchNorm layer alone, through the instance (Forward) and through the stateless static kernel
//      (ForwardInference): the same numbers as each other, as the training process, and as a double-precision formula;
//   2. the whole MLP (Linear → ReLU → BatchNorm → Linear): the same logits as the training process, bit for bit.
//
//   dotnet run -c Release --project samples/BnGen.Samples.Training      (writes the checkpoint and the probe)
//   dotnet run -c Release --project samples/BnGen.Samples.Inference [-- path/to/bngen-mlp.safetensors]
//
// The same file loads into PyTorch: see Checkpoint.cs (and the README) for the equivalent nn.Sequential.

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string path = args.Length > 0 ? Path.GetFullPath(args[0]) : Checkpoint.DefaultPath();
StateDict state, probe;
bool fromTraining = File.Exists(path);
if (fromTraining)
{
    try
    {
        state = StateDict.Load(path);
        probe = StateDict.Load(Checkpoint.ProbePath(path));
    }
    catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine(e.Message);
        return 1;
    }
    Console.WriteLine($"Loaded {path}");
}
else
{
    Console.WriteLine($"No checkpoint at {path}.");
    Console.WriteLine("Make one with:  dotnet run -c Release --project samples/BnGen.Samples.Training");
    Console.WriteLine("Using built-in example parameters instead.");
    (state, probe) = Fallback.Create();
}
Console.WriteLine($"  {state.Count} tensors: {string.Join(", ", state.Select(entry => $"{entry.Key} {entry.Value}"))}");
if (state.Metadata.TryGetValue("model", out string? model))
{
    Console.WriteLine($"  model: {model}");
}

// The model, loaded by PyTorch's key names; every key strict (present, right shape), all or nothing.
var hidden = new Linear(784, ServingNorm.Features, new Random(0));
var output = new Linear(ServingNorm.Features, 10, new Random(0));
var norm = new ServingNorm { Training = false };
try
{
    Checkpoint.LoadLinear(state, Checkpoint.HiddenName, hidden);
    norm.LoadStateDict(state, Checkpoint.NormName);
    Checkpoint.LoadLinear(state, Checkpoint.OutputName, output);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
float[] images = probe[Checkpoint.ProbeImages].ToSingleArray();
int batch = (int)probe[Checkpoint.ProbeImages].Shape[0];
Console.WriteLine($"Layer '{Checkpoint.NormName}': BatchNorm1d({ServingNorm.Features}), trained over {norm.NumBatchesTracked} batches; probe batch of {batch} images");
Console.WriteLine();

// The MLP up to the batch norm: hidden layer, ReLU.
float[] preNorm = new float[batch * ServingNorm.Features];
hidden.Forward(images, preNorm, batch, relu: true);

// 1a. The instance (its state came from LoadStateDict; every call reads those arrays afresh), in eval mode.
float[] x = fromTraining ? probe[Checkpoint.ProbePreNorm].ToSingleArray() : preNorm;
float[] yInstance = new float[x.Length];
norm.Forward(x, yInstance, batch);

// 1b. The stateless static kernel: same specialized code, no instance, every buffer owned by the caller.
float[] yStatic = new float[x.Length];
ServingNorm.ForwardInference(x, yStatic, batch, norm.Weight, norm.Bias, norm.RunningMean, norm.RunningVar);

// 1c. A plain double-precision reference of the formula y = (x − running_mean) / sqrt(running_var + ε) · γ + β, with
//     ServingNorm's ε (the default, 1e-5, as BatchNorm1d's).
double[] yReference = new double[x.Length];
for (int n = 0; n < batch; n++)
{
    for (int c = 0; c < ServingNorm.Features; c++)
    {
        int i = n * ServingNorm.Features + c;
        yReference[i] = (x[i] - (double)norm.RunningMean[c]) / Math.Sqrt(norm.RunningVar[c] + 1e-5) * norm.Weight[c] + norm.Bias[c];
    }
}

Console.WriteLine("  row feature        x    instance Forward   static ForwardInference   double reference");
for (int n = 0; n < Math.Min(batch, 4); n++)
{
    for (int c = 0; c < 3; c++)
    {
        int i = n * ServingNorm.Features + c;
        Console.WriteLine($"  {n,3} {c,7} {x[i],12:G7} {yInstance[i],18:G9} {yStatic[i],25:G9} {yReference[i],18:G9}");
    }
}
Console.WriteLine();

double staticDiff = MaxAbsDiff(yInstance, yStatic);
double referenceDiff = 0;
for (int i = 0; i < x.Length; i++) referenceDiff = Math.Max(referenceDiff, Math.Abs(yInstance[i] - yReference[i]));
Console.WriteLine($"max |instance − static kernel|   = {staticDiff:G3}{(staticDiff == 0 ? "  (bit for bit the same)" : "")}");
Console.WriteLine($"max |instance − double formula|  = {referenceDiff:G3}");
bool ok = staticDiff == 0 && referenceDiff < 1e-4;

// 2. The whole MLP on the probe images: Linear → ReLU → BatchNorm (eval) → Linear.
float[] postNorm = new float[preNorm.Length], logits = new float[batch * 10];
norm.Forward(preNorm, postNorm, batch);
output.Forward(postNorm, logits, batch);
Console.WriteLine($"whole model: predicted classes {string.Join(" ", Enumerable.Range(0, batch).Select(n => ArgMax(logits.AsSpan(n * 10, 10))))}");
if (fromTraining)
{
    double trainingDiff = MaxAbsDiff(yInstance, probe[Checkpoint.ProbePostNorm].ToSingleArray());
    double preNormDiff = MaxAbsDiff(preNorm, x);
    double logitsDiff = MaxAbsDiff(logits, probe[Checkpoint.ProbeLogits].ToSingleArray());
    Console.WriteLine($"max |instance − training run|    = {trainingDiff:G3}  (the BatchNorm's eval-mode output the Training sample saved)");
    Console.WriteLine($"max |hidden layer − training run| = {preNormDiff:G3}, max |logits − training run| = {logitsDiff:G3}  (the whole model)");
    ok &= trainingDiff == 0 && preNormDiff == 0 && logitsDiff == 0;
}
Console.WriteLine($"eval mode left the state alone: NumBatchesTracked = {norm.NumBatchesTracked}, running statistics unchanged = {Unchanged(norm, state)}");
ok &= Unchanged(norm, state);
Console.WriteLine(ok ? "OK" : "MISMATCH");
return ok ? 0 : 2;

static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    if (a.Length != b.Length) return double.PositiveInfinity;
    double max = 0;
    for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
    return max;
}

static bool Unchanged(ServingNorm norm, StateDict state)
    => norm.RunningMean.AsSpan().SequenceEqual(state["norm.running_mean"].ToSingleArray())
        && norm.RunningVar.AsSpan().SequenceEqual(state["norm.running_var"].ToSingleArray())
        && norm.NumBatchesTracked == state["norm.num_batches_tracked"].ToInt64Array()[0];

static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int k = 1; k < values.Length; k++) if (values[k] > values[best]) best = k;
    return best;
}

/// <summary>The serving-side layer: same shape as the Training sample's hidden BatchNorm.</summary>
[BatchNormLayer(256)]
internal sealed partial class ServingNorm { }

/// <summary>Deterministic stand-in parameters, for when the Training sample has not been run yet: the same keys.</summary>
internal static class Fallback
{
    public static (StateDict State, StateDict Probe) Create()
    {
        const int Batch = 8;
        var rng = new Random(42);
        var norm = new ServingNorm();
        for (int c = 0; c < ServingNorm.Features; c++)
        {
            norm.Weight[c] = (float)(0.5 + rng.NextDouble());
            norm.Bias[c] = (float)(rng.NextDouble() - 0.5);
            norm.RunningMean[c] = (float)(2 * rng.NextDouble());
            norm.RunningVar[c] = (float)(0.1 + 3 * rng.NextDouble());
        }
        StateDict state = Checkpoint.NewModelState();
        Checkpoint.SaveLinear(state, Checkpoint.HiddenName, new Linear(784, ServingNorm.Features, rng));
        norm.SaveStateDict(state, Checkpoint.NormName);
        Checkpoint.SaveLinear(state, Checkpoint.OutputName, new Linear(ServingNorm.Features, 10, rng));
        float[] images = new float[Batch * 784];
        for (int i = 0; i < images.Length; i++) images[i] = (float)rng.NextDouble();
        var probe = new StateDict();
        probe[Checkpoint.ProbeImages] = StateTensor.Create(images, [Batch, 784]);
        return (state, probe);
    }
}
