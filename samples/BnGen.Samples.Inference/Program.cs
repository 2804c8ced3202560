using System;
using System.Globalization;
using System.IO;
using BnGen;
using BnGen.Samples.Training;

// Inference with a trained BatchNorm layer: load Weight/Bias/RunningMean/RunningVar saved by the Training sample,
// switch to eval mode, and run it twice: through the instance (Forward) and through the stateless static kernel
// (ForwardInference) on caller-owned spans. Both must give the same numbers, and the same as the training process.
//
//   dotnet run -c Release --project samples/BnGen.Samples.Training      (writes the checkpoint)
//   dotnet run -c Release --project samples/BnGen.Samples.Inference [-- path/to/bngen-training-checkpoint.json]

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string path = args.Length > 0 ? Path.GetFullPath(args[0]) : Checkpoint.DefaultPath();
Checkpoint checkpoint;
bool fromTraining = File.Exists(path);
if (fromTraining)
{
    checkpoint = Checkpoint.Load(path);
    Console.WriteLine($"Loaded {path}");
}
else
{
    Console.WriteLine($"No checkpoint at {path}.");
    Console.WriteLine("Make one with:  dotnet run -c Release --project samples/BnGen.Samples.Training");
    Console.WriteLine("Using built-in example parameters instead.");
    checkpoint = Fallback.Create();
}
if (checkpoint.Features != ServingNorm.Features || checkpoint.Layers.Count == 0)
{
    Console.Error.WriteLine($"The checkpoint has {checkpoint.Features} features; this sample's layer has {ServingNorm.Features}.");
    return 1;
}

NormState state = checkpoint.Layers[0];
int batch = checkpoint.ProbeBatch;
Console.WriteLine($"Layer '{state.Name}': BatchNorm1d({ServingNorm.Features}), trained over {state.NumBatchesTracked} batches; probe batch of {batch} rows");
Console.WriteLine();

// 1. The instance: copy the saved state in (every call reads these arrays afresh), then eval mode.
var layer = new ServingNorm { Training = false };
state.Weight.CopyTo(layer.Weight, 0);
state.Bias.CopyTo(layer.Bias, 0);
state.RunningMean.CopyTo(layer.RunningMean, 0);
state.RunningVar.CopyTo(layer.RunningVar, 0);
float[] x = checkpoint.ProbeInput;
float[] yInstance = new float[x.Length];
layer.Forward(x, yInstance, batch);

// 2. The stateless static kernel: same specialized code, no instance, every buffer owned by the caller.
float[] yStatic = new float[x.Length];
ServingNorm.ForwardInference(x, yStatic, batch, state.Weight, state.Bias, state.RunningMean, state.RunningVar);

// 3. A plain double-precision reference of the formula y = (x − running_mean) / sqrt(running_var + ε) · γ + β.
double[] yReference = new double[x.Length];
for (int n = 0; n < batch; n++)
{
    for (int c = 0; c < ServingNorm.Features; c++)
    {
        int i = n * ServingNorm.Features + c;
        yReference[i] = (x[i] - (double)state.RunningMean[c]) / Math.Sqrt(state.RunningVar[c] + checkpoint.Epsilon)
            * state.Weight[c] + state.Bias[c];
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
if (fromTraining)
{
    double trainingDiff = MaxAbsDiff(yInstance, checkpoint.ProbeOutput);
    Console.WriteLine($"max |instance − training run|    = {trainingDiff:G3}  (the eval-mode output the Training sample saved)");
    ok &= trainingDiff == 0;
}
Console.WriteLine($"eval mode left the state alone: NumBatchesTracked = {layer.NumBatchesTracked}, running mean unchanged = {layer.RunningMean.AsSpan().SequenceEqual(state.RunningMean)}");
Console.WriteLine(ok ? "OK" : "MISMATCH");
return ok ? 0 : 2;

static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    double max = 0;
    for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs((double)a[i] - b[i]));
    return max;
}

/// <summary>The serving-side layer: same shape as the Training sample's hidden BatchNorm.</summary>
[BatchNormLayer(256)]
internal sealed partial class ServingNorm { }

/// <summary>Deterministic stand-in parameters, for when the Training sample has not been run yet.</summary>
internal static class Fallback
{
    public static Checkpoint Create()
    {
        const int Features = 256, Batch = 8;
        var rng = new Random(42);
        var state = new NormState
        {
            Name = "built-in",
            Weight = new float[Features],
            Bias = new float[Features],
            RunningMean = new float[Features],
            RunningVar = new float[Features],
            NumBatchesTracked = 0,
        };
        for (int c = 0; c < Features; c++)
        {
            state.Weight[c] = (float)(0.5 + rng.NextDouble());
            state.Bias[c] = (float)(rng.NextDouble() - 0.5);
            state.RunningMean[c] = (float)(4 * rng.NextDouble() - 2);
            state.RunningVar[c] = (float)(0.1 + 3 * rng.NextDouble());
        }
        float[] input = new float[Batch * Features];
        for (int i = 0; i < input.Length; i++) input[i] = (float)(6 * rng.NextDouble() - 3);
        var checkpoint = new Checkpoint { Features = Features, Epsilon = 1e-5, Momentum = 0.1, ProbeBatch = Batch, ProbeInput = input };
        checkpoint.Layers.Add(state);
        return checkpoint;
    }
}
