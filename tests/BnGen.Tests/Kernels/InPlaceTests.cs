using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

[BatchNormLayer(19)]
public partial class InPlaceNc19 : INcLayer<float>, IAffineLayer<float>, ITrackedLayer<float> { }

[BatchNormLayer(5, BatchNormLayout.NCHW, ElementType = typeof(double))]
public partial class InPlaceNchw5 : INchwLayer<double>, IAffineLayer<double>, ITrackedLayer<double> { }

/// <summary>
/// The documented aliasing: output may be the input's memory, gradInput may be gradOutput's. In place must give exactly
/// the values of the out-of-place call, in every mode, for generated layers and the generic kernels.
/// </summary>
public class InPlaceTests
{
    [Fact]
    public void GeneratedLayersWorkInPlace()
    {
        var config = new LayerConfig(19, BatchNormLayout.NC, false, 1e-5, 0.1, true, true, false);
        Check(new GeneratedLayer<float>(new InPlaceNc19(), config), new GeneratedLayer<float>(new InPlaceNc19(), config), 7, 1, 1);
        var nchw = new LayerConfig(5, BatchNormLayout.NCHW, true, 1e-5, 0.1, true, true, false);
        Check(new GeneratedLayer<double>(new InPlaceNchw5(), nchw), new GeneratedLayer<double>(new InPlaceNchw5(), nchw), 3, 5, 7);
    }

    [Fact]
    public void GenericKernelsWorkInPlace()
    {
        var config = new LayerConfig(19, BatchNormLayout.NC, false, 1e-5, 0.1, true, true, false);
        Check(new KernelLayer<float>(new GenericFloatKernels(19, BatchNormLayout.NC, 1e-5), config),
            new KernelLayer<float>(new GenericFloatKernels(19, BatchNormLayout.NC, 1e-5), config), 7, 1, 1);
        var nchw = new LayerConfig(5, BatchNormLayout.NCHW, true, 1e-5, 0.1, true, true, false);
        Check(new KernelLayer<double>(new GenericDoubleKernels(5, BatchNormLayout.NCHW, 1e-5), nchw),
            new KernelLayer<double>(new GenericDoubleKernels(5, BatchNormLayout.NCHW, 1e-5), nchw), 3, 5, 7);
    }

    private static void Check<T>(ILayerUnderTest<T> inPlace, ILayerUnderTest<T> outOfPlace, int batch, int height, int width)
        where T : unmanaged
    {
        var random = new Random(3);
        int count = batch * inPlace.Config.Features * height * width;
        foreach (bool training in new[] { true, false })
        {
            inPlace.Training = outOfPlace.Training = training;
            T[] x = Num.FromDoubles<T>(Enumerable.Range(0, count).Select(_ => random.NextDouble() * 5 - 1).ToArray());
            T[] dy = Num.FromDoubles<T>(Enumerable.Range(0, count).Select(_ => random.NextDouble() - 0.5).ToArray());

            var y = new T[count];
            outOfPlace.Forward(x, y, batch, height, width);
            var dx = new T[count];
            outOfPlace.Backward(x, dy, dx, batch, height, width);

            T[] buffer = (T[])x.Clone();
            inPlace.Forward(buffer, buffer, batch, height, width);
            Assert.Equal(y, buffer);
            T[] gradients = (T[])dy.Clone();
            inPlace.Backward(x, gradients, gradients, batch, height, width);
            Assert.Equal(dx, gradients);
            Assert.Equal(outOfPlace.RunningVar, inPlace.RunningVar);
            Assert.Equal(outOfPlace.WeightGrad, inPlace.WeightGrad);
        }
    }

    [Fact]
    public void GenericNchwWithAOneByOnePlaneEqualsNc()
    {
        // Both walk the same memory; the generic kernels take the row-wise path for any 1 × 1 plane.
        const int f = 21, batch = 6;
        var random = new Random(4);
        float[] x = Enumerable.Range(0, f * batch).Select(_ => (float)random.NextDouble()).ToArray();
        float[] dy = Enumerable.Range(0, f * batch).Select(_ => (float)random.NextDouble()).ToArray();
        float[] weight = Enumerable.Range(0, f).Select(_ => (float)random.NextDouble()).ToArray();
        var results = new[] { BatchNormLayout.NC, BatchNormLayout.NCHW }.Select(layout =>
        {
            var y = new float[x.Length];
            var dx = new float[x.Length];
            var mean = new double[f];
            var invStd = new double[f];
            var runningVar = Num.Filled<float>(f, 1);
            var weightGrad = new float[f];
            BatchNormKernels.ForwardTraining(x, y, f, layout, batch, 1, 1, weight, default, 1e-5, mean, invStd, new float[f], runningVar, 0.5);
            BatchNormKernels.BackwardTraining(x, dy, dx, f, layout, batch, 1, 1, weight, mean, invStd, weightGrad, default);
            return (y, dx, runningVar, weightGrad);
        }).ToArray();
        Assert.Equal(results[0].y, results[1].y);
        Assert.Equal(results[0].dx, results[1].dx);
        Assert.Equal(results[0].runningVar, results[1].runningVar);
        Assert.Equal(results[0].weightGrad, results[1].weightGrad);
    }
}
