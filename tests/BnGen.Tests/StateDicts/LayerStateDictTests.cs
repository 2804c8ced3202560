using System;
using System.Linq;
using BnGen.Internal;
using Xunit;

namespace BnGen.Tests.StateDicts;

/// <summary>
/// <see cref="LayerStateDict"/>, which the generated <c>LoadStateDict</c>/<c>SaveStateDict</c> call: PyTorch's key names,
/// strictness like <c>load_state_dict(strict=True)</c>, and all-or-nothing loading.
/// </summary>
public class LayerStateDictTests
{
    private const string Layer = "Stem1Norm";

    /// <summary>A layer of 4 features: arrays filled with recognizable values.</summary>
    private sealed class Arrays<T>
        where T : unmanaged
    {
        public T[] Weight { get; } = Fill(10);

        public T[] Bias { get; } = Fill(20);

        public T[] RunningMean { get; } = Fill(30);

        public T[] RunningVar { get; } = Fill(40);

        public long Load(StateDict state, string prefix = "stem.bn1")
            => LayerStateDict.Load(state, prefix, Layer, Weight, Bias, RunningMean, RunningVar);

        public void AssertUnchanged()
        {
            Assert.Equal(Fill(10), Weight);
            Assert.Equal(Fill(20), Bias);
            Assert.Equal(Fill(30), RunningMean);
            Assert.Equal(Fill(40), RunningVar);
        }

        private static T[] Fill(int start)
            => Enumerable.Range(start, 4).Select(i => typeof(T) == typeof(float) ? (T)(object)(float)i : (T)(object)(double)i).ToArray();
    }

    /// <summary>What PyTorch's state_dict() holds for a BatchNorm2d(4) at module path "stem.bn1".</summary>
    private static StateDict PyTorchState(string prefix = "stem.bn1.")
    {
        var state = new StateDict();
        state.Add("stem.conv1.weight", StateTensor.Create(new float[8], [2, 4]));   // another layer's key: ignored
        state.Add(prefix + "weight", StateTensor.Create([1f, 2, 3, 4], [4]));
        state.Add(prefix + "bias", StateTensor.Create([-1f, -2, -3, -4], [4]));
        state.Add(prefix + "running_mean", StateTensor.Create([0.5f, 0.25f, 0.125f, 0.0625f], [4]));
        state.Add(prefix + "running_var", StateTensor.Create([2f, 4, 8, 16], [4]));
        state.Add(prefix + "num_batches_tracked", StateTensor.Create([7L], []));
        return state;
    }

    [Fact]
    public void Loads_PyTorch_keys_with_a_prefix()
    {
        var layer = new Arrays<float>();
        Assert.Equal(7, layer.Load(PyTorchState()));
        Assert.Equal([1f, 2, 3, 4], layer.Weight);
        Assert.Equal([-1f, -2, -3, -4], layer.Bias);
        Assert.Equal([0.5f, 0.25f, 0.125f, 0.0625f], layer.RunningMean);
        Assert.Equal([2f, 4, 8, 16], layer.RunningVar);
    }

    [Fact]
    public void An_empty_prefix_means_no_dot()
    {
        var layer = new Arrays<double>();
        Assert.Equal(7, layer.Load(PyTorchState(prefix: ""), prefix: ""));
        Assert.Equal([1.0, 2, 3, 4], layer.Weight);
        Assert.Equal([2.0, 4, 8, 16], layer.RunningVar);
    }

    [Fact]
    public void Only_the_keys_the_layer_has()
    {
        // Affine = false: no weight or bias needed.
        StateDict state = PyTorchState();
        state.Remove("stem.bn1.weight");
        state.Remove("stem.bn1.bias");
        var mean = new float[4];
        var variance = new float[4];
        Assert.Equal(7, LayerStateDict.Load<float>(state, "stem.bn1", Layer, null, null, mean, variance));
        Assert.Equal([2f, 4, 8, 16], variance);

        // TrackRunningStats = false: no running statistics, and the count is 0.
        state = PyTorchState();
        state.Remove("stem.bn1.running_mean");
        state.Remove("stem.bn1.running_var");
        state.Remove("stem.bn1.num_batches_tracked");
        var weight = new float[4];
        var bias = new float[4];
        Assert.Equal(0, LayerStateDict.Load<float>(state, "stem.bn1", Layer, weight, bias, null, null));
        Assert.Equal([-1f, -2, -3, -4], bias);
    }

    [Theory]
    [InlineData("weight")]
    [InlineData("bias")]
    [InlineData("running_mean")]
    [InlineData("running_var")]
    [InlineData("num_batches_tracked")]
    public void A_missing_key_is_an_error_and_nothing_is_written(string name)
    {
        StateDict state = PyTorchState();
        state.Remove("stem.bn1." + name);
        var layer = new Arrays<float>();
        var error = Assert.Throws<ArgumentException>(() => layer.Load(state));
        Assert.Equal("state", error.ParamName);
        Assert.Equal($"Missing key 'stem.bn1.{name}' for layer 'Stem1Norm'. (Parameter 'state')", error.Message);
        layer.AssertUnchanged();
    }

    [Fact]
    public void The_brief_s_example_message()
    {
        StateDict state = PyTorchState();
        state.Remove("stem.bn1.running_var");
        var layer = new Arrays<double>();
        Assert.StartsWith("Missing key 'stem.bn1.running_var' for layer 'Stem1Norm'", Assert.Throws<ArgumentException>(() => layer.Load(state)).Message);
        layer.AssertUnchanged();
    }

    [Theory]
    [InlineData("weight", new long[] { 3 }, "[3]", "[4]")]
    [InlineData("bias", new long[] { 5 }, "[5]", "[4]")]
    [InlineData("running_mean", new long[] { 1, 4 }, "[1, 4]", "[4]")]
    [InlineData("running_var", new long[] { 2, 2 }, "[2, 2]", "[4]")]
    [InlineData("num_batches_tracked", new long[] { 1 }, "[1]", "[]")]
    [InlineData("num_batches_tracked", new long[] { 1, 1 }, "[1, 1]", "[]")]
    public void A_wrong_shape_is_an_error_and_nothing_is_written(string name, long[] shape, string actual, string expected)
    {
        StateDict state = PyTorchState();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        state["stem.bn1." + name] = StateTensor.Create(new double[count], shape);
        var layer = new Arrays<float>();
        var error = Assert.Throws<ArgumentException>(() => layer.Load(state));
        Assert.Equal($"Size mismatch for key 'stem.bn1.{name}' of layer 'Stem1Norm': the state dict holds shape {actual}, the layer expects {expected}. (Parameter 'state')",
            error.Message);
        layer.AssertUnchanged();
    }

    [Fact]
    public void A_scalar_is_not_a_vector_of_one()
    {
        var state = new StateDict();
        state["weight"] = StateTensor.Create([2f], []);   // shape [], but a 1-feature layer wants [1]
        var weight = new[] { 5f };
        var error = Assert.Throws<ArgumentException>(() => LayerStateDict.Load<float>(state, "", "One", weight, null, null, null));
        Assert.Equal("Size mismatch for key 'weight' of layer 'One': the state dict holds shape [], the layer expects [1]. (Parameter 'state')", error.Message);
        Assert.Equal([5f], weight);
        state["weight"] = StateTensor.Create([2f], [1]);
        LayerStateDict.Load<float>(state, "", "One", weight, null, null, null);
        Assert.Equal([2f], weight);
    }

    [Theory]
    [InlineData("weight", "U8")]
    [InlineData("running_var", "BOOL")]
    [InlineData("num_batches_tracked", "U64")]
    [InlineData("bias", "F8_E4M3")]
    public void A_non_numeric_dtype_is_an_error_and_nothing_is_written(string name, string dtype)
    {
        StateDict state = PyTorchState();
        int size = dtype == "U64" ? 8 : 1;
        state["stem.bn1." + name] = name == "num_batches_tracked"
            ? new StateTensor(dtype, [], new byte[size])
            : new StateTensor(dtype, [4], new byte[4 * size]);
        var layer = new Arrays<double>();
        var error = Assert.Throws<ArgumentException>(() => layer.Load(state));
        Assert.Equal($"Key 'stem.bn1.{name}' of layer 'Stem1Norm' has dtype {dtype}; a layer loads F64, F32, F16, BF16, I64 or I32. (Parameter 'state')", error.Message);
        layer.AssertUnchanged();
    }

    [Theory]
    [InlineData(-1L, "-1")]
    [InlineData(long.MinValue, "-9223372036854775808")]
    public void A_negative_count_is_an_error_and_nothing_is_written(long count, string shown)
    {
        StateDict state = PyTorchState();
        state["stem.bn1.num_batches_tracked"] = StateTensor.Create([count], []);
        var layer = new Arrays<float>();
        Assert.Equal($"Key 'stem.bn1.num_batches_tracked' of layer 'Stem1Norm' holds {shown}; num_batches_tracked must be a non-negative integer. (Parameter 'state')",
            Assert.Throws<ArgumentException>(() => layer.Load(state)).Message);
        layer.AssertUnchanged();
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(-1.0, "-1")]
    [InlineData(1e19, "1E+19")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void A_floating_count_without_a_long_value_is_an_error(double count, string shown)
    {
        StateDict state = PyTorchState();
        state["stem.bn1.num_batches_tracked"] = StateTensor.Create([count], []);
        var layer = new Arrays<float>();
        Assert.Equal($"Key 'stem.bn1.num_batches_tracked' of layer 'Stem1Norm' holds {shown}; num_batches_tracked must be a non-negative integer. (Parameter 'state')",
            Assert.Throws<ArgumentException>(() => layer.Load(state)).Message);
        layer.AssertUnchanged();
    }

    [Fact]
    public void Values_convert_as_copy_does()
    {
        var state = new StateDict();
        state["bn.weight"] = StateTensor.Create([1 + Math.Pow(2, -24), 0.1, 1e39, -2], [4]);                // F64
        state["bn.bias"] = StateTensor.Create([1.5f, -0.1f, 3f, 65504f], [4], StateTensorDType.F16);        // F16
        state["bn.running_mean"] = StateTensor.Create([1.5f, -0.1f, 3f, 7f], [4], StateTensorDType.BF16);   // BF16
        state["bn.running_var"] = StateTensor.Create([16_777_217L, 1, 2, 3], [4]);                          // I64
        state["bn.num_batches_tracked"] = StateTensor.Create([3.7f], []);                                    // F32: truncated
        var layer = new Arrays<float>();
        Assert.Equal(3, layer.Load(state, "bn"));
        Assert.Equal([1f, 0.1f, float.PositiveInfinity, -2f], layer.Weight);
        Assert.Equal([1.5f, -0.0999755859375f, 3f, 65504f], layer.Bias);
        Assert.Equal([1.5f, -0.10009765625f, 3f, 7f], layer.RunningMean);
        Assert.Equal([16_777_216f, 1, 2, 3], layer.RunningVar);

        state["bn.num_batches_tracked"] = StateTensor.Create([9], []);   // I32
        var wide = new Arrays<double>();
        Assert.Equal(9, wide.Load(state, "bn"));
        Assert.Equal([1 + Math.Pow(2, -24), 0.1, 1e39, -2], wide.Weight);   // F64 into a double layer: exact
        Assert.Equal([16_777_217.0, 1, 2, 3], wide.RunningVar);
    }

    [Fact]
    public void Save_writes_PyTorch_keys_dtypes_and_order()
    {
        var state = new StateDict();
        LayerStateDict.Save(state, "stem.bn1", new[] { 1f, 2 }, new[] { 3f, 4 }, new[] { 5f, 6 }, new[] { 7f, 8 }, 42);
        Assert.Equal(["stem.bn1.weight", "stem.bn1.bias", "stem.bn1.running_mean", "stem.bn1.running_var", "stem.bn1.num_batches_tracked"], state.Keys);
        Assert.All(state.Keys.Take(4), key => Assert.Equal("F32", state[key].DTypeName));
        Assert.All(state.Keys.Take(4), key => Assert.Equal([2L], state[key].Shape));
        Assert.Equal("I64", state["stem.bn1.num_batches_tracked"].DTypeName);
        Assert.Empty(state["stem.bn1.num_batches_tracked"].Shape);
        Assert.Equal([42L], state["stem.bn1.num_batches_tracked"].ToInt64Array());
        Assert.Equal([7f, 8], state["stem.bn1.running_var"].ToSingleArray());

        var doubles = new StateDict();
        LayerStateDict.Save<double>(doubles, "", new[] { 0.1 }, new[] { 0.2 }, null, null, 0);
        Assert.Equal(["weight", "bias"], doubles.Keys);
        Assert.Equal("F64", doubles["weight"].DTypeName);
        Assert.Equal([0.1], doubles["weight"].ToDoubleArray());

        var statsOnly = new StateDict();
        LayerStateDict.Save<float>(statsOnly, "bn", null, null, new[] { 0f }, new[] { 1f }, 3);
        Assert.Equal(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"], statsOnly.Keys);
    }

    [Fact]
    public void Save_replaces_existing_keys_in_place_and_appends_new_ones()
    {
        var state = new StateDict();
        state["stem.conv1.weight"] = StateTensor.Create([0f], [1]);
        state["stem.bn1.bias"] = StateTensor.Create([99.0], [1]);   // stale, other dtype and shape
        state["head.weight"] = StateTensor.Create([0f], [1]);
        LayerStateDict.Save(state, "stem.bn1", new[] { 1f, 2 }, new[] { 3f, 4 }, new[] { 5f, 6 }, new[] { 7f, 8 }, 1);
        Assert.Equal(
            ["stem.conv1.weight", "stem.bn1.bias", "head.weight", "stem.bn1.weight", "stem.bn1.running_mean", "stem.bn1.running_var", "stem.bn1.num_batches_tracked"],
            state.Keys);
        Assert.Equal([3f, 4], state["stem.bn1.bias"].ToSingleArray());
        Assert.Equal("F32", state["stem.bn1.bias"].DTypeName);
    }

    [Fact]
    public void Save_then_load_through_a_file_is_exact()
    {
        var source = new Arrays<double>();
        var state = new StateDict();
        LayerStateDict.Save(state, "features.3", source.Weight, source.Bias, source.RunningMean, source.RunningVar, 1234);
        StateDict reloaded = TestFiles.LoadSeekable(TestFiles.Save(state));
        var target = new double[4][];
        for (int i = 0; i < 4; i++)
        {
            target[i] = new double[4];
        }

        Assert.Equal(1234, LayerStateDict.Load(reloaded, "features.3", "L", target[0], target[1], target[2], target[3]));
        Assert.Equal(source.Weight, target[0]);
        Assert.Equal(source.RunningVar, target[3]);
    }

    [Fact]
    public void Argument_errors()
    {
        var weight = new float[1];
        Assert.Equal("state", Assert.Throws<ArgumentNullException>(() => LayerStateDict.Load<float>(null!, "", Layer, weight, null, null, null)).ParamName);
        Assert.Equal("prefix", Assert.Throws<ArgumentNullException>(() => LayerStateDict.Load<float>(new StateDict(), null!, Layer, weight, null, null, null)).ParamName);
        Assert.Equal("state", Assert.Throws<ArgumentNullException>(() => LayerStateDict.Save<float>(null!, "", weight, null, null, null, 0)).ParamName);
        Assert.Equal("prefix", Assert.Throws<ArgumentNullException>(() => LayerStateDict.Save<float>(new StateDict(), null!, weight, null, null, null, 0)).ParamName);
        Assert.Equal("numBatchesTracked", Assert.Throws<ArgumentOutOfRangeException>(() => LayerStateDict.Save<float>(new StateDict(), "", null, null, weight, weight, -1)).ParamName);
        Assert.Throws<NotSupportedException>(() => LayerStateDict.Load<int>(new StateDict(), "", Layer, new int[1], null, null, null));
        Assert.Throws<NotSupportedException>(() => LayerStateDict.Save<int>(new StateDict(), "", new int[1], null, null, null, 0));
    }
}
