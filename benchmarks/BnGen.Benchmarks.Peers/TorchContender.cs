using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using BnGen;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// libtorch (TorchSharp-cpu 0.107.0, libtorch 2.10 CPU) with a fixed number of intra-op threads
/// (<c>torch.set_num_threads</c> before each batch). Forwards: <c>torch.nn.functional.batch_norm</c> on preallocated
/// tensors that do not require gradients (no autograd recording: the bare operation). Backwards: the autograd backward
/// of a batch_norm graph built once (<c>torch.autograd.grad</c> with <c>retain_graph</c>, so the gradients are returned,
/// not accumulated into <c>.grad</c>). What a call still allocates, and cannot avoid through this API: the output
/// tensor (y, or dx with the weight and bias gradients) in libtorch's CPU allocator, libtorch's saved mean and
/// inverse std, the autograd engine's per-call task, and the managed <c>Tensor</c> wrappers (and, for the backward,
/// the list <c>grad</c> returns); each result is disposed on the next call.
/// </summary>
public sealed class TorchContender : Contender
{
    private static string? loadError;
    private static bool loadTried;

    private readonly int threads;
    private readonly bool channelsLast;
    private readonly Tensor xStore, dyStore, x, dy, weight, bias, runningMean, runningVar;
    private Tensor? xGraph, weightGraph, biasGraph, yGraph;
    private Tensor[]? graphOutputs, graphInputs, graphGradOutputs;
    private Tensor? lastOutput;
    private IList<Tensor>? lastGradients;

    public TorchContender(ShapeData data, int threads)
        : base(data)
    {
        string? error = TryLoad();
        if (error is not null)
        {
            throw new ContenderUnavailableException(error);
        }
        this.threads = threads;
        Name = $"libtorch {threads}T";
        Shape s = data.Shape;
        channelsLast = s.Layout == BatchNormLayout.NHWC;
        // The tensors own their memory (libtorch's allocator aligns it to 64 bytes); x and dy are copied in once.
        // NHWC: a [N, H, W, C] tensor seen as [N, C, H, W] with channels-last strides, libtorch's own NHWC.
        long[] storeShape = s.Layout switch
        {
            BatchNormLayout.NC => new long[] { s.Batch, s.Features },
            BatchNormLayout.NHWC => new long[] { s.Batch, s.Height, s.Width, s.Features },
            _ => new long[] { s.Batch, s.Features, s.Height, s.Width },
        };
        xStore = FromBuffer(data.X, storeShape);
        dyStore = FromBuffer(data.Dy, storeShape);
        x = channelsLast ? xStore.permute(0, 3, 1, 2) : xStore;
        dy = channelsLast ? dyStore.permute(0, 3, 1, 2) : dyStore;
        weight = FromBuffer(data.Weight, new long[] { s.Features });
        bias = FromBuffer(data.Bias, new long[] { s.Features });
        runningMean = FromBuffer(data.RunningMean, new long[] { s.Features });
        runningVar = FromBuffer(data.RunningVar, new long[] { s.Features });
    }

    public override string Name { get; }

    /// <summary>Loads libtorch once; null when it loaded, else why not (the libtorch contenders are then skipped).</summary>
    public static string? TryLoad()
    {
        if (!loadTried)
        {
            loadTried = true;
            try
            {
                InitializeDeviceType(DeviceType.CPU);
                using Tensor probe = ones(2);
            }
            catch (Exception e)
            {
                Exception cause = e;
                while (cause.InnerException is not null)
                {
                    cause = cause.InnerException;
                }
                loadError = $"libtorch did not load ({cause.GetType().Name}: {cause.Message.Trim().Split('\n')[0]}). "
                    + "On Debian 12 TorchSharp-cpu 0.107.0 needs a newer libstdc++: see docs/benchmarks-peers.md.";
            }
        }
        return loadError;
    }

    private static Tensor FromBuffer(AlignedBuffer<float> buffer, long[] shape)
    {
        Tensor tensor = empty(shape, ScalarType.Float32);
        buffer.Span.CopyTo(MemoryMarshal.Cast<byte, float>(tensor.bytes));
        return tensor;
    }

    public override void Reset()
    {
        Data.RunningMean.Span.CopyTo(MemoryMarshal.Cast<byte, float>(runningMean.bytes));
        Data.RunningVar.Span.CopyTo(MemoryMarshal.Cast<byte, float>(runningVar.bytes));
        lastOutput?.Dispose();
        lastOutput = null;
        DisposeGradients();
    }

    public override void Prepare(Op op)
    {
        DisposeGraph();
        if (op is Op.TrainingBackward or Op.EvalBackward)
        {
            // The graph the timed backward runs through: y = batch_norm(x, …) with x, weight and bias requiring
            // gradients (views of the same memory). Building it runs one forward, which (training) updates the
            // running statistics once, as BnGen's Prepare does.
            torch.set_num_threads(threads);
            xGraph = x.detach().requires_grad_(true);
            weightGraph = weight.detach().requires_grad_(true);
            biasGraph = bias.detach().requires_grad_(true);
            yGraph = nn.functional.batch_norm(xGraph, runningMean, runningVar, weightGraph, biasGraph,
                training: op == Op.TrainingBackward, momentum: ShapeData.Momentum, eps: ShapeData.Epsilon);
            graphOutputs = new[] { yGraph };
            graphInputs = new[] { xGraph, weightGraph, biasGraph };
            graphGradOutputs = new[] { dy };
        }
    }

    public override void Enter() => torch.set_num_threads(threads);

    /// <summary>libgomp's workers spin for a few milliseconds after a parallel region: let them sleep before the next batch.</summary>
    public override int SettleMilliseconds => threads > 1 ? 10 : 0;

    public override void Run(Op op, int calls)
    {
        switch (op)
        {
            case Op.TrainingForward:
            case Op.EvalForward:
                bool training = op == Op.TrainingForward;
                for (int i = 0; i < calls; i++)
                {
                    Tensor output = nn.functional.batch_norm(x, runningMean, runningVar, weight, bias, training,
                        ShapeData.Momentum, ShapeData.Epsilon);
                    lastOutput?.Dispose();
                    lastOutput = output;
                }
                break;
            default:
                for (int i = 0; i < calls; i++)
                {
                    IList<Tensor> gradients = autograd.grad(graphOutputs!, graphInputs!, graphGradOutputs!, retain_graph: true);
                    DisposeGradients();
                    lastGradients = gradients;
                }
                break;
        }
    }

    public override Outcome Collect(Op op)
    {
        var outcome = new Outcome();
        switch (op)
        {
            case Op.TrainingForward:
                outcome.Add("y", Values(lastOutput!));
                outcome.Add("runningMean", Values(runningMean));
                outcome.Add("runningVar", Values(runningVar));
                break;
            case Op.EvalForward:
                outcome.Add("y", Values(lastOutput!));
                break;
            default:
                outcome.Add("dx", Values(lastGradients![0]));
                outcome.Add("weightGrad", Values(lastGradients[1]));
                outcome.Add("biasGrad", Values(lastGradients[2]));
                break;
        }
        return outcome;
    }

    /// <summary>A tensor's values in the shape's memory order (NHWC for channels-last tensors).</summary>
    private float[] Values(Tensor tensor)
    {
        using Tensor ordered = channelsLast && tensor.dim() == 4 ? tensor.permute(0, 2, 3, 1).contiguous() : tensor.contiguous();
        return MemoryMarshal.Cast<byte, float>(ordered.bytes).ToArray();
    }

    private void DisposeGradients()
    {
        if (lastGradients is not null)
        {
            foreach (Tensor gradient in lastGradients)
            {
                gradient.Dispose();
            }
            lastGradients = null;
        }
    }

    private void DisposeGraph()
    {
        DisposeGradients();
        yGraph?.Dispose();
        xGraph?.Dispose();
        weightGraph?.Dispose();
        biasGraph?.Dispose();
        yGraph = xGraph = weightGraph = biasGraph = null;
    }

    public override void Dispose()
    {
        DisposeGraph();
        lastOutput?.Dispose();
        if (channelsLast)
        {
            x.Dispose();
            dy.Dispose();
        }
        foreach (Tensor tensor in new[] { xStore, dyStore, weight, bias, runningMean, runningVar })
        {
            tensor.Dispose();
        }
        base.Dispose();
    }
}
