using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace BnGen.DeterminismProbe;

/// <summary>
/// Runs every operation of one layer on seeded data, three steps, and hashes the exact bits of everything it produces
/// into one SHA-256 per operation: outputs, gradients, saved statistics, running statistics and NumBatchesTracked.
/// <para>
/// Three ways in: the instance (Forward/Backward in training and evaluation mode, out of place and in place), the
/// generated static kernels, and the runtime-shaped <see cref="BatchNormKernels"/> with the layer's shape. The steps
/// use different shapes (batch 2–9; NCHW planes 1 × 1, 3 × 5, 7 × 7, 13 × 11) and data: values around a small offset,
/// values of mean 10⁴ and spread 10⁻² (the shifted one-pass variance), and channels whose first value lies 10⁴ spreads
/// away from the rest (a pivot far from the mean: the exact second pass).
/// </para>
/// </summary>
public sealed class Workload<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int Steps = 3;
    private const int MaxValues = 40_000;
    private static readonly (int Height, int Width)[] Planes = { (1, 1), (3, 5), (7, 7), (13, 11) };

    private readonly ProbeLayer _layer;
    private readonly int _seed;
    private readonly int _features;
    private readonly bool _nc;
    private readonly bool _affine;
    private readonly bool _track;
    private readonly List<string> _order = new();
    private readonly Dictionary<string, IncrementalHash> _hashes = new();

    public Workload(ProbeLayer layer, int seed)
    {
        _layer = layer;
        _seed = seed;
        _features = layer.Attribute.Features;
        _nc = layer.Attribute.Layout == BatchNormLayout.NC;
        _affine = layer.Attribute.Affine;
        _track = layer.Attribute.TrackRunningStats;
    }

    /// <summary>(operation, SHA-256 in hex), in a fixed order.</summary>
    public IReadOnlyList<(string Operation, string Hash)> Run()
    {
        RunInstance();
        RunKernels("static", (IStaticKernels<T>)_layer.StaticKernels);
        RunKernels("runtime", new RuntimeKernels<T>(_features, _layer.Attribute.Layout, _layer.Attribute.Epsilon));
        var result = new List<(string, string)>();
        foreach (string operation in _order)
        {
            using IncrementalHash hash = _hashes[operation];
            result.Add((operation, Convert.ToHexString(hash.GetHashAndReset())));
        }
        return result;
    }

    private void RunInstance()
    {
        object layer = _layer.Create();
        var random = new Random(_seed);
        var affine = layer as IAffineInstance<T>;
        var tracked = layer as ITrackedInstance<T>;
        if (affine is not null)
        {
            Fill(affine.Weight, random, -2, 2);
            Fill(affine.Bias, random, -1, 1);
        }
        if (tracked is not null)
        {
            Fill(tracked.RunningMean, random, -1, 1);
            Fill(tracked.RunningVar, random, 0.5, 2);
        }
        for (int step = 0; step < Steps; step++)
        {
            var (batch, height, width, x, dy) = StepData(random, step);
            int count = x.Length;
            foreach (bool training in new[] { true, false })
            {
                string mode = training ? "train" : "eval";
                SetTraining(layer, training);
                var y = new T[count];
                Forward(layer, x, y, batch, height, width);
                Hash($"instance {mode} forward", y);
                HashState($"instance {mode} forward", tracked);
                var dx = new T[count];
                Backward(layer, x, dy, dx, batch, height, width);
                Hash($"instance {mode} backward", dx);
                HashGradients($"instance {mode} backward", affine);

                // In place: output = input, then gradInput = gradOutput (with the original x for the backward pass).
                T[] buffer = (T[])x.Clone();
                Forward(layer, buffer, buffer, batch, height, width);
                Hash($"instance {mode} forward in place", buffer);
                HashState($"instance {mode} forward in place", tracked);
                buffer = (T[])dy.Clone();
                Backward(layer, x, buffer, buffer, batch, height, width);
                Hash($"instance {mode} backward in place", buffer);
                HashGradients($"instance {mode} backward in place", affine);
            }
        }
    }

    private void RunKernels(string name, IStaticKernels<T> kernels)
    {
        var random = new Random(_seed);
        int f = _features;
        T[] weight = Array.Empty<T>(), bias = Array.Empty<T>(), runningMean = Array.Empty<T>(), runningVar = Array.Empty<T>();
        if (_affine)
        {
            weight = Filled(f, random, -2, 2);
            bias = Filled(f, random, -1, 1);
        }
        if (_track)
        {
            runningMean = Filled(f, random, -1, 1);
            runningVar = Filled(f, random, 0.5, 2);
        }
        T[] weightGrad = _affine ? new T[f] : Array.Empty<T>(), biasGrad = _affine ? new T[f] : Array.Empty<T>();
        var savedMean = new double[f];
        var savedInvStd = new double[f];
        for (int step = 0; step < Steps; step++)
        {
            var (batch, height, width, x, dy) = StepData(random, step);
            int count = x.Length;
            double factor = _layer.Attribute.CumulativeAverage ? 1d / (step + 1) : _layer.Attribute.Momentum;

            var y = new T[count];
            kernels.ForwardTraining(x, y, batch, height, width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);
            Hash($"{name} train forward", y, savedMean, savedInvStd, runningMean, runningVar);
            var dx = new T[count];
            kernels.BackwardTraining(x, dy, dx, batch, height, width, weight, savedMean, savedInvStd, weightGrad, biasGrad);
            Hash($"{name} train backward", dx, weightGrad, biasGrad);

            T[] buffer = (T[])x.Clone();
            kernels.ForwardTraining(buffer, buffer, batch, height, width, weight, bias, savedMean, savedInvStd, runningMean, runningVar, factor);
            Hash($"{name} train forward in place", buffer, savedMean, savedInvStd, runningMean, runningVar);
            buffer = (T[])dy.Clone();
            kernels.BackwardTraining(x, buffer, buffer, batch, height, width, weight, savedMean, savedInvStd, weightGrad, biasGrad);
            Hash($"{name} train backward in place", buffer, weightGrad, biasGrad);

            if (_track)
            {
                kernels.ForwardInference(x, y, batch, height, width, weight, bias, runningMean, runningVar);
                Hash($"{name} eval forward", y);
                kernels.BackwardInference(x, dy, dx, batch, height, width, weight, runningMean, runningVar, weightGrad, biasGrad);
                Hash($"{name} eval backward", dx, weightGrad, biasGrad);

                buffer = (T[])x.Clone();
                kernels.ForwardInference(buffer, buffer, batch, height, width, weight, bias, runningMean, runningVar);
                Hash($"{name} eval forward in place", buffer);
                buffer = (T[])dy.Clone();
                kernels.BackwardInference(x, buffer, buffer, batch, height, width, weight, runningMean, runningVar, weightGrad, biasGrad);
                Hash($"{name} eval backward in place", buffer, weightGrad, biasGrad);
            }
        }
    }

    /// <summary>A step's shape and data; the same sequence of random numbers for every way in.</summary>
    private (int Batch, int Height, int Width, T[] X, T[] Dy) StepData(Random random, int step)
    {
        int batch, height, width;
        do
        {
            batch = random.Next(2, 10);
            (height, width) = _nc ? (1, 1) : Planes[random.Next(Planes.Length)];
        }
        while ((long)batch * _features * height * width > MaxValues);
        int plane = height * width, count = batch * _features * plane;
        var x = new T[count];
        var dy = new T[count];
        int kind = step % 3;
        var offsets = new double[_features];
        for (int c = 0; c < _features; c++)
        {
            offsets[c] = kind == 1 ? 1e4 : 6 * random.NextDouble() - 3;
        }
        for (int i = 0; i < count; i++)
        {
            int c = i / plane % _features;
            double spread = kind == 1 ? 1e-2 : 1;
            double value = offsets[c] + spread * (2 * random.NextDouble() - 1);
            // The first value of every channel far from the rest: the pivot of the shifted sums is far from the mean.
            if (kind == 2 && i / plane / _features == 0 && i % plane == 0)
            {
                value = offsets[c] + 1e4;
            }
            x[i] = T.CreateTruncating(value);
            dy[i] = T.CreateTruncating(2 * random.NextDouble() - 1);
        }
        return (batch, height, width, x, dy);
    }

    private static void SetTraining(object layer, bool training)
    {
        if (layer is INcInstance<T> nc)
        {
            nc.Training = training;
        }
        else
        {
            ((INchwInstance<T>)layer).Training = training;
        }
    }

    private static void Forward(object layer, ReadOnlySpan<T> x, Span<T> y, int batch, int height, int width)
    {
        if (layer is INcInstance<T> nc)
        {
            nc.Forward(x, y, batch);
        }
        else
        {
            ((INchwInstance<T>)layer).Forward(x, y, batch, height, width);
        }
    }

    private static void Backward(object layer, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int batch, int height, int width)
    {
        if (layer is INcInstance<T> nc)
        {
            nc.Backward(x, dy, dx, batch);
        }
        else
        {
            ((INchwInstance<T>)layer).Backward(x, dy, dx, batch, height, width);
        }
    }

    private void HashState(string operation, ITrackedInstance<T>? tracked)
    {
        if (tracked is not null)
        {
            Hash(operation, tracked.RunningMean, tracked.RunningVar);
            long count = tracked.NumBatchesTracked;
            Hasher(operation).AppendData(MemoryMarshal.AsBytes(new ReadOnlySpan<long>(in count)));
        }
    }

    private void HashGradients(string operation, IAffineInstance<T>? affine)
    {
        if (affine is not null)
        {
            Hash(operation, affine.WeightGrad, affine.BiasGrad);
        }
    }

    private void Hash(string operation, T[] first, params T[][] more)
    {
        IncrementalHash hash = Hasher(operation);
        hash.AppendData(MemoryMarshal.AsBytes(first.AsSpan()));
        foreach (T[] values in more)
        {
            hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
        }
    }

    private void Hash(string operation, T[] output, double[] savedMean, double[] savedInvStd, T[] runningMean, T[] runningVar)
    {
        IncrementalHash hash = Hasher(operation);
        hash.AppendData(MemoryMarshal.AsBytes(output.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(savedMean.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(savedInvStd.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(runningMean.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(runningVar.AsSpan()));
    }

    private IncrementalHash Hasher(string operation)
    {
        if (!_hashes.TryGetValue(operation, out IncrementalHash? hash))
        {
            hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            _hashes.Add(operation, hash);
            _order.Add(operation);
        }
        return hash;
    }

    private static void Fill(T[] target, Random random, double low, double high)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = T.CreateTruncating(low + (high - low) * random.NextDouble());
        }
    }

    private static T[] Filled(int length, Random random, double low, double high)
    {
        var result = new T[length];
        Fill(result, random, low, high);
        return result;
    }
}
