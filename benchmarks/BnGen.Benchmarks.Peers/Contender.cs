using System;
using System.Collections.Generic;

namespace BnGen.Benchmarks.Peers;

/// <summary>The four operations, in the order of docs/benchmarks.md.</summary>
public enum Op
{
    TrainingForward,
    EvalForward,
    TrainingBackward,
    EvalBackward,
}

public static class Ops
{
    public static readonly Op[] All = { Op.TrainingForward, Op.EvalForward, Op.TrainingBackward, Op.EvalBackward };

    /// <summary>The short names docs/benchmarks.md uses.</summary>
    public static string Label(Op op) => op switch
    {
        Op.TrainingForward => "TrainFwd",
        Op.EvalForward => "EvalFwd",
        Op.TrainingBackward => "TrainBwd",
        _ => "EvalBwd",
    };

    public static string Title(Op op) => op switch
    {
        Op.TrainingForward => "training forward",
        Op.EvalForward => "eval forward",
        Op.TrainingBackward => "training backward",
        _ => "eval backward",
    };

    /// <summary>
    /// Bytes per float element the operation must move, as docs/benchmarks.md counts them: training forward reads x
    /// twice and writes y (12), eval forward reads x and writes y (8), both backwards read x and dy twice and write dx (20).
    /// </summary>
    public static int BytesPerElement(Op op) => op switch
    {
        Op.TrainingForward => 12,
        Op.EvalForward => 8,
        _ => 20,
    };

    /// <summary>The roof pass of each operation (Roofs.cs of the main benchmarks).</summary>
    public static string Roof(Op op) => op switch
    {
        Op.TrainingForward => "r2w1",
        Op.EvalForward => "copy",
        _ => "r2r2w1",
    };
}

/// <summary>What one call left behind, for the checks: "y", "runningMean", "dx", "weightGrad", … as doubles.</summary>
public sealed class Outcome : Dictionary<string, double[]>
{
    public void Add(string name, ReadOnlySpan<float> values)
    {
        var copy = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            copy[i] = values[i];
        }
        Add(name, copy);
    }
}

/// <summary>
/// A contender cannot run here: a library that does not load, an overload not generated yet, or (<see cref="NotApplicable"/>)
/// a layout it does not have.
/// </summary>
public sealed class ContenderUnavailableException(string message, bool notApplicable = false) : Exception(message)
{
    public bool NotApplicable { get; } = notApplicable;
}

/// <summary>
/// One way of computing batch norm (or a roof pass) on one shape. The harness calls, outside the clock: <see cref="Reset"/>
/// and <see cref="Prepare"/>, then <see cref="Enter"/> before each batch; on the clock only <see cref="Run"/>.
/// </summary>
public abstract class Contender : IDisposable
{
    protected Contender(ShapeData data)
    {
        Data = data;
    }

    /// <summary>"BnGen", "libtorch 1T", "ONNX Runtime", "roof", …: the column it gets in the table.</summary>
    public abstract string Name { get; }

    public ShapeData Data { get; }
    public Shape Shape => Data.Shape;

    /// <summary>True for the roof passes, which compute nothing to check against BnGen.</summary>
    public virtual bool IsRoof => false;

    public virtual bool Supports(Op op) => true;

    /// <summary>Running statistics back to the initial ones, outputs poisoned with NaN (before each check).</summary>
    public abstract void Reset();

    /// <summary>What the timed calls of <paramref name="op"/> need, built once (libtorch: the autograd graph).</summary>
    public virtual void Prepare(Op op)
    {
    }

    /// <summary>Right before each timed batch (libtorch: its thread count).</summary>
    public virtual void Enter()
    {
    }

    /// <summary>Runs <paramref name="calls"/> calls of the prepared operation: the timed region.</summary>
    public abstract void Run(Op op, int calls);

    /// <summary>The results of the last call of <paramref name="op"/>.</summary>
    public abstract Outcome Collect(Op op);

    /// <summary>Pause after each of its batches, so that threads it leaves spinning do not slow the next contender.</summary>
    public virtual int SettleMilliseconds => 0;

    public virtual void Dispose()
    {
        GC.SuppressFinalize(this);
    }
}
