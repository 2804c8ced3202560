using System;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;

namespace BnGen.Internal;

/// <summary>
/// What a generated layer's <c>LoadStateDict</c> and <c>SaveStateDict</c> call: PyTorch's key names for one batch-norm
/// layer, <c>{prefix}.weight</c>, <c>{prefix}.bias</c>, <c>{prefix}.running_mean</c>, <c>{prefix}.running_var</c> and
/// <c>{prefix}.num_batches_tracked</c> (an empty prefix means no <c>"prefix."</c>), loaded as strictly as
/// <c>load_state_dict(strict=True)</c> and all or nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class LayerStateDict
{
    /// <summary>
    /// Loads a layer's parameters and buffers from <paramref name="state"/>: <c>weight</c> and <c>bias</c> when the
    /// arrays are not null, <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> when the running
    /// statistics are not null. Every key must be present with shape <c>[features]</c> (<c>num_batches_tracked</c>:
    /// shape <c>[]</c>) and a numeric dtype (F64, F32, F16, BF16, I64, I32); values convert to
    /// <typeparamref name="T"/> as <c>Tensor.copy_</c> does (rounded to nearest, ties to even, where narrower). Keys the
    /// layer does not use are ignored (the state dict usually holds a whole model). Everything is checked before
    /// anything is copied: on an exception no array is changed.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>: the layer's element type.</typeparam>
    /// <param name="state">The state dict, for example from <see cref="StateDict.Load(string)"/>.</param>
    /// <param name="prefix">The layer's module path in the PyTorch model (<c>"stem.bn1"</c>), or empty.</param>
    /// <param name="layerName">The layer's class name, for messages.</param>
    /// <param name="weight">γ, or null when the layer is not affine.</param>
    /// <param name="bias">β, or null when the layer is not affine.</param>
    /// <param name="runningMean">The running mean, or null when the layer tracks no running statistics.</param>
    /// <param name="runningVar">The running variance, or null when the layer tracks no running statistics.</param>
    /// <returns><c>num_batches_tracked</c>, or 0 when the layer has no running statistics.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/>, <paramref name="prefix"/> or <paramref name="layerName"/> is null.</exception>
    /// <exception cref="ArgumentException">(parameter <c>state</c>) A key is missing, has another shape, a non-numeric
    /// dtype, or <c>num_batches_tracked</c> is negative, NaN or beyond a long; the message names the key and the layer.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static long Load<T>(StateDict state, string prefix, string layerName, T[]? weight, T[]? bias, T[]? runningMean, T[]? runningVar)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(layerName);
        CheckElementType<T>();
        int features = weight?.Length ?? runningMean?.Length ?? bias?.Length ?? runningVar?.Length ?? 0;
        bool tracksStatistics = runningMean is not null || runningVar is not null;

        // Check every key first, in PyTorch's order, so that an error leaves the layer as it was.
        StateTensor? weightTensor = weight is null ? null : Vector(state, Key(prefix, "weight"), layerName, features);
        StateTensor? biasTensor = bias is null ? null : Vector(state, Key(prefix, "bias"), layerName, features);
        StateTensor? meanTensor = runningMean is null ? null : Vector(state, Key(prefix, "running_mean"), layerName, features);
        StateTensor? varTensor = runningVar is null ? null : Vector(state, Key(prefix, "running_var"), layerName, features);
        long numBatchesTracked = tracksStatistics ? Count(state, Key(prefix, "num_batches_tracked"), layerName) : 0;

        // Then copy: nothing below can fail.
        CopyInto(weightTensor, weight);
        CopyInto(biasTensor, bias);
        CopyInto(meanTensor, runningMean);
        CopyInto(varTensor, runningVar);
        return numBatchesTracked;
    }

    /// <summary>
    /// Writes a layer's parameters and buffers to <paramref name="state"/> under the keys <see cref="Load{T}"/> reads:
    /// F32 tensors for a float layer, F64 for a double layer, each of shape <c>[features]</c>, and
    /// <c>num_batches_tracked</c> as an I64 scalar (shape <c>[]</c>) when the running statistics are not null. A key
    /// already present is replaced in place; new keys are appended in PyTorch's order (weight, bias, running_mean,
    /// running_var, num_batches_tracked).
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>: the layer's element type.</typeparam>
    /// <param name="state">The state dict to write to.</param>
    /// <param name="prefix">The layer's module path in the PyTorch model (<c>"stem.bn1"</c>), or empty.</param>
    /// <param name="weight">γ, or null when the layer is not affine.</param>
    /// <param name="bias">β, or null when the layer is not affine.</param>
    /// <param name="runningMean">The running mean, or null when the layer tracks no running statistics.</param>
    /// <param name="runningVar">The running variance, or null when the layer tracks no running statistics.</param>
    /// <param name="numBatchesTracked">The layer's count of training batches (written with the running statistics).</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numBatchesTracked"/> is negative.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public static void Save<T>(StateDict state, string prefix, T[]? weight, T[]? bias, T[]? runningMean, T[]? runningVar, long numBatchesTracked)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(numBatchesTracked);
        CheckElementType<T>();
        bool tracksStatistics = runningMean is not null || runningVar is not null;

        // Build every tensor first, then write them in PyTorch's order.
        StateTensor? weightTensor = weight is null ? null : Tensor(weight);
        StateTensor? biasTensor = bias is null ? null : Tensor(bias);
        StateTensor? meanTensor = runningMean is null ? null : Tensor(runningMean);
        StateTensor? varTensor = runningVar is null ? null : Tensor(runningVar);
        StateTensor? countTensor = tracksStatistics ? StateTensor.Create([numBatchesTracked], []) : null;
        Put(state, Key(prefix, "weight"), weightTensor);
        Put(state, Key(prefix, "bias"), biasTensor);
        Put(state, Key(prefix, "running_mean"), meanTensor);
        Put(state, Key(prefix, "running_var"), varTensor);
        Put(state, Key(prefix, "num_batches_tracked"), countTensor);
    }

    private static string Key(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    /// <summary>The tensor of a parameter or running statistic: present, numeric, of shape [features].</summary>
    private static StateTensor Vector(StateDict state, string key, string layer, int features)
    {
        StateTensor tensor = Numeric(state, key, layer);
        if (tensor.Rank != 1 || tensor.Shape[0] != features)
        {
            ThrowHelper.StateShapeMismatch(key, layer, StateTensor.FormatShape([.. tensor.Shape]), StateTensor.FormatShape([features]));
        }

        return tensor;
    }

    /// <summary>num_batches_tracked: present, numeric, a scalar, a non-negative integer (floating values truncated, as copy_ does).</summary>
    private static long Count(StateDict state, string key, string layer)
    {
        StateTensor tensor = Numeric(state, key, layer);
        if (tensor.Rank != 0)
        {
            ThrowHelper.StateShapeMismatch(key, layer, StateTensor.FormatShape([.. tensor.Shape]), "[]");
        }

        if (tensor.DType is StateTensorDType.I64 or StateTensorDType.I32)
        {
            Span<long> integer = stackalloc long[1];
            tensor.CopyTo(integer);
            if (integer[0] < 0)
            {
                ThrowHelper.StateCountInvalid(key, layer, integer[0].ToString(CultureInfo.InvariantCulture));
            }

            return integer[0];
        }

        Span<double> real = stackalloc double[1];
        tensor.CopyTo(real);
        // Truncation toward zero gives a non-negative long exactly for real in (-1, 2^63); NaN fails the test.
        if (!(real[0] > -1.0 && real[0] < 9223372036854775808.0))
        {
            ThrowHelper.StateCountInvalid(key, layer, real[0].ToString("R", CultureInfo.InvariantCulture));
        }

        return (long)real[0];
    }

    private static StateTensor Numeric(StateDict state, string key, string layer)
    {
        if (!state.TryGetValue(key, out StateTensor? tensor))
        {
            ThrowHelper.StateKeyMissing(key, layer);
        }

        if (tensor.DType == StateTensorDType.Other)
        {
            ThrowHelper.StateDTypeNotNumeric(key, layer, tensor.DTypeName);
        }

        return tensor;
    }

    private static void CopyInto<T>(StateTensor? tensor, T[]? destination)
        where T : unmanaged
    {
        if (tensor is null || destination is null)
        {
            return;
        }

        if (typeof(T) == typeof(float))
        {
            tensor.CopyTo(MemoryMarshal.Cast<T, float>(destination.AsSpan()));
        }
        else
        {
            tensor.CopyTo(MemoryMarshal.Cast<T, double>(destination.AsSpan()));
        }
    }

    private static StateTensor Tensor<T>(T[] values)
        where T : unmanaged
        => typeof(T) == typeof(float)
            ? StateTensor.Create(MemoryMarshal.Cast<T, float>(values.AsSpan()), [values.Length])
            : StateTensor.Create(MemoryMarshal.Cast<T, double>(values.AsSpan()), [values.Length]);

    private static void Put(StateDict state, string key, StateTensor? tensor)
    {
        if (tensor is not null)
        {
            state[key] = tensor;
        }
    }

    private static void CheckElementType<T>()
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"A layer's state is float or double, not {typeof(T).Name}.");
        }
    }
}
