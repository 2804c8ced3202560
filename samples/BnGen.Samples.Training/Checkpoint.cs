using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace BnGen.Samples.Training;

/// <summary>
/// What the Training sample saves for the Inference sample: each trained BatchNorm layer's parameters and running
/// statistics, plus a probe (a few held-out rows of the first layer's input and the eval-mode output the training
/// process computed for them), so that the loader can check it reproduces the same numbers. Shared by both samples.
/// </summary>
public sealed class Checkpoint
{
    public const string FileName = "bngen-training-checkpoint.json";

    public int Features { get; set; }
    public double Epsilon { get; set; }
    public double Momentum { get; set; }
    public List<NormState> Layers { get; set; } = new();
    public int ProbeBatch { get; set; }
    /// <summary>Row-major [ProbeBatch, Features]: the first layer's input (pre-BatchNorm activations).</summary>
    public float[] ProbeInput { get; set; } = [];
    /// <summary>The first layer's eval-mode output for <see cref="ProbeInput"/>, computed by the training run.</summary>
    public float[] ProbeOutput { get; set; } = [];

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Options));
    }

    public static Checkpoint Load(string path) =>
        JsonSerializer.Deserialize<Checkpoint>(File.ReadAllText(path), Options)
        ?? throw new InvalidDataException($"'{path}' holds no checkpoint.");

    /// <summary>The default location, shared by both samples: artifacts/samples under the current directory.</summary>
    public static string DefaultPath(string? directory = null) =>
        Path.GetFullPath(Path.Combine(directory ?? Path.Combine("artifacts", "samples"), FileName));

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };
}

/// <summary>One BatchNorm layer's learned state: gamma, beta and the running statistics.</summary>
public sealed class NormState
{
    public string Name { get; set; } = "";
    public float[] Weight { get; set; } = [];
    public float[] Bias { get; set; } = [];
    public float[] RunningMean { get; set; } = [];
    public float[] RunningVar { get; set; } = [];
    public long NumBatchesTracked { get; set; }

    public static NormState From(string name, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        ReadOnlySpan<float> runningMean, ReadOnlySpan<float> runningVar, long numBatchesTracked) => new()
    {
        Name = name,
        Weight = weight.ToArray(),
        Bias = bias.ToArray(),
        RunningMean = runningMean.ToArray(),
        RunningVar = runningVar.ToArray(),
        NumBatchesTracked = numBatchesTracked,
    };
}
