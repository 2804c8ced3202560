using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace BnGen.Benchmarks;

/// <summary>
/// Every operation and contender on every shape. Method names are "Operation_Contender"; the roofs are per shape.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams, BenchmarkLogicalGroupRule.ByCategory)]
public class BatchNormBenchmarks
{
    private Case k = null!;

    public static IEnumerable<string> Shapes => Cases.Names;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = Cases.Names[0];

    [GlobalSetup]
    public void Setup() => k = Cases.Create(Shape);

    [Benchmark, BenchmarkCategory("TrainFwd")] public void TrainFwd_Generated() => k.GeneratedTrainingForward();
    [Benchmark, BenchmarkCategory("TrainFwd")] public void TrainFwd_Generic() => k.GenericTrainingForward();
    [Benchmark, BenchmarkCategory("TrainFwd")] public void TrainFwd_Naive() => k.NaiveTrainingForward();
    [Benchmark, BenchmarkCategory("TrainFwd")] public void TrainFwd_Tensor() => k.TensorTrainingForward();

    [Benchmark, BenchmarkCategory("EvalFwd")] public void EvalFwd_Generated() => k.GeneratedEvalForward();
    [Benchmark, BenchmarkCategory("EvalFwd")] public void EvalFwd_Generic() => k.GenericEvalForward();
    [Benchmark, BenchmarkCategory("EvalFwd")] public void EvalFwd_Naive() => k.NaiveEvalForward();
    [Benchmark, BenchmarkCategory("EvalFwd")] public void EvalFwd_Tensor() => k.TensorEvalForward();

    [Benchmark, BenchmarkCategory("TrainBwd")] public void TrainBwd_Generated() => k.GeneratedTrainingBackward();
    [Benchmark, BenchmarkCategory("TrainBwd")] public void TrainBwd_Generic() => k.GenericTrainingBackward();
    [Benchmark, BenchmarkCategory("TrainBwd")] public void TrainBwd_Naive() => k.NaiveTrainingBackward();
    [Benchmark, BenchmarkCategory("TrainBwd")] public void TrainBwd_Tensor() => k.TensorTrainingBackward();

    [Benchmark, BenchmarkCategory("EvalBwd")] public void EvalBwd_Generated() => k.GeneratedEvalBackward();
    [Benchmark, BenchmarkCategory("EvalBwd")] public void EvalBwd_Generic() => k.GenericEvalBackward();
    [Benchmark, BenchmarkCategory("EvalBwd")] public void EvalBwd_Naive() => k.NaiveEvalBackward();
    [Benchmark, BenchmarkCategory("EvalBwd")] public void EvalBwd_Tensor() => k.TensorEvalBackward();

    [Benchmark, BenchmarkCategory("Roof")] public void Roof_Copy() => k.Copy();
    [Benchmark, BenchmarkCategory("Roof")] public void Roof_R2W1() => k.R2W1();
    [Benchmark, BenchmarkCategory("Roof")] public void Roof_R2R2W1() => k.R2R2W1();
}
