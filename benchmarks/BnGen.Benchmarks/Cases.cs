using System;

namespace BnGen.Benchmarks;

// Adapters from each generated layer's static kernels to the parameterless calls the benchmarks time.

public sealed class Nc64FloatCase(string name, int batch) : Case<float>(name, batch, Nc64Float.Features, 1, 1, false)
{
    public override void GeneratedTrainingForward()
        => Nc64Float.ForwardTraining(X, Y, Batch, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc64Float.ForwardInference(X, Y, Batch, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc64Float.BackwardTraining(X, Dy, Dx, Batch, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nc64Float.BackwardInference(X, Dy, Dx, Batch, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nc1024FloatCase(string name, int batch) : Case<float>(name, batch, Nc1024Float.Features, 1, 1, false)
{
    public override void GeneratedTrainingForward()
        => Nc1024Float.ForwardTraining(X, Y, Batch, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc1024Float.ForwardInference(X, Y, Batch, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc1024Float.BackwardTraining(X, Dy, Dx, Batch, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nc1024Float.BackwardInference(X, Dy, Dx, Batch, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nc17FloatCase(string name, int batch) : Case<float>(name, batch, Nc17Float.Features, 1, 1, false)
{
    public override void GeneratedTrainingForward()
        => Nc17Float.ForwardTraining(X, Y, Batch, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc17Float.ForwardInference(X, Y, Batch, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc17Float.BackwardTraining(X, Dy, Dx, Batch, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nc17Float.BackwardInference(X, Dy, Dx, Batch, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nc64DoubleCase(string name, int batch) : Case<double>(name, batch, Nc64Double.Features, 1, 1, false)
{
    public override void GeneratedTrainingForward()
        => Nc64Double.ForwardTraining(X, Y, Batch, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc64Double.ForwardInference(X, Y, Batch, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc64Double.BackwardTraining(X, Dy, Dx, Batch, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nc64Double.BackwardInference(X, Dy, Dx, Batch, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nchw64FloatCase(string name, int batch, int height, int width) : Case<float>(name, batch, Nchw64Float.Features, height, width, true)
{
    public override void GeneratedTrainingForward()
        => Nchw64Float.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw64Float.ForwardInference(X, Y, Batch, Height, Width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw64Float.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nchw64Float.BackwardInference(X, Dy, Dx, Batch, Height, Width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nchw256FloatCase(string name, int batch, int height, int width) : Case<float>(name, batch, Nchw256Float.Features, height, width, true)
{
    public override void GeneratedTrainingForward()
        => Nchw256Float.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw256Float.ForwardInference(X, Y, Batch, Height, Width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw256Float.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nchw256Float.BackwardInference(X, Dy, Dx, Batch, Height, Width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nchw16FloatCase(string name, int batch, int height, int width) : Case<float>(name, batch, Nchw16Float.Features, height, width, true)
{
    public override void GeneratedTrainingForward()
        => Nchw16Float.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw16Float.ForwardInference(X, Y, Batch, Height, Width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw16Float.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nchw16Float.BackwardInference(X, Dy, Dx, Batch, Height, Width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nchw3FloatCase(string name, int batch, int height, int width) : Case<float>(name, batch, Nchw3Float.Features, height, width, true)
{
    public override void GeneratedTrainingForward()
        => Nchw3Float.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw3Float.ForwardInference(X, Y, Batch, Height, Width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw3Float.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nchw3Float.BackwardInference(X, Dy, Dx, Batch, Height, Width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nchw64DoubleCase(string name, int batch, int height, int width) : Case<double>(name, batch, Nchw64Double.Features, height, width, true)
{
    public override void GeneratedTrainingForward()
        => Nchw64Double.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw64Double.ForwardInference(X, Y, Batch, Height, Width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw64Double.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nchw64Double.BackwardInference(X, Dy, Dx, Batch, Height, Width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nc5FloatPlainCase(string name, int batch) : Case<float>(name, batch, Nc5FloatPlain.Features, 1, 1, false, affine: false)
{
    public override void GeneratedTrainingForward()
        => Nc5FloatPlain.ForwardTraining(X, Y, Batch, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc5FloatPlain.ForwardInference(X, Y, Batch, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc5FloatPlain.BackwardTraining(X, Dy, Dx, Batch, SavedMean, SavedInvStd);

    public override void GeneratedEvalBackward()
        => Nc5FloatPlain.BackwardInference(X, Dy, Dx, Batch, RunningMean, RunningVar);
}

public sealed class Nc37DoublePlainCase(string name, int batch) : Case<double>(name, batch, Nc37DoublePlain.Features, 1, 1, false, affine: false)
{
    public override void GeneratedTrainingForward()
        => Nc37DoublePlain.ForwardTraining(X, Y, Batch, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc37DoublePlain.ForwardInference(X, Y, Batch, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc37DoublePlain.BackwardTraining(X, Dy, Dx, Batch, SavedMean, SavedInvStd);

    public override void GeneratedEvalBackward()
        => Nc37DoublePlain.BackwardInference(X, Dy, Dx, Batch, RunningMean, RunningVar);
}

public sealed class Nc300FloatCase(string name, int batch) : Case<float>(name, batch, Nc300Float.Features, 1, 1, false)
{
    public override void GeneratedTrainingForward()
        => Nc300Float.ForwardTraining(X, Y, Batch, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nc300Float.ForwardInference(X, Y, Batch, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nc300Float.BackwardTraining(X, Dy, Dx, Batch, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nc300Float.BackwardInference(X, Dy, Dx, Batch, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

public sealed class Nchw3FloatPlainCase(string name, int batch, int height, int width) : Case<float>(name, batch, Nchw3FloatPlain.Features, height, width, true, affine: false)
{
    public override void GeneratedTrainingForward()
        => Nchw3FloatPlain.ForwardTraining(X, Y, Batch, Height, Width, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw3FloatPlain.ForwardInference(X, Y, Batch, Height, Width, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw3FloatPlain.BackwardTraining(X, Dy, Dx, Batch, Height, Width, SavedMean, SavedInvStd);

    public override void GeneratedEvalBackward()
        => Nchw3FloatPlain.BackwardInference(X, Dy, Dx, Batch, Height, Width, RunningMean, RunningVar);
}

public sealed class Nchw5DoubleCase(string name, int batch, int height, int width) : Case<double>(name, batch, Nchw5Double.Features, height, width, true)
{
    public override void GeneratedTrainingForward()
        => Nchw5Double.ForwardTraining(X, Y, Batch, Height, Width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nchw5Double.ForwardInference(X, Y, Batch, Height, Width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nchw5Double.BackwardTraining(X, Dy, Dx, Batch, Height, Width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nchw5Double.BackwardInference(X, Dy, Dx, Batch, Height, Width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

/// <summary>
/// NHWC (channels last): in memory an NC tensor of batch · height · width rows, so the naive, generic and tensor
/// contenders and the checks run it as NC with that many rows (the same numbers); the generated layer gets its own
/// NHWC dimensions.
/// </summary>
public sealed class Nhwc64FloatCase(string name, int batch, int height, int width)
    : Case<float>(name, batch * height * width, Nhwc64Float.Features, 1, 1, false)
{
    public override void GeneratedTrainingForward()
        => Nhwc64Float.ForwardTraining(X, Y, batch, height, width, Weight, Bias, SavedMean, SavedInvStd, RunningMean, RunningVar, Factor);

    public override void GeneratedEvalForward()
        => Nhwc64Float.ForwardInference(X, Y, batch, height, width, Weight, Bias, RunningMean, RunningVar);

    public override void GeneratedTrainingBackward()
        => Nhwc64Float.BackwardTraining(X, Dy, Dx, batch, height, width, Weight, SavedMean, SavedInvStd, WeightGrad, BiasGrad);

    public override void GeneratedEvalBackward()
        => Nhwc64Float.BackwardInference(X, Dy, Dx, batch, height, width, Weight, RunningMean, RunningVar, WeightGrad, BiasGrad);
}

/// <summary>The shapes of issue 4 (float everywhere, double for NC 32×64 and NCHW 8×64×28×28) and issue 11's NHWC shapes.</summary>
public static class Cases
{
    public static readonly string[] Names =
    {
        "NC 32x64 f32", "NC 256x1024 f32", "NC 8x17 f32", "NC 32x64 f64",
        "NCHW 8x64x28x28 f32", "NCHW 32x64x56x56 f32", "NCHW 4x256x14x14 f32", "NCHW 64x16x8x8 f32",
        "NCHW 1x3x224x224 f32", "NCHW 8x64x28x28 f64", "NHWC 8x28x28x64 f32", "NHWC 32x56x56x64 f32",
    };

    /// <summary>Checked by the smoke run only: other options, ragged feature counts, planes shorter than a vector.</summary>
    public static readonly string[] ExtraNames =
    {
        "NC 9x5 f32 plain", "NC 7x37 f64 plain", "NC 300x300 f32", "NCHW 5x3x2x3 f32 plain", "NCHW 3x5x3x5 f64",
    };

    public static Case Create(string name) => name switch
    {
        "NC 9x5 f32 plain" => new Nc5FloatPlainCase(name, 9),
        "NC 7x37 f64 plain" => new Nc37DoublePlainCase(name, 7),
        "NC 300x300 f32" => new Nc300FloatCase(name, 300),
        "NCHW 5x3x2x3 f32 plain" => new Nchw3FloatPlainCase(name, 5, 2, 3),
        "NCHW 3x5x3x5 f64" => new Nchw5DoubleCase(name, 3, 3, 5),
        "NC 32x64 f32" => new Nc64FloatCase(name, 32),
        "NC 256x1024 f32" => new Nc1024FloatCase(name, 256),
        "NC 8x17 f32" => new Nc17FloatCase(name, 8),
        "NC 32x64 f64" => new Nc64DoubleCase(name, 32),
        "NCHW 8x64x28x28 f32" => new Nchw64FloatCase(name, 8, 28, 28),
        "NCHW 32x64x56x56 f32" => new Nchw64FloatCase(name, 32, 56, 56),
        "NCHW 4x256x14x14 f32" => new Nchw256FloatCase(name, 4, 14, 14),
        "NCHW 64x16x8x8 f32" => new Nchw16FloatCase(name, 64, 8, 8),
        "NCHW 1x3x224x224 f32" => new Nchw3FloatCase(name, 1, 224, 224),
        "NCHW 8x64x28x28 f64" => new Nchw64DoubleCase(name, 8, 28, 28),
        "NHWC 8x28x28x64 f32" => new Nhwc64FloatCase(name, 8, 28, 28),
        "NHWC 32x56x56x64 f32" => new Nhwc64FloatCase(name, 32, 56, 56),
        _ => throw new ArgumentException($"Unknown shape '{name}'.", nameof(name)),
    };
}
