using System;
using System.Collections.Generic;
using BnGen;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// ONNX Runtime 1.31.1, CPU execution provider, one intra-op thread, eval forward only: a model of one
/// BatchNormalization node (opset 15, built in memory with OnnxSharp) whose five inputs — x, scale, B, mean, var — are
/// graph inputs, bound with an <see cref="OrtIoBinding"/> to OrtValues over the same pinned, 64-byte aligned buffers
/// BnGen reads; y is bound to a preallocated pinned buffer of its own. The timed call is
/// <see cref="InferenceSession.RunWithBinding(RunOptions, OrtIoBinding)"/>, which allocates nothing managed.
/// </summary>
public sealed class OrtContender : Contender
{
    private readonly InferenceSession session;
    private readonly RunOptions runOptions = new();
    private readonly OrtIoBinding binding;
    private readonly List<OrtValue> values = new();
    private readonly AlignedBuffer<float> y;

    public OrtContender(ShapeData data)
        : base(data)
    {
        Shape s = data.Shape;
        if (s.Layout == BatchNormLayout.NHWC)
        {
            throw new ContenderUnavailableException(
                "ONNX BatchNormalization takes NCHW only; the CPU execution provider has no NHWC kernel for it",
                notApplicable: true);
        }
        long[] dims = s.Layout == BatchNormLayout.NC
            ? new long[] { s.Batch, s.Features }
            : new long[] { s.Batch, s.Features, s.Height, s.Width };
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        session = new InferenceSession(BatchNormalizationModel(dims, s.Features, ShapeData.Epsilon), options);
        y = new AlignedBuffer<float>(s.Count);
        binding = session.CreateIoBinding();
        long[] channel = { s.Features };
        Bind("X", data.X, dims, output: false);
        Bind("scale", data.Weight, channel, output: false);
        Bind("B", data.Bias, channel, output: false);
        Bind("input_mean", data.RunningMean, channel, output: false);
        Bind("input_var", data.RunningVar, channel, output: false);
        Bind("Y", y, dims, output: true);
    }

    public override string Name => "ONNX Runtime";

    public override bool Supports(Op op) => op == Op.EvalForward;

    private void Bind(string name, AlignedBuffer<float> buffer, long[] dims, bool output)
    {
        OrtValue value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.Memory, dims);
        values.Add(value);
        if (output)
        {
            binding.BindOutput(name, value);
        }
        else
        {
            binding.BindInput(name, value);
        }
    }

    /// <summary>Y = BatchNormalization(X, scale, B, input_mean, input_var), inference mode, every tensor a float graph input.</summary>
    public static byte[] BatchNormalizationModel(long[] dims, int features, double epsilon)
    {
        var node = new NodeProto { Name = "bn", OpType = "BatchNormalization" };
        node.Input.Add(new[] { "X", "scale", "B", "input_mean", "input_var" });
        node.Output.Add("Y");
        node.Attribute.Add(new AttributeProto
        {
            Name = "epsilon",
            Type = AttributeProto.Types.AttributeType.Float,
            F = (float)epsilon,
        });
        var graph = new GraphProto { Name = "batch_norm" };
        graph.Node.Add(node);
        graph.Input.Add(FloatTensor("X", dims));
        foreach (string name in new[] { "scale", "B", "input_mean", "input_var" })
        {
            graph.Input.Add(FloatTensor(name, new long[] { features }));
        }
        graph.Output.Add(FloatTensor("Y", dims));
        var model = new ModelProto { IrVersion = 8, ProducerName = "BnGen.Benchmarks.Peers", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 15 });
        return model.ToByteArray();
    }

    private static ValueInfoProto FloatTensor(string name, long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape };
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    public override void Reset() => y.Span.Fill(float.NaN);

    public override void Run(Op op, int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            session.RunWithBinding(runOptions, binding);
        }
    }

    public override Outcome Collect(Op op)
    {
        var outcome = new Outcome();
        outcome.Add("y", y.Span);
        return outcome;
    }

    public override void Dispose()
    {
        binding.Dispose();
        foreach (OrtValue value in values)
        {
            value.Dispose();
        }
        session.Dispose();
        runOptions.Dispose();
        base.Dispose();
    }
}
