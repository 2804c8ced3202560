namespace BnGen.Benchmarks;

/// <summary>The runtime-shaped generic kernels of src/BnGen (features, layout and dimensions passed at run time).</summary>
public static class Generic
{
    private static BatchNormLayout Layout(Case k) => k.Nchw ? BatchNormLayout.NCHW : BatchNormLayout.NC;

    public static void ForwardTraining<T>(Case<T> k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (k is Case<float> f)
        {
            BatchNormKernels.ForwardTraining(f.X, f.Y, f.Features, Layout(f), f.Batch, f.Height, f.Width, f.Weight, f.Bias, Case<float>.Epsilon,
                f.SavedMean, f.SavedInvStd, f.RunningMean, f.RunningVar, Case<float>.Factor);
        }
        else if (k is Case<double> d)
        {
            BatchNormKernels.ForwardTraining(d.X, d.Y, d.Features, Layout(d), d.Batch, d.Height, d.Width, d.Weight, d.Bias, Case<double>.Epsilon,
                d.SavedMean, d.SavedInvStd, d.RunningMean, d.RunningVar, Case<double>.Factor);
        }
    }

    public static void ForwardInference<T>(Case<T> k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (k is Case<float> f)
        {
            BatchNormKernels.ForwardInference(f.X, f.Y, f.Features, Layout(f), f.Batch, f.Height, f.Width, f.Weight, f.Bias, Case<float>.Epsilon,
                f.RunningMean, f.RunningVar);
        }
        else if (k is Case<double> d)
        {
            BatchNormKernels.ForwardInference(d.X, d.Y, d.Features, Layout(d), d.Batch, d.Height, d.Width, d.Weight, d.Bias, Case<double>.Epsilon,
                d.RunningMean, d.RunningVar);
        }
    }

    public static void BackwardTraining<T>(Case<T> k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (k is Case<float> f)
        {
            BatchNormKernels.BackwardTraining(f.X, f.Dy, f.Dx, f.Features, Layout(f), f.Batch, f.Height, f.Width, f.Weight,
                f.SavedMean, f.SavedInvStd, f.WeightGrad, f.BiasGrad);
        }
        else if (k is Case<double> d)
        {
            BatchNormKernels.BackwardTraining(d.X, d.Dy, d.Dx, d.Features, Layout(d), d.Batch, d.Height, d.Width, d.Weight,
                d.SavedMean, d.SavedInvStd, d.WeightGrad, d.BiasGrad);
        }
    }

    public static void BackwardInference<T>(Case<T> k) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (k is Case<float> f)
        {
            BatchNormKernels.BackwardInference(f.X, f.Dy, f.Dx, f.Features, Layout(f), f.Batch, f.Height, f.Width, f.Weight, Case<float>.Epsilon,
                f.RunningMean, f.RunningVar, f.WeightGrad, f.BiasGrad);
        }
        else if (k is Case<double> d)
        {
            BatchNormKernels.BackwardInference(d.X, d.Dy, d.Dx, d.Features, Layout(d), d.Batch, d.Height, d.Width, d.Weight, Case<double>.Epsilon,
                d.RunningMean, d.RunningVar, d.WeightGrad, d.BiasGrad);
        }
    }
}
