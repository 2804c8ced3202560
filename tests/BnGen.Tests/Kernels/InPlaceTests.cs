using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

/// <summary>
/// The documented aliasing: output may be the input's memory, gradInput may be gradOutput's. Every differential layer
/// (features 1 … 1030, so F below, at and off every vector width; NC and NCHW; float and double; every combination of
/// Affine, TrackRunningStats and CumulativeAverage) and the generic kernels with its configuration run all four
/// operations (training forward and backward, evaluation forward and backward) in place over a sweep of shapes with
/// ragged plane tails, each result checked value by value against the double reference (<see cref="ReferenceBatchNorm"/>,
/// through <see cref="DifferentialTests.Step{T}"/>), not against the same implementation out of place.
/// </summary>
public class InPlaceTests
{
    /// <summary>NC: batch sizes. NCHW: planes from 1 × 1 to 11 × 13 (143 values: a long run), most of them ragged.</summary>
    private static readonly (int Batch, int Height, int Width)[] NcShapes = [(2, 1, 1), (3, 1, 1), (7, 1, 1), (16, 1, 1)];

    private static readonly (int Batch, int Height, int Width)[] NchwShapes =
        [(2, 1, 1), (1, 1, 7), (2, 3, 5), (1, 4, 4), (2, 1, 17), (3, 7, 9), (1, 11, 13)];

    public static TheoryData<int> Layers() => new(Enumerable.Range(0, DifferentialLayers.All.Count));

    [Theory]
    [MemberData(nameof(Layers))]
    public void AllFourOperationsInPlaceMatchTheReference(int index)
    {
        var (config, create) = DifferentialLayers.All[index];
        if (config.IsDouble)
        {
            Sweep(new GeneratedLayer<double>(create(), config), index, 1e-12);
            Sweep(new KernelLayer<double>(new GenericDoubleKernels(config.Features, config.Layout, config.Epsilon), config), index, 1e-12);
        }
        else
        {
            Sweep(new GeneratedLayer<float>(create(), config), index, 1e-5);
            Sweep(new KernelLayer<float>(new GenericFloatKernels(config.Features, config.Layout, config.Epsilon), config), index, 1e-5);
        }
    }

    private static void Sweep<T>(ILayerUnderTest<T> layer, int seed, double relative)
        where T : unmanaged
    {
        var random = new Random(2000 + seed);
        var history = new DifferentialTests.History();
        var shapes = layer.Config.Layout == BatchNormLayout.NC ? NcShapes : NchwShapes;
        for (int i = 0; i < shapes.Length; i++)
        {
            // Training (forward, then backward with the saved statistics), then evaluation (running statistics, or batch
            // statistics without them) on the same shape.
            DifferentialTests.Step(layer, random, training: true, shapes[i], relative, inPlace: true, history, $"shape {i}");
            DifferentialTests.Step(layer, random, training: false, shapes[i], relative, inPlace: true, history, $"shape {i}");
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
