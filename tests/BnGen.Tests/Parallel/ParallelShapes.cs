using System;
using System.Collections.Generic;
using System.Reflection;
using BnGen.Internal;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.Parallel;

/// <summary>Shapes on both sides of the size below which a call stays on the calling thread.</summary>
public static class ParallelShapes
{
    /// <summary>
    /// <c>LayerKernels&lt;,&gt;.ParallelThreshold</c>, which is internal to BnGen (the test project has no
    /// InternalsVisibleTo): the documented 1,048,576 values, hard-coded here and checked against the constant by reflection
    /// (<see cref="ThresholdTests"/>).
    /// </summary>
    public const long Threshold = 1_048_576;

    /// <summary>The degrees compared with 1: two and three threads (three is more than this machine's cores) and all cores.</summary>
    public static readonly int[] Degrees = [2, 3, -1];

    /// <summary>Ragged planes: 13 × 17 = 221 and lengths of 229 values, multiples of no vector width.</summary>
    private const int Height = 13, Width = 17, Length = 229;

    /// <summary>Dims of a layout with about <paramref name="target"/> values at <paramref name="features"/>, rounded down or up.</summary>
    public static Dims Near(BatchNormLayout layout, int features, long target, bool up)
    {
        long perSample = layout switch
        {
            BatchNormLayout.NC => features,
            BatchNormLayout.NCL => (long)features * Length,
            _ => (long)features * Height * Width,
        };
        int batch = (int)(up ? (target + perSample - 1) / perSample : target / perSample);
        batch = Math.Max(batch, 2);
        return layout switch
        {
            BatchNormLayout.NC => Dims.Nc(batch),
            BatchNormLayout.NCL => Dims.Ncl(batch, Length),
            _ => new Dims(batch, Height, Width),
        };
    }

    /// <summary>
    /// The shapes every layer kind is run on: well below the threshold, just below it, and above it (several row blocks
    /// for NHWC and NC, every channel a part for NCHW and NCL); exactly at it where the feature count divides the threshold.
    /// </summary>
    public static IEnumerable<Dims> For(BatchNormLayout layout, int features)
    {
        yield return layout switch
        {
            BatchNormLayout.NC => Dims.Nc(7),
            BatchNormLayout.NCL => Dims.Ncl(3, 11),
            _ => new Dims(3, 5, 7),
        };
        Dims below = Near(layout, features, Threshold - 1, up: false);
        if (below.Count(features) < Threshold)
        {
            yield return below;
        }
        yield return Near(layout, features, Threshold + 4_000, up: true);
        if (Threshold % features == 0)
        {
            long perChannel = Threshold / features;
            yield return layout switch
            {
                BatchNormLayout.NC => Dims.Nc((int)perChannel),
                BatchNormLayout.NCL => Dims.Ncl(2, (int)(perChannel / 2)),
                _ => new Dims(2, 8, (int)(perChannel / 16)),
            };
        }
    }

    /// <summary>Fixed dims for a scenario (a scenario's shape function).</summary>
    public static Func<Random, bool, Dims> Fixed(Dims dims) => (_, _) => dims;
}

public class ThresholdTests
{
    [Fact]
    public void The_hard_coded_threshold_is_the_library_constant()
    {
        FieldInfo field = typeof(LayerKernels<,>).GetField("ParallelThreshold", BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException("LayerKernels<,>.ParallelThreshold is gone: update ParallelShapes.Threshold");
        Assert.Equal(ParallelShapes.Threshold, (long)field.GetRawConstantValue()!);
    }

    [Fact]
    public void The_shapes_lie_where_they_claim()
    {
        foreach (BatchNormLayout layout in new[] { BatchNormLayout.NC, BatchNormLayout.NCHW, BatchNormLayout.NHWC, BatchNormLayout.NCL })
        {
            foreach (int f in new[] { 1, 3, 64, 130 })
            {
                var counts = new List<long>();
                foreach (Dims dims in ParallelShapes.For(layout, f))
                {
                    counts.Add(dims.Count(f));
                }
                Assert.Contains(counts, c => c < ParallelShapes.Threshold);
                Assert.Contains(counts, c => c >= ParallelShapes.Threshold && c < 2 * ParallelShapes.Threshold);
            }
        }
        Assert.Contains(ParallelShapes.For(BatchNormLayout.NC, 1), d => d.Count(1) == ParallelShapes.Threshold);
        Assert.Contains(ParallelShapes.For(BatchNormLayout.NC, 1), d => d.Count(1) == ParallelShapes.Threshold - 1);
        Assert.Contains(ParallelShapes.For(BatchNormLayout.NHWC, 64), d => d.Count(64) == ParallelShapes.Threshold);
    }
}
