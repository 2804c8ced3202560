using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BnGen.Tests.Kernels;

/// <summary>One golden case (see Kernels/Golden/README.md for the fields and how PyTorch produced them).</summary>
public sealed record GoldenCase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("layout")] string Layout,
    [property: JsonPropertyName("features")] int Features,
    [property: JsonPropertyName("batch")] int Batch,
    [property: JsonPropertyName("height")] int Height,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("dtype")] string Dtype,
    [property: JsonPropertyName("epsilon")] double Epsilon,
    [property: JsonPropertyName("momentum")] double Momentum,
    [property: JsonPropertyName("affine")] bool Affine,
    [property: JsonPropertyName("track_running_stats")] bool TrackRunningStats,
    [property: JsonPropertyName("steps")] GoldenStep[] Steps)
{
    public BatchNormLayout LayoutValue => Layout switch
    {
        "NC" => BatchNormLayout.NC,
        "NCHW" => BatchNormLayout.NCHW,
        _ => throw new InvalidDataException($"{Name}: layout {Layout}"),
    };

    public bool IsDouble => Dtype switch
    {
        "float32" => false,
        "float64" => true,
        _ => throw new InvalidDataException($"{Name}: dtype {Dtype}"),
    };

    public LayerConfig Config => new(Features, LayoutValue, IsDouble, Epsilon, Momentum, Affine, TrackRunningStats, Cumulative: false);

    public int Count => Batch * Features * Height * Width;
}

/// <summary>One step: a forward call, then a backward call.</summary>
public sealed record GoldenStep(
    [property: JsonPropertyName("training")] bool Training,
    [property: JsonPropertyName("input")] double[] Input,
    [property: JsonPropertyName("weight")] double[]? Weight,
    [property: JsonPropertyName("bias")] double[]? Bias,
    [property: JsonPropertyName("grad_output")] double[] GradOutput,
    [property: JsonPropertyName("output")] double[] Output,
    [property: JsonPropertyName("grad_input")] double[] GradInput,
    [property: JsonPropertyName("grad_weight")] double[]? GradWeight,
    [property: JsonPropertyName("grad_bias")] double[]? GradBias,
    [property: JsonPropertyName("running_mean_after")] double[]? RunningMeanAfter,
    [property: JsonPropertyName("running_var_after")] double[]? RunningVarAfter,
    [property: JsonPropertyName("num_batches_tracked_after")] long? NumBatchesTrackedAfter);

/// <summary>Reads the golden files copied to the test output directory (Golden/*.json).</summary>
public static class GoldenFiles
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Golden");

    public static IEnumerable<string> Names
        => System.IO.Directory.EnumerateFiles(Directory, "*.json").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;

    public static GoldenCase Load(string name)
    {
        string path = Path.Combine(Directory, name + ".json");
        GoldenCase? golden = JsonSerializer.Deserialize<GoldenCase>(File.ReadAllText(path));
        if (golden is null || golden.Name != name || golden.Steps.Length == 0)
        {
            throw new InvalidDataException($"{path} is not a golden case");
        }
        foreach (GoldenStep step in golden.Steps)
        {
            if (step.Input.Length != golden.Count || step.Output.Length != golden.Count || step.GradOutput.Length != golden.Count
                || step.GradInput.Length != golden.Count)
            {
                throw new InvalidDataException($"{path}: a tensor does not have {golden.Count} values");
            }
        }
        return golden;
    }
}
