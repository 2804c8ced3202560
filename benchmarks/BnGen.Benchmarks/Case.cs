using System;
using System.Collections.Generic;
using System.Numerics;

namespace BnGen.Benchmarks;

/// <summary>One benchmark shape: its buffers and every contender, as parameterless calls.</summary>
public abstract class Case
{
    protected Case(string name, int batch, int features, int height, int width, bool nchw)
    {
        Name = name;
        Batch = batch;
        Features = features;
        Height = height;
        Width = width;
        Nchw = nchw;
        Plane = height * width;
        Count = (long)batch * features * Plane;
    }

    public string Name { get; }
    public int Batch { get; }
    public int Features { get; }
    public int Height { get; }
    public int Width { get; }
    public int Plane { get; }
    public bool Nchw { get; }
    public long Count { get; }
    public abstract int ElementSize { get; }

    public abstract void GeneratedTrainingForward();
    public abstract void GeneratedEvalForward();
    public abstract void GeneratedTrainingBackward();
    public abstract void GeneratedEvalBackward();

    public abstract void GenericTrainingForward();
    public abstract void GenericEvalForward();
    public abstract void GenericTrainingBackward();
    public abstract void GenericEvalBackward();

    public abstract void NaiveTrainingForward();
    public abstract void NaiveEvalForward();
    public abstract void NaiveTrainingBackward();
    public abstract void NaiveEvalBackward();

    public abstract void TensorTrainingForward();
    public abstract void TensorEvalForward();
    public abstract void TensorTrainingBackward();
    public abstract void TensorEvalBackward();

    public abstract void Copy();
    public abstract void R2W1();
    public abstract void R2R2W1();

    /// <summary>Runs each generated operation and the naive double reference on the same inputs and lists the differences beyond tolerance.</summary>
    public abstract List<string> Verify(bool statisticsOnly);

    /// <summary>Shifts the input to mean 1e4 with unit spread: the statistics must stay as accurate as double two-pass sums.</summary>
    public abstract void UseOffsetData(bool outlierFirst);

    public override string ToString() => Name;
}

/// <summary>Buffers of one element type, filled with fixed pseudo-random data.</summary>
public abstract class Case<T> : Case where T : unmanaged, IFloatingPointIeee754<T>
{
    protected Case(string name, int batch, int features, int height, int width, bool nchw, bool affine = true)
        : base(name, batch, features, height, width, nchw)
    {
        var random = new Random(1234);
        X = Fill(random, Count, 0.5, 2.0);
        Dy = Fill(random, Count, 0.0, 1.0);
        Y = new T[Count];
        Dx = new T[Count];
        Weight = Fill(random, features, 1.0, 0.2);
        Bias = Fill(random, features, 0.0, 0.2);
        if (!affine)
        {
            // A layer without affine parameters: the reference runs with γ = 1 and β = 0.
            Array.Fill(Weight, T.One);
            Array.Fill(Bias, T.Zero);
        }
        RunningMean = Fill(random, features, 0.3, 0.2);
        RunningVar = new T[features];
        for (int c = 0; c < features; c++)
        {
            RunningVar[c] = T.CreateTruncating(1.0 + random.NextDouble());
        }
        initialRunningMean = (T[])RunningMean.Clone();
        initialRunningVar = (T[])RunningVar.Clone();
        WeightGrad = new T[features];
        BiasGrad = new T[features];
        SavedMean = new double[features];
        SavedInvStd = new double[features];
        Scratch = new T[Math.Max(features, Plane) * 4];
        ScratchD = new double[features * 4];
        // Saved statistics for the training backward: those of the data, as a forward would leave them.
        NaiveTrainingForward();
        ResetRunning();
    }

    private readonly T[] initialRunningMean;
    private readonly T[] initialRunningVar;

    public T[] X;
    public T[] Y;
    public T[] Dy;
    public T[] Dx;
    public T[] Weight;
    public T[] Bias;
    public T[] RunningMean;
    public T[] RunningVar;
    public T[] WeightGrad;
    public T[] BiasGrad;
    public double[] SavedMean;
    public double[] SavedInvStd;
    public T[] Scratch;
    public double[] ScratchD;

    public override int ElementSize => typeof(T) == typeof(float) ? 4 : 8;

    public const double Factor = 0.1;
    public const double Epsilon = 1e-5;

    private static T[] Fill(Random random, long count, double mean, double spread)
    {
        var data = new T[count];
        for (long i = 0; i < count; i++)
        {
            // Sum of uniforms: bell-shaped, deterministic.
            double u = random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5;
            data[i] = T.CreateTruncating(mean + spread * 2.0 * u);
        }
        return data;
    }

    public void ResetRunning()
    {
        initialRunningMean.CopyTo(RunningMean, 0);
        initialRunningVar.CopyTo(RunningVar, 0);
    }

    public override void UseOffsetData(bool outlierFirst)
    {
        var random = new Random(99);
        for (long i = 0; i < Count; i++)
        {
            X[i] = T.CreateTruncating(1e4 + (random.NextDouble() - 0.5) * 3.0);
        }
        if (outlierFirst)
        {
            // The first value of each channel (the kernels' pivot) far out: on large channels the shifted sums would
            // lose digits, and the exact second pass must take over.
            for (int c = 0; c < Features; c++)
            {
                X[c * Plane] += T.CreateTruncating(200.0);
            }
        }
        NaiveTrainingForward();
        ResetRunning();
    }

    public override void GenericTrainingForward() => Generic.ForwardTraining(this);
    public override void GenericEvalForward() => Generic.ForwardInference(this);
    public override void GenericTrainingBackward() => Generic.BackwardTraining(this);
    public override void GenericEvalBackward() => Generic.BackwardInference(this);

    public override void NaiveTrainingForward() => Naive.ForwardTraining(this);
    public override void NaiveEvalForward() => Naive.ForwardInference(this);
    public override void NaiveTrainingBackward() => Naive.BackwardTraining(this);
    public override void NaiveEvalBackward() => Naive.BackwardInference(this);

    public override void TensorTrainingForward() => TensorComposition.ForwardTraining(this);
    public override void TensorEvalForward() => TensorComposition.ForwardInference(this);
    public override void TensorTrainingBackward() => TensorComposition.BackwardTraining(this);
    public override void TensorEvalBackward() => TensorComposition.BackwardInference(this);

    public override void Copy() => X.AsSpan().CopyTo(Y);
    public override void R2W1() => Roofs.R2W1<T>(X, Y);
    public override void R2R2W1() => Roofs.R2R2W1<T>(X, Dy, Dx);

    public override List<string> Verify(bool statisticsOnly)
    {
        var errors = new List<string>();
        double tol = typeof(T) == typeof(float) ? 2e-5 : 1e-12;
        // Statistics are double in both: they must agree far beyond the element type's precision.
        double statTol = typeof(T) == typeof(float) ? 1e-9 : 1e-12;

        void Compare(string what, ReadOnlySpan<T> actual, ReadOnlySpan<T> expected, double tolerance)
        {
            double scale = 1.0;
            foreach (T e in expected)
            {
                scale = Math.Max(scale, Math.Abs(double.CreateTruncating(e)));
            }
            for (int i = 0; i < actual.Length; i++)
            {
                double a = double.CreateTruncating(actual[i]);
                double e = double.CreateTruncating(expected[i]);
                if (!double.IsFinite(a) || Math.Abs(a - e) > tolerance * scale)
                {
                    errors.Add($"{Name} {what}[{i}]: {a:R} vs reference {e:R}");
                    return;
                }
            }
        }

        void CompareD(string what, double[] actual, double[] expected, double tolerance)
        {
            for (int i = 0; i < actual.Length; i++)
            {
                if (!double.IsFinite(actual[i]) || Math.Abs(actual[i] - expected[i]) > tolerance * Math.Max(1.0, Math.Abs(expected[i])))
                {
                    errors.Add($"{Name} {what}[{i}]: {actual[i]:R} vs reference {expected[i]:R}");
                    return;
                }
            }
        }

        // Training forward.
        ResetRunning();
        NaiveTrainingForward();
        T[] y = (T[])Y.Clone(), rm = (T[])RunningMean.Clone(), rv = (T[])RunningVar.Clone();
        double[] sm = (double[])SavedMean.Clone(), si = (double[])SavedInvStd.Clone();
        ResetRunning();
        Array.Clear(Y);
        GeneratedTrainingForward();
        CompareD("savedMean", SavedMean, sm, statTol);
        CompareD("savedInvStd", SavedInvStd, si, statTol);
        if (statisticsOnly)
        {
            // Data far from zero: y = x · scale + shift in the element type loses digits to cancellation by design.
            ResetRunning();
            return errors;
        }
        Compare("training forward y", Y, y, tol);
        Compare("runningMean", RunningMean, rm, tol);
        Compare("runningVar", RunningVar, rv, tol);
        ResetRunning();

        // Eval forward.
        NaiveEvalForward();
        y = (T[])Y.Clone();
        Array.Clear(Y);
        GeneratedEvalForward();
        Compare("eval forward y", Y, y, tol);

        // Training backward (saved statistics as left by the forward above).
        NaiveTrainingBackward();
        T[] dx = (T[])Dx.Clone(), wg = (T[])WeightGrad.Clone(), bg = (T[])BiasGrad.Clone();
        Array.Clear(Dx);
        GeneratedTrainingBackward();
        Compare("training backward dx", Dx, dx, tol * 10);
        Compare("weightGrad", WeightGrad, wg, tol * 10);
        Compare("biasGrad", BiasGrad, bg, tol * 10);

        // Eval backward.
        NaiveEvalBackward();
        dx = (T[])Dx.Clone();
        wg = (T[])WeightGrad.Clone();
        bg = (T[])BiasGrad.Clone();
        Array.Clear(Dx);
        GeneratedEvalBackward();
        Compare("eval backward dx", Dx, dx, tol);
        Compare("eval weightGrad", WeightGrad, wg, tol * 10);
        Compare("eval biasGrad", BiasGrad, bg, tol * 10);

        // In place: output the same memory as input (forward), gradInput the same as gradOutput (backward).
        T[] x = X, yOut = Y, dyIn = Dy, dxOut = Dx;
        ResetRunning();
        NaiveTrainingForward();
        y = (T[])Y.Clone();
        ResetRunning();
        X = (T[])x.Clone();
        Y = X;
        GeneratedTrainingForward();
        Compare("in-place training forward y", Y, y, tol);
        X = x;
        Y = yOut;
        NaiveEvalForward();
        y = (T[])Y.Clone();
        X = (T[])x.Clone();
        Y = X;
        GeneratedEvalForward();
        Compare("in-place eval forward y", Y, y, tol);
        X = x;
        Y = yOut;
        ResetRunning();
        NaiveTrainingForward();
        NaiveTrainingBackward();
        dx = (T[])Dx.Clone();
        Dy = (T[])dyIn.Clone();
        Dx = Dy;
        GeneratedTrainingBackward();
        Compare("in-place training backward dx", Dx, dx, tol * 10);
        Dy = dyIn;
        Dx = dxOut;
        NaiveEvalBackward();
        dx = (T[])Dx.Clone();
        Dy = (T[])dyIn.Clone();
        Dx = Dy;
        GeneratedEvalBackward();
        Compare("in-place eval backward dx", Dx, dx, tol);
        Dy = dyIn;
        Dx = dxOut;
        ResetRunning();
        return errors;
    }
}
