using System;
using System.Linq;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.State;

/// <summary>
/// PyTorch's <c>reset_running_stats</c> and <c>reset_parameters</c> on every option combination (Affine,
/// TrackRunningStats, CumulativeAverage, Activation; float and double; the four layouts): exactly the documented
/// values, nothing else touched (the parameter gradients stay, as PyTorch's <c>.grad</c> does), and afterwards the layer
/// behaves as a fresh one, bit for bit.
/// </summary>
public class ResetTests
{
    public static TheoryData<string> All() => StateLayers.Names(_ => true);

    public static TheoryData<string> Tracked() => StateLayers.Names(o => o.Track);

    [Theory]
    [MemberData(nameof(Tracked))]
    public void ResetRunningStats_sets_mean_0_variance_1_count_0(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            ResetRunningStats<double>(name);
        }
        else
        {
            ResetRunningStats<float>(name);
        }
    }

    private static void ResetRunningStats<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> layer = StateLayers.Create<T>(name);
        StateLayers.Exercise(layer, 1);
        layer.MaxDegreeOfParallelism = 3;
        Assert.NotEqual(0, layer.NumBatchesTracked);
        LayerSnapshot<T> before = LayerSnapshot<T>.Of(layer);

        layer.Running!.ResetRunningStats();

        int f = layer.Options.Features;
        Bits.Equal("RunningMean", new T[f], layer.RunningMean);
        Bits.Equal("RunningVar", Data.Filled<T>(f, 1), layer.RunningVar);
        Assert.Equal(0, layer.NumBatchesTracked);
        (before with { RunningMean = new T[f], RunningVar = Data.Filled<T>(f, 1), Count = 0 }).AssertHeldBy(layer, "after ResetRunningStats");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void ResetParameters_also_sets_gamma_1_and_beta_0(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            ResetParameters<double>(name);
        }
        else
        {
            ResetParameters<float>(name);
        }
    }

    private static void ResetParameters<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> layer = StateLayers.Create<T>(name);
        StateLayers.Exercise(layer, 2);
        layer.Training = false;
        LayerSnapshot<T> before = LayerSnapshot<T>.Of(layer);

        layer.Members.ResetParameters();

        int f = layer.Options.Features;
        LayerSnapshot<T> expected = before;
        if (layer.Options.Affine)
        {
            // The gradients are not parameters: PyTorch's reset_parameters leaves .grad alone, and so does BnGen.
            Assert.Contains(before.WeightGrad!, g => Data.To(g) != 0);
            expected = expected with { Weight = Data.Filled<T>(f, 1), Bias = new T[f] };
        }
        if (layer.Options.Track)
        {
            expected = expected with { RunningMean = new T[f], RunningVar = Data.Filled<T>(f, 1), Count = 0 };
        }
        expected.AssertHeldBy(layer, "after ResetParameters");
    }

    [Theory]
    [MemberData(nameof(All))]
    public void After_ResetParameters_the_layer_behaves_as_a_fresh_one(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            LikeFresh<double>(name);
        }
        else
        {
            LikeFresh<float>(name);
        }
    }

    private static void LikeFresh<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> used = StateLayers.Create<T>(name);
        StateLayers.Exercise(used, 3);
        used.Members.ResetParameters();

        // A scenario that never writes γ, β or the running statistics: everything comes from the reset.
        Scenario scenario = Scenario.Make(used.Options, 4, Scenario.RandomDims(used.Options.Layout), 3, 2);
        scenario = scenario with
        {
            RunningMean = null,
            RunningVar = null,
            Steps = scenario.Steps.Select(s => s with { Weight = null, Bias = null }).ToArray(),
        };
        Scenario.AssertIdentical($"{name} after ResetParameters", scenario.Play(StateLayers.Create<T>(name)), scenario.Play(used));
    }

    [Fact]
    public void ResetRunningStats_restarts_a_cumulative_average()
    {
        // Count 0 after the reset: the next training forward has factor 1, so the running statistics become the batch's
        // own, as on a fresh layer (whose running statistics were 0 and 1).
        var layer = new StateF32AffineTrackCumulative();
        var fresh = new StateF32AffineTrackCumulative();
        var view = new TestLayer<float>(layer);
        StateLayers.Exercise(view, 5);
        layer.ResetRunningStats();
        Scenario scenario = Scenario.Make(view.Options, 6, Scenario.RandomDims(BatchNormLayout.NCHW), 1, 0);
        scenario = scenario with { RunningMean = null, RunningVar = null };
        Scenario.AssertIdentical("cumulative average after ResetRunningStats", scenario.Play(new TestLayer<float>(fresh)), scenario.Play(view));
        Assert.Equal(1, layer.NumBatchesTracked);
    }
}
