using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen.Tests.Layouts;
using Xunit;

namespace BnGen.Tests.State;

/// <summary>
/// The generated <c>LoadStateDict</c> / <c>SaveStateDict</c> on every option combination: PyTorch's key names with and
/// without a prefix, in PyTorch's order, only the keys the layer has; F32 (float layers) or F64 (double layers) and an
/// I64 scalar count; values of F64, F32, F16, BF16, I64 and I32 converted as <c>Tensor.copy_</c>; a round trip through
/// a file reproduces Forward and Backward bit for bit; and every malformed entry is an exception naming the key and the
/// layer, after which the layer (arrays, count, flags) is exactly as before.
/// </summary>
public class StateDictTests
{
    private const string Prefix = "features.3";

    public static TheoryData<string> All() => StateLayers.Names(_ => true);

    /// <summary>PyTorch's keys for a layer of these options, in state_dict() order.</summary>
    private static string[] Keys(LayerOptions o, string prefix)
    {
        var names = new List<string>();
        if (o.Affine)
        {
            names.AddRange(["weight", "bias"]);
        }
        if (o.Track)
        {
            names.AddRange(["running_mean", "running_var", "num_batches_tracked"]);
        }
        return names.Select(n => prefix.Length == 0 ? n : prefix + "." + n).ToArray();
    }

    private static T[]? Array<T>(TestLayer<T> layer, string key)
        where T : unmanaged
        => key.Split('.')[^1] switch
        {
            "weight" => layer.Weight,
            "bias" => layer.Bias,
            "running_mean" => layer.RunningMean,
            "running_var" => layer.RunningVar,
            _ => null,
        };

    [Theory]
    [MemberData(nameof(All))]
    public void Saves_PyTorch_keys_dtypes_and_values(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Saves<double>(name);
        }
        else
        {
            Saves<float>(name);
        }
    }

    private static void Saves<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> layer = StateLayers.Create<T>(name);
        StateLayers.Exercise(layer, 7);
        int f = layer.Options.Features;
        foreach (string prefix in new[] { Prefix, "" })
        {
            var state = new StateDict();
            layer.Members.SaveStateDict(state, prefix);
            Assert.Equal(Keys(layer.Options, prefix), state.Keys);
            foreach (string key in state.Keys)
            {
                StateTensor tensor = state[key];
                if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                {
                    Assert.Equal(StateTensorDType.I64, tensor.DType);
                    Assert.Empty(tensor.Shape);
                    Assert.Equal([layer.NumBatchesTracked!.Value], tensor.ToInt64Array());
                    continue;
                }
                Assert.Equal(typeof(T) == typeof(float) ? StateTensorDType.F32 : StateTensorDType.F64, tensor.DType);
                Assert.Equal([(long)f], tensor.Shape);
                T[] values = typeof(T) == typeof(float) ? (T[])(object)tensor.ToSingleArray() : (T[])(object)tensor.ToDoubleArray();
                Bits.Equal(key, Array(layer, key), values);
            }
        }
    }

    [Fact]
    public void Save_replaces_the_layers_keys_in_place_and_keeps_every_other_key()
    {
        var layer = new TestLayer<float>(new StateF32AffineTrack());
        StateLayers.Exercise(layer, 8);
        var state = new StateDict();
        state.Add("features.2.weight", StateTensor.Create([1f, 2f], [2]));
        state.Add(Prefix + ".running_var", StateTensor.Create([5.0, 6.0], [2]));          // another dtype and shape: replaced
        state.Add(Prefix + ".weight", new StateTensor("U8", [3], new byte[3]));
        state.Add("head.bias", StateTensor.Create([9L], []));
        layer.Members.SaveStateDict(state, Prefix);
        Assert.Equal(
            ["features.2.weight", Prefix + ".running_var", Prefix + ".weight", "head.bias", Prefix + ".bias", Prefix + ".running_mean",
                Prefix + ".num_batches_tracked"],
            state.Keys);
        Assert.Equal([1f, 2f], state["features.2.weight"].ToSingleArray());
        Assert.Equal([9L], state["head.bias"].ToInt64Array());
        Bits.Equal("running_var", layer.RunningVar, state[Prefix + ".running_var"].ToSingleArray());
        Bits.Equal("weight", layer.Weight, state[Prefix + ".weight"].ToSingleArray());
    }

    /// <summary>A PyTorch state dict for a layer of these options at <paramref name="prefix"/>, values of a dtype.</summary>
    private static StateDict PyTorchState(LayerOptions o, string prefix, StateTensorDType dtype, int seed, long count = 12)
    {
        var random = new Random(seed);
        var state = new StateDict();
        state.Add("stem.conv.weight", StateTensor.Create(new float[6], [2, 3]));
        foreach (string key in Keys(o, prefix))
        {
            if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                state.Add(key, StateTensor.Create([count], []));
                continue;
            }
            double low = key.EndsWith("running_var", StringComparison.Ordinal) ? 0.25 : -2;
            double[] values = Data.Uniform(random, o.Features, low, 2);
            if (dtype is StateTensorDType.I64 or StateTensorDType.I32)
            {
                bool variance = key.EndsWith("running_var", StringComparison.Ordinal);
                values = values.Select(v => Math.Round(v * 3)).Select(v => variance ? Math.Abs(v) + 1 : v).ToArray();
            }
            state.Add(key, dtype switch
            {
                StateTensorDType.I64 => StateTensor.Create(values.Select(v => (long)v).ToArray(), [o.Features]),
                StateTensorDType.I32 => StateTensor.Create(values.Select(v => (int)v).ToArray(), [o.Features]),
                _ => StateTensor.Create(values, [o.Features], dtype),
            });
        }
        state.Add("head.weight", StateTensor.Create(new double[4], [4]));
        return state;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Loads_every_numeric_dtype_converted_as_copy(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Loads<double>(name);
        }
        else
        {
            Loads<float>(name);
        }
    }

    private static void Loads<T>(string name)
        where T : unmanaged
    {
        LayerOptions o = StateLayers.Options(name);
        foreach (StateTensorDType dtype in Enum.GetValues<StateTensorDType>().Where(t => t != StateTensorDType.Other))
        {
            foreach (string prefix in new[] { Prefix, "" })
            {
                StateDict state = PyTorchState(o, prefix, dtype, (int)dtype + prefix.Length, count: 41);
                TestLayer<T> layer = StateLayers.Create<T>(name);
                layer.Members.LoadStateDict(state, prefix);
                foreach (string key in Keys(o, prefix))
                {
                    if (Array(layer, key) is { } array)
                    {
                        // copy_: to float rounded to nearest, ties to even (F64 through one rounding), to double exactly.
                        T[] expected = typeof(T) == typeof(float) ? (T[])(object)state[key].ToSingleArray() : (T[])(object)state[key].ToDoubleArray();
                        Bits.Equal($"{name} {dtype} {key}", expected, array);
                        if (typeof(T) == typeof(float) && dtype == StateTensorDType.F64)
                        {
                            Bits.Equal($"{name} {key} rounded once", state[key].ToDoubleArray().Select(v => (float)v).ToArray(), (float[])(object)array);
                        }
                    }
                }
                if (o.Track)
                {
                    Assert.Equal(41, layer.NumBatchesTracked);
                }
            }
        }
    }

    [Fact]
    public void The_count_converts_from_other_dtypes_as_copy_does()
    {
        foreach ((StateTensor tensor, long expected) in new[]
        {
            (StateTensor.Create([41], []), 41L),                           // I32
            (StateTensor.Create([41.9], []), 41L),                         // F64: truncated toward zero
            (StateTensor.Create([7.5f], [], StateTensorDType.F16), 7L),    // F16
            (StateTensor.Create([-0.5], []), 0L),                          // truncates to 0, not negative
        })
        {
            var layer = new StateF64Track();
            StateDict state = PyTorchState(new TestLayer<double>(layer).Options, Prefix, StateTensorDType.F64, 3);
            state[Prefix + ".num_batches_tracked"] = tensor;
            layer.LoadStateDict(state, Prefix);
            Assert.Equal(expected, layer.NumBatchesTracked);
        }
    }

    [Fact]
    public void Loads_only_the_keys_the_layer_has()
    {
        // Without affine parameters: weight and bias are neither needed nor read (here they are malformed on purpose).
        var noAffine = new StateF32Track();
        var state = PyTorchState(new TestLayer<float>(noAffine).Options, Prefix, StateTensorDType.F32, 9);
        state.Add(Prefix + ".weight", new StateTensor("U8", [1], [0]));
        noAffine.LoadStateDict(state, Prefix);
        Bits.Equal("running_mean", state[Prefix + ".running_mean"].ToSingleArray(), noAffine.RunningMean);

        // Without running statistics: only weight and bias; running_* and num_batches_tracked may be absent or anything.
        var noTrack = new StateF32Affine();
        state = PyTorchState(new TestLayer<float>(noTrack).Options, Prefix, StateTensorDType.F32, 10);
        Assert.DoesNotContain(Prefix + ".running_mean", state.Keys);
        state.Add(Prefix + ".num_batches_tracked", StateTensor.Create([-5L], []));
        noTrack.LoadStateDict(state, Prefix);
        Bits.Equal("weight", state[Prefix + ".weight"].ToSingleArray(), noTrack.Weight);

        // Neither: nothing to load, an empty state dict is fine.
        new StateF32().LoadStateDict(new StateDict(), Prefix);
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Save_then_load_into_a_fresh_layer_reproduces_Forward_bit_for_bit(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            RoundTrip<double>(name);
        }
        else
        {
            RoundTrip<float>(name);
        }
    }

    private static void RoundTrip<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> original = StateLayers.Create<T>(name);
        StateLayers.Exercise(original, 11);
        var state = new StateDict();
        original.Members.SaveStateDict(state, "encoder.layers.0.norm");
        using var file = new MemoryStream();
        state.Save(file);
        file.Position = 0;
        TestLayer<T> loaded = StateLayers.Create<T>(name);
        loaded.Members.LoadStateDict(StateDict.Load(file), "encoder.layers.0.norm");

        Bits.Equal("Weight", original.Weight, loaded.Weight);
        Bits.Equal("Bias", original.Bias, loaded.Bias);
        Bits.Equal("RunningMean", original.RunningMean, loaded.RunningMean);
        Bits.Equal("RunningVar", original.RunningVar, loaded.RunningVar);
        Assert.Equal(original.NumBatchesTracked, loaded.NumBatchesTracked);

        // Evaluation, then training (the count decides a cumulative average's factor), with the loaded γ and β.
        Scenario scenario = Scenario.Make(original.Options, 12, Scenario.RandomDims(original.Options.Layout), 2, 0);
        var steps = new List<ScenarioStep> { scenario.Steps[0] with { Training = false } };
        steps.AddRange(scenario.Steps);
        scenario = scenario with { RunningMean = null, RunningVar = null, Steps = steps.Select(s => s with { Weight = null, Bias = null }).ToArray() };
        if (!original.Options.Track)
        {
            scenario = scenario with { Steps = scenario.Steps.Skip(1).ToArray() };
        }
        Scenario.AssertIdentical($"{name} after a round trip", scenario.Play(original), scenario.Play(loaded));
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Every_error_names_the_key_and_leaves_the_layer_untouched(string name)
    {
        if (StateLayers.IsDouble(name))
        {
            Strict<double>(name);
        }
        else
        {
            Strict<float>(name);
        }
    }

    private static void Strict<T>(string name)
        where T : unmanaged
    {
        TestLayer<T> layer = StateLayers.Create<T>(name);
        StateLayers.Exercise(layer, 13);
        layer.MaxDegreeOfParallelism = 2;
        LayerSnapshot<T> before = LayerSnapshot<T>.Of(layer);
        LayerOptions o = layer.Options;
        int f = o.Features;
        string className = layer.Name;

        // A valid state dict whose values all differ from the layer's: a partial copy would show.
        StateDict Valid() => PyTorchState(o, Prefix, StateTensorDType.F32, 14, count: 99);
        int checkedCases = 0;
        void Rejects(string key, Action<StateDict> corrupt, string message)
        {
            StateDict state = Valid();
            corrupt(state);
            var e = Assert.Throws<ArgumentException>(() => layer.Members.LoadStateDict(state, Prefix));
            Assert.Equal("state", e.ParamName);
            Assert.StartsWith(message, e.Message);
            Assert.Contains($"'{key}'", e.Message);
            before.AssertHeldBy(layer, $"{name} after '{message}'");
            checkedCases++;
        }

        foreach (string key in Keys(o, Prefix))
        {
            Rejects(key, s => s.Remove(key), $"Missing key '{key}' for layer '{className}'.");
            Rejects(key, s => s[key] = new StateTensor("U8", [f], new byte[f]), $"Key '{key}' of layer '{className}' has dtype U8;");
            Rejects(key, s => s[key] = new StateTensor("BOOL", [], [1]), $"Key '{key}' of layer '{className}' has dtype BOOL;");
            if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            {
                Rejects(key, s => s[key] = StateTensor.Create([3L], [1]),
                    $"Size mismatch for key '{key}' of layer '{className}': the state dict holds shape [1], the layer expects [].");
                Rejects(key, s => s[key] = StateTensor.Create([-1L], []), $"Key '{key}' of layer '{className}' holds -1;");
                Rejects(key, s => s[key] = StateTensor.Create([double.NaN], []), $"Key '{key}' of layer '{className}' holds NaN;");
                Rejects(key, s => s[key] = StateTensor.Create([9.3e18], []), $"Key '{key}' of layer '{className}' holds 9.3E+18;");
                Rejects(key, s => s[key] = StateTensor.Create([-1.0], []), $"Key '{key}' of layer '{className}' holds -1;");
                continue;
            }
            Rejects(key, s => s[key] = StateTensor.Create(new float[f + 1], [f + 1]),
                $"Size mismatch for key '{key}' of layer '{className}': the state dict holds shape [{f + 1}], the layer expects [{f}].");
            Rejects(key, s => s[key] = StateTensor.Create(new float[f], [1, f]),
                $"Size mismatch for key '{key}' of layer '{className}': the state dict holds shape [1, {f}], the layer expects [{f}].");
            Rejects(key, s => s[key] = StateTensor.Create([1f], []),
                $"Size mismatch for key '{key}' of layer '{className}': the state dict holds shape [], the layer expects [{f}].");
        }
        // The layer's own prefix with a trailing dot is another prefix: every key is missing.
        if (o.Affine || o.Track)
        {
            StateDict state = Valid();
            var e = Assert.Throws<ArgumentException>(() => layer.Members.LoadStateDict(state, Prefix + "."));
            Assert.StartsWith($"Missing key '{Prefix}..", e.Message);
            before.AssertHeldBy(layer, $"{name} after a prefix with a dot");
        }
        Assert.Throws<ArgumentNullException>(() => layer.Members.LoadStateDict(null!, Prefix));
        Assert.Throws<ArgumentNullException>(() => layer.Members.LoadStateDict(Valid(), null!));
        Assert.Throws<ArgumentNullException>(() => layer.Members.SaveStateDict(null!, Prefix));
        Assert.Throws<ArgumentNullException>(() => layer.Members.SaveStateDict(new StateDict(), null!));
        before.AssertHeldBy(layer, $"{name} after null arguments");
        Assert.Equal(Keys(o, Prefix).Length * 3 + (o.Affine ? 6 : 0) + (o.Track ? 6 + 5 : 0), checkedCases);

        // And the valid dict loads (the cases above were rejected for their one fault).
        layer.Members.LoadStateDict(Valid(), Prefix);
        if (o.Track)
        {
            Assert.Equal(99, layer.NumBatchesTracked);
        }
    }
}
