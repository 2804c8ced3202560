using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BnGen;

namespace BnGen.Benchmarks;

// Issue 10's contenders: a batch norm with the ReLU fused (Activation = ReLU) against the same batch norm and a
// separate ReLU pass, in training mode, on the mid and large NCHW shapes. "Plain" is the batch norm alone (what the
// fused layer may cost at most 1.05× of); "Unfused" is what a framework without fusion runs: the plain forward, then
// ReLU over its output in place (one more read and write of the tensor); backward, ReLU's backward (read y and dy,
// write the gated gradient into its own buffer, as threshold_backward does), then the plain backward on that.

[BatchNormLayer(64, BatchNormLayout.NCHW, Activation = BatchNormActivation.ReLU)]
public sealed partial class Nchw64FloatRelu { }

[BatchNormLayer(256, BatchNormLayout.NCHW, Activation = BatchNormActivation.ReLU)]
public sealed partial class Nchw256FloatRelu { }

[BatchNormLayer(64, BatchNormLayout.NCHW, ElementType = typeof(double), Activation = BatchNormActivation.ReLU)]
public sealed partial class Nchw64DoubleRelu { }

/// <summary>Plain vs fused vs unfused batch norm + ReLU, training forward and backward. Method names are "Operation_Contender".</summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams, BenchmarkLogicalGroupRule.ByCategory)]
public class FusedReluBenchmarks
{
    private FusedCase k = null!;

    public static IEnumerable<string> Shapes => FusedCases.Names;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = FusedCases.Names[0];

    [GlobalSetup]
    public void Setup() => k = FusedCases.Create(Shape);

    [Benchmark, BenchmarkCategory("ReluTrainFwd")] public void ReluTrainFwd_Plain() => k.PlainForward();
    [Benchmark, BenchmarkCategory("ReluTrainFwd")] public void ReluTrainFwd_Fused() => k.FusedForward();
    [Benchmark, BenchmarkCategory("ReluTrainFwd")] public void ReluTrainFwd_Unfused() => k.UnfusedForward();

    [Benchmark, BenchmarkCategory("ReluTrainBwd")] public void ReluTrainBwd_Plain() => k.PlainBackward();
    [Benchmark, BenchmarkCategory("ReluTrainBwd")] public void ReluTrainBwd_Fused() => k.FusedBackward();
    [Benchmark, BenchmarkCategory("ReluTrainBwd")] public void ReluTrainBwd_Unfused() => k.UnfusedBackward();
}

/// <summary>One shape's buffers and the six contenders.</summary>
public abstract class FusedCase
{
    public abstract void PlainForward();
    public abstract void FusedForward();
    public abstract void UnfusedForward();
    public abstract void PlainBackward();
    public abstract void FusedBackward();
    public abstract void UnfusedBackward();

    /// <summary>
    /// Fused against unfused bit for bit (forward output, running statistics; dx and the parameter gradients), and the
    /// fused layer against a double reference of relu(batch_norm(x)) and its backward; the differences beyond tolerance.
    /// </summary>
    public abstract List<string> Verify();
}

/// <summary>Buffers of one element type with fixed pseudo-random data, and the ReLU passes of the unfused contender.</summary>
public abstract class FusedCase<T> : FusedCase
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected FusedCase(string name, int batch, int features, int height, int width)
    {
        Name = name;
        Batch = batch;
        Features = features;
        Height = height;
        Width = width;
        Plane = height * width;
        int count = batch * features * Plane;
        var random = new Random(4321);
        X = Fill(random, count, -1, 1);
        Dy = Fill(random, count, -1, 1);
        Y = new T[count];
        Dx = new T[count];
        Gated = new T[count];
        Weight = Fill(random, features, 0.5, 1.5);
        Bias = Fill(random, features, -0.5, 0.5);
        RunningMean = new T[features];
        RunningVar = Fill(random, features, 1, 1);
        WeightGrad = new T[features];
        BiasGrad = new T[features];
        SavedMean = new double[features];
        SavedInvStd = new double[features];
        // The backward contenders need a forward's statistics and output: those of this data.
        FusedForward();
    }

    public string Name { get; }
    public int Batch { get; }
    public int Features { get; }
    public int Height { get; }
    public int Width { get; }
    public int Plane { get; }

    public T[] X, Y, Dy, Dx, Gated, Weight, Bias, RunningMean, RunningVar, WeightGrad, BiasGrad;
    public double[] SavedMean, SavedInvStd;

    public const double Factor = 0.1;
    public const double Epsilon = 1e-5;

    public override void UnfusedForward()
    {
        PlainForward();
        Relu(Y);
    }

    public override void UnfusedBackward()
    {
        ReluBackward(Y, Dy, Gated);
        PlainBackward(Gated);
    }

    public override void PlainBackward() => PlainBackward(Dy);

    protected abstract void PlainBackward(T[] dy);

    /// <summary>PyTorch's ReLU in place: y = y &lt;= 0 ? 0 : y (NaN stays), one read and one write of every value.</summary>
    public static void Relu(T[] values)
    {
        ref T v = ref MemoryMarshal.GetArrayDataReference(values);
        int i = 0, count = Vector<T>.Count;
        for (; i <= values.Length - count; i += count)
        {
            Vector<T> z = Unsafe.ReadUnaligned<Vector<T>>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref v, i)));
            Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref v, i)),
                Vector.ConditionalSelect(Vector.LessThanOrEqual(z, Vector<T>.Zero), Vector<T>.Zero, z));
        }
        for (; i < values.Length; i++)
        {
            T z = Unsafe.Add(ref v, i);
            Unsafe.Add(ref v, i) = z <= T.Zero ? T.Zero : z;
        }
    }

    /// <summary>PyTorch's threshold_backward(dy, y, 0): g = y &lt;= 0 ? 0 : dy, into a separate buffer.</summary>
    public static void ReluBackward(T[] output, T[] gradOutput, T[] gated)
    {
        ref T y = ref MemoryMarshal.GetArrayDataReference(output);
        ref T dy = ref MemoryMarshal.GetArrayDataReference(gradOutput);
        ref T g = ref MemoryMarshal.GetArrayDataReference(gated);
        int i = 0, count = Vector<T>.Count;
        for (; i <= output.Length - count; i += count)
        {
            Vector<T> yv = Unsafe.ReadUnaligned<Vector<T>>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref y, i)));
            Vector<T> dyv = Unsafe.ReadUnaligned<Vector<T>>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref dy, i)));
            Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref g, i)),
                Vector.ConditionalSelect(Vector.LessThanOrEqual(yv, Vector<T>.Zero), Vector<T>.Zero, dyv));
        }
        for (; i < output.Length; i++)
        {
            Unsafe.Add(ref g, i) = Unsafe.Add(ref y, i) <= T.Zero ? T.Zero : Unsafe.Add(ref dy, i);
        }
    }

    public override List<string> Verify()
    {
        var errors = new List<string>();
        T[] initialMean = (T[])RunningMean.Clone(), initialVar = (T[])RunningVar.Clone();

        // Forward: fused = relu(plain) bit for bit, running statistics too.
        UnfusedForward();
        T[] unfusedY = (T[])Y.Clone(), unfusedMean = (T[])RunningMean.Clone(), unfusedVar = (T[])RunningVar.Clone();
        initialMean.CopyTo(RunningMean, 0);
        initialVar.CopyTo(RunningVar, 0);
        Array.Fill(Y, T.NaN);
        FusedForward();
        Bits("fused forward y vs unfused", unfusedY, Y, errors);
        Bits("running mean", unfusedMean, RunningMean, errors);
        Bits("running var", unfusedVar, RunningVar, errors);

        // Backward: fused = plain backward of threshold_backward(dy, y) bit for bit.
        UnfusedBackward();
        T[] unfusedDx = (T[])Dx.Clone(), unfusedWg = (T[])WeightGrad.Clone(), unfusedBg = (T[])BiasGrad.Clone();
        Array.Fill(Dx, T.NaN);
        FusedBackward();
        Bits("fused backward dx vs unfused", unfusedDx, Dx, errors);
        Bits("weight grad", unfusedWg, WeightGrad, errors);
        Bits("bias grad", unfusedBg, BiasGrad, errors);

        // Against a double reference of relu(batch_norm(x)) and its backward (the gate from the layer's own y).
        Reference(out double[] y, out double[] dx, out double[] dw, out double[] db);
        double tol = typeof(T) == typeof(float) ? 2e-5 : 1e-12;
        Close("fused forward y vs double reference", y, Y, tol, errors);
        Close("fused backward dx vs double reference", dx, Dx, tol * 10, errors);
        Close("weight grad vs double reference", dw, WeightGrad, tol * 10, errors);
        Close("bias grad vs double reference", db, BiasGrad, tol * 10, errors);
        int zeros = 0;
        foreach (T v in Y)
        {
            zeros += v == T.Zero ? 1 : 0;
        }
        if (zeros < Y.Length / 4 || zeros > Y.Length * 3 / 4)
        {
            errors.Add($"{Name}: {zeros} of {Y.Length} outputs are zero; the data should put about half of them below the kink");
        }
        initialMean.CopyTo(RunningMean, 0);
        initialVar.CopyTo(RunningVar, 0);
        FusedForward();
        return errors;
    }

    /// <summary>Two-pass statistics, y = relu((x − mean)·invStd·γ + β), dx of Σ dy·y through the batch statistics, in double.</summary>
    private void Reference(out double[] y, out double[] dx, out double[] dw, out double[] db)
    {
        int f = Features, n = Batch * Plane;
        y = new double[X.Length];
        dx = new double[X.Length];
        dw = new double[f];
        db = new double[f];
        for (int c = 0; c < f; c++)
        {
            double sum = 0, squares = 0;
            ForChannel(c, i => sum += double.CreateTruncating(X[i]));
            double mean = sum / n;
            ForChannel(c, i => squares += Math.Pow(double.CreateTruncating(X[i]) - mean, 2));
            double invStd = 1 / Math.Sqrt(squares / n + Epsilon), gamma = double.CreateTruncating(Weight[c]), beta = double.CreateTruncating(Bias[c]);
            double sumG = 0, sumGx = 0;
            double[] yr = y;
            ForChannel(c, i =>
            {
                double xHat = (double.CreateTruncating(X[i]) - mean) * invStd;
                yr[i] = Math.Max(0, xHat * gamma + beta);
                double g = Y[i] <= T.Zero ? 0 : double.CreateTruncating(Dy[i]);
                sumG += g;
                sumGx += g * xHat;
            });
            dw[c] = sumGx;
            db[c] = sumG;
            double[] dxr = dx;
            ForChannel(c, i =>
            {
                double xHat = (double.CreateTruncating(X[i]) - mean) * invStd;
                double g = Y[i] <= T.Zero ? 0 : double.CreateTruncating(Dy[i]);
                dxr[i] = gamma * invStd * (g - sumG / n - xHat * sumGx / n);
            });
        }
    }

    private void ForChannel(int c, Action<int> action)
    {
        for (int b = 0; b < Batch; b++)
        {
            int start = (b * Features + c) * Plane;
            for (int s = 0; s < Plane; s++)
            {
                action(start + s);
            }
        }
    }

    private void Bits(string what, T[] expected, T[] actual, List<string> errors)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(double.CreateTruncating(expected[i])) != BitConverter.DoubleToInt64Bits(double.CreateTruncating(actual[i])))
            {
                errors.Add($"{Name} {what}[{i}]: {actual[i]} vs {expected[i]} (must be the same bits)");
                return;
            }
        }
    }

    private void Close(string what, double[] expected, T[] actual, double tolerance, List<string> errors)
    {
        double scale = 1;
        foreach (double e in expected)
        {
            scale = Math.Max(scale, Math.Abs(e));
        }
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            if (!double.IsFinite(a) || Math.Abs(a - expected[i]) > tolerance * scale)
            {
                errors.Add($"{Name} {what}[{i}]: {a:R} vs reference {expected[i]:R}");
                return;
            }
        }
    }

    private static T[] Fill(Random random, int count, double low, double high)
    {
        var data = new T[count];
        for (int i = 0; i < count; i++)
        {
            data[i] = T.CreateTruncating(low + (high - low) * random.NextDouble());
        }
        return data;
    }
}

public sealed class Nchw64FloatFused(string name, int batch, int height, int width) : FusedCase<float>(name, batch, 64, height, width)
{
    public override void PlainForward()
        => Nchw64Float.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void FusedForward()
        => Nchw64FloatRelu.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    protected override void PlainBackward(float[] dy)
        => Nchw64Float.BackwardTraining(X, dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void FusedBackward()
        => Nchw64FloatRelu.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, WeightGrad, BiasGrad);
}

public sealed class Nchw256FloatFused(string name, int batch, int height, int width) : FusedCase<float>(name, batch, 256, height, width)
{
    public override void PlainForward()
        => Nchw256Float.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void FusedForward()
        => Nchw256FloatRelu.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    protected override void PlainBackward(float[] dy)
        => Nchw256Float.BackwardTraining(X, dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void FusedBackward()
        => Nchw256FloatRelu.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, WeightGrad, BiasGrad);
}

public sealed class Nchw64DoubleFused(string name, int batch, int height, int width) : FusedCase<double>(name, batch, 64, height, width)
{
    public override void PlainForward()
        => Nchw64Double.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void FusedForward()
        => Nchw64DoubleRelu.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    protected override void PlainBackward(double[] dy)
        => Nchw64Double.BackwardTraining(X, dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void FusedBackward()
        => Nchw64DoubleRelu.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, WeightGrad, BiasGrad);
}

/// <summary>The mid and large NCHW shapes of <see cref="Cases"/>.</summary>
public static class FusedCases
{
    public static readonly string[] Names =
    {
        "NCHW 8x64x28x28 f32", "NCHW 32x64x56x56 f32", "NCHW 4x256x14x14 f32", "NCHW 8x64x28x28 f64",
    };

    public static FusedCase Create(string name) => name switch
    {
        "NCHW 8x64x28x28 f32" => new Nchw64FloatFused(name, 8, 28, 28),
        "NCHW 32x64x56x56 f32" => new Nchw64FloatFused(name, 32, 56, 56),
        "NCHW 4x256x14x14 f32" => new Nchw256FloatFused(name, 4, 14, 14),
        "NCHW 8x64x28x28 f64" => new Nchw64DoubleFused(name, 8, 28, 28),
        _ => throw new ArgumentException($"Unknown shape '{name}'.", nameof(name)),
    };
}
