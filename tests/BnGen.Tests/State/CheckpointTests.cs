using System;
using System.IO;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.State;

/// <summary>
/// State that survives a checkpoint (issue 11 §2): the NumBatchesTracked setter, and resuming a layer from a checkpoint
/// (a safetensors file through SaveStateDict/LoadStateDict, or the arrays and the setter) continues exactly as an
/// uninterrupted run, a cumulative average included (its factor is 1 / (NumBatchesTracked + 1)).
/// </summary>
public class CheckpointTests
{
    public static TheoryData<string> Tracked() => StateLayers.Names(o => o.Track);

    [Theory]
    [MemberData(nameof(Tracked))]
    public void NumBatchesTracked_setter_rejects_negative_values_and_keeps_the_old_one(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Setter<double>(name);
        }
        else
        {
            Setter<float>(name);
        }
    }

    private static void Setter<T>(string name)
        where T : unmanaged
    {
        IRunningMembers<T> layer = StateLayers.Create<T>(name).Running!;
        Assert.Equal(0, layer.NumBatchesTracked);
        layer.NumBatchesTracked = 7;
        Assert.Equal(7, layer.NumBatchesTracked);
        foreach (long value in new[] { -1L, -7L, long.MinValue })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => layer.NumBatchesTracked = value);
            Assert.Equal("NumBatchesTracked", e.ParamName);
            Assert.Equal(value, e.ActualValue);
            Assert.StartsWith($"'NumBatchesTracked' cannot be negative, but was {value}.", e.Message);
            Assert.Equal(7, layer.NumBatchesTracked);
        }
        layer.NumBatchesTracked = long.MaxValue;
        Assert.Equal(long.MaxValue, layer.NumBatchesTracked);
        layer.NumBatchesTracked = 0;
        Assert.Equal(0, layer.NumBatchesTracked);
    }

    [Theory]
    [MemberData(nameof(Tracked))]
    public void Resuming_from_a_checkpoint_continues_as_an_uninterrupted_run(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Resume<double>(name);
        }
        else
        {
            Resume<float>(name);
        }
    }

    private static void Resume<T>(string name)
        where T : unmanaged
    {
        const int before = 3, after = 3;
        LayerOptions options = StateLayers.Options(name);
        Scenario scenario = Scenario.Make(options, 17 + name.Length, Scenario.RandomDims(options.Layout), before + after, 0);

        // Uninterrupted.
        TestLayer<T> uninterrupted = StateLayers.Create<T>(name);
        var expected = scenario.Play(uninterrupted).GetRange(before, after);

        // Interrupted after three batches: a checkpoint through a safetensors file, loaded by a fresh layer.
        TestLayer<T> interrupted = StateLayers.Create<T>(name);
        if (scenario.RunningMean is not null)
        {
            Data.FromDoubles<T>(scenario.RunningMean).CopyTo(interrupted.RunningMean!, 0);
            Data.FromDoubles<T>(scenario.RunningVar).CopyTo(interrupted.RunningVar!, 0);
        }
        scenario.PlaySteps(interrupted, 0, before);
        var checkpoint = new StateDict();
        interrupted.Members.SaveStateDict(checkpoint, "encoder.bn");
        using var file = new MemoryStream();
        checkpoint.Save(file);
        file.Position = 0;
        TestLayer<T> resumed = StateLayers.Create<T>(name);
        resumed.Members.LoadStateDict(StateDict.Load(file), "encoder.bn");
        Assert.Equal(before, resumed.NumBatchesTracked);
        Scenario.AssertIdentical($"{name} resumed from a file", expected, scenario.PlaySteps(resumed, before, after));

        // The same through the arrays and the NumBatchesTracked setter.
        TestLayer<T> bySetter = StateLayers.Create<T>(name);
        interrupted.RunningMean!.CopyTo(bySetter.RunningMean!, 0);
        interrupted.RunningVar!.CopyTo(bySetter.RunningVar!, 0);
        bySetter.Running!.NumBatchesTracked = interrupted.NumBatchesTracked!.Value;
        Scenario.AssertIdentical($"{name} resumed through the setter", expected, scenario.PlaySteps(bySetter, before, after));

        // Without the count a cumulative average restarts: the first resumed batch gets factor 1 and the running
        // statistics differ from the uninterrupted run's (this is what the setter is for).
        if (options.Cumulative)
        {
            TestLayer<T> restarted = StateLayers.Create<T>(name);
            interrupted.RunningMean.CopyTo(restarted.RunningMean!, 0);
            interrupted.RunningVar.CopyTo(restarted.RunningVar!, 0);
            var wrong = scenario.PlaySteps(restarted, before, after);
            Assert.Throws<Xunit.Sdk.XunitException>(() => Bits.Equal("running mean", expected[0].RunningMean, wrong[0].RunningMean));
        }
    }
}
