using System;
using System.Linq;
using System.Reflection;
using BnGen;
using RosF = System.ReadOnlySpan<float>;
using RosD = System.ReadOnlySpan<double>;
using SpanF = System.Span<float>;
using SpanD = System.Span<double>;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// BnGen: the static kernels of the shape's generated layer (Layers.cs) on preallocated, 64-byte aligned buffers
/// (x, dy from <see cref="ShapeData"/>; its own y, dx, running statistics, saved statistics and parameter gradients).
/// The kernels are bound once, by their exact parameter types, to function pointers, so that one class serves every
/// layer and every layout. With <c>degree</c> &gt; 1 it binds the overloads with the trailing
/// <c>int maxDegreeOfParallelism</c> (issue 9) and is unavailable while the emitter does not write them.
/// </summary>
public sealed unsafe class BnGenContender : Contender
{
    private readonly int degree;
    private readonly bool planes;
    private readonly nint forwardTraining, forwardInference, backwardTraining, backwardInference;
    private readonly AlignedBuffer<float> y, dx, runningMean, runningVar, weightGrad, biasGrad;
    private readonly AlignedBuffer<double> savedMean, savedInvStd;

    public BnGenContender(ShapeData data, int degree = 1)
        : base(data)
    {
        this.degree = degree;
        Name = degree == 1 ? "BnGen" : $"BnGen {degree}T";
        planes = data.Shape.Layout != BatchNormLayout.NC;
        Type[] input = { typeof(RosF), typeof(SpanF) };
        Type[] gradient = { typeof(RosF), typeof(RosF), typeof(SpanF) };
        forwardTraining = Bind("ForwardTraining", input,
            typeof(RosF), typeof(RosF), typeof(SpanD), typeof(SpanD), typeof(SpanF), typeof(SpanF), typeof(double));
        forwardInference = Bind("ForwardInference", input, typeof(RosF), typeof(RosF), typeof(RosF), typeof(RosF));
        backwardTraining = Bind("BackwardTraining", gradient, typeof(RosF), typeof(RosD), typeof(RosD), typeof(SpanF), typeof(SpanF));
        backwardInference = Bind("BackwardInference", gradient, typeof(RosF), typeof(RosF), typeof(RosF), typeof(SpanF), typeof(SpanF));

        int count = data.Shape.Count, features = data.Shape.Features;
        y = new AlignedBuffer<float>(count);
        dx = new AlignedBuffer<float>(count);
        runningMean = new AlignedBuffer<float>(features);
        runningVar = new AlignedBuffer<float>(features);
        weightGrad = new AlignedBuffer<float>(features);
        biasGrad = new AlignedBuffer<float>(features);
        savedMean = new AlignedBuffer<double>(features);
        savedInvStd = new AlignedBuffer<double>(features);
        Reset();
    }

    public override string Name { get; }

    /// <summary>BnGen's saved statistics after the last training forward (the checks scale gradient tolerances with them).</summary>
    public ReadOnlySpan<double> SavedMean => savedMean.Span;
    public ReadOnlySpan<double> SavedInvStd => savedInvStd.Span;

    /// <summary>The layer's static method <paramref name="name"/>(tensors, dims, rest[, int maxDegreeOfParallelism]).</summary>
    private nint Bind(string name, Type[] tensors, params Type[] rest)
    {
        Type[] dims = planes ? new[] { typeof(int), typeof(int), typeof(int) } : new[] { typeof(int) };
        Type[] parameters = tensors.Concat(dims).Concat(rest).Concat(degree == 1 ? Type.EmptyTypes : new[] { typeof(int) }).ToArray();
        Type layer = Shape.Layer;
        MethodInfo? method = layer.GetMethod(name, BindingFlags.Public | BindingFlags.Static, parameters);
        if (method is null || method.ReturnType != typeof(void))
        {
            string why = degree != 1
                ? "the generated layers have no maxDegreeOfParallelism overloads yet (issue 9)"
                : $"the generator wrote no such kernel for {Shape.Layout} (is the layer declared for this layout and float?)";
            throw new ContenderUnavailableException(
                $"{layer.Name}.{name}({string.Join(", ", parameters.Select(p => p.Name))}) not found: {why}");
        }
        return method.MethodHandle.GetFunctionPointer();
    }

    public override void Reset()
    {
        runningMean.CopyFrom(Data.RunningMean);
        runningVar.CopyFrom(Data.RunningVar);
        y.Span.Fill(float.NaN);
        dx.Span.Fill(float.NaN);
        weightGrad.Span.Fill(float.NaN);
        biasGrad.Span.Fill(float.NaN);
    }

    public override void Prepare(Op op)
    {
        if (op == Op.TrainingBackward)
        {
            // The saved statistics of x, as the training forward before it leaves them.
            Run(Op.TrainingForward, 1);
        }
    }

    public override void Run(Op op, int calls)
    {
        RosF x = Data.X.Span, dy = Data.Dy.Span, weight = Data.Weight.Span, bias = Data.Bias.Span;
        SpanF y = this.y.Span, dx = this.dx.Span, rm = runningMean.Span, rv = runningVar.Span;
        SpanF wg = weightGrad.Span, bg = biasGrad.Span;
        SpanD sm = savedMean.Span, si = savedInvStd.Span;
        int n = Shape.Batch, h = Shape.Height, w = Shape.Width, d = degree;
        const double m = ShapeData.Momentum;
        switch (op, planes, d == 1)
        {
            case (Op.TrainingForward, false, true):
                var ftNc = (delegate*<RosF, SpanF, int, RosF, RosF, SpanD, SpanD, SpanF, SpanF, double, void>)forwardTraining;
                for (int i = 0; i < calls; i++) ftNc(x, y, n, weight, bias, sm, si, rm, rv, m);
                break;
            case (Op.TrainingForward, false, false):
                var ftNcD = (delegate*<RosF, SpanF, int, RosF, RosF, SpanD, SpanD, SpanF, SpanF, double, int, void>)forwardTraining;
                for (int i = 0; i < calls; i++) ftNcD(x, y, n, weight, bias, sm, si, rm, rv, m, d);
                break;
            case (Op.TrainingForward, true, true):
                var ftPl = (delegate*<RosF, SpanF, int, int, int, RosF, RosF, SpanD, SpanD, SpanF, SpanF, double, void>)forwardTraining;
                for (int i = 0; i < calls; i++) ftPl(x, y, n, h, w, weight, bias, sm, si, rm, rv, m);
                break;
            case (Op.TrainingForward, true, false):
                var ftPlD = (delegate*<RosF, SpanF, int, int, int, RosF, RosF, SpanD, SpanD, SpanF, SpanF, double, int, void>)forwardTraining;
                for (int i = 0; i < calls; i++) ftPlD(x, y, n, h, w, weight, bias, sm, si, rm, rv, m, d);
                break;

            case (Op.EvalForward, false, true):
                var fiNc = (delegate*<RosF, SpanF, int, RosF, RosF, RosF, RosF, void>)forwardInference;
                for (int i = 0; i < calls; i++) fiNc(x, y, n, weight, bias, rm, rv);
                break;
            case (Op.EvalForward, false, false):
                var fiNcD = (delegate*<RosF, SpanF, int, RosF, RosF, RosF, RosF, int, void>)forwardInference;
                for (int i = 0; i < calls; i++) fiNcD(x, y, n, weight, bias, rm, rv, d);
                break;
            case (Op.EvalForward, true, true):
                var fiPl = (delegate*<RosF, SpanF, int, int, int, RosF, RosF, RosF, RosF, void>)forwardInference;
                for (int i = 0; i < calls; i++) fiPl(x, y, n, h, w, weight, bias, rm, rv);
                break;
            case (Op.EvalForward, true, false):
                var fiPlD = (delegate*<RosF, SpanF, int, int, int, RosF, RosF, RosF, RosF, int, void>)forwardInference;
                for (int i = 0; i < calls; i++) fiPlD(x, y, n, h, w, weight, bias, rm, rv, d);
                break;

            case (Op.TrainingBackward, false, true):
                var btNc = (delegate*<RosF, RosF, SpanF, int, RosF, RosD, RosD, SpanF, SpanF, void>)backwardTraining;
                for (int i = 0; i < calls; i++) btNc(x, dy, dx, n, weight, sm, si, wg, bg);
                break;
            case (Op.TrainingBackward, false, false):
                var btNcD = (delegate*<RosF, RosF, SpanF, int, RosF, RosD, RosD, SpanF, SpanF, int, void>)backwardTraining;
                for (int i = 0; i < calls; i++) btNcD(x, dy, dx, n, weight, sm, si, wg, bg, d);
                break;
            case (Op.TrainingBackward, true, true):
                var btPl = (delegate*<RosF, RosF, SpanF, int, int, int, RosF, RosD, RosD, SpanF, SpanF, void>)backwardTraining;
                for (int i = 0; i < calls; i++) btPl(x, dy, dx, n, h, w, weight, sm, si, wg, bg);
                break;
            case (Op.TrainingBackward, true, false):
                var btPlD = (delegate*<RosF, RosF, SpanF, int, int, int, RosF, RosD, RosD, SpanF, SpanF, int, void>)backwardTraining;
                for (int i = 0; i < calls; i++) btPlD(x, dy, dx, n, h, w, weight, sm, si, wg, bg, d);
                break;

            case (Op.EvalBackward, false, true):
                var biNc = (delegate*<RosF, RosF, SpanF, int, RosF, RosF, RosF, SpanF, SpanF, void>)backwardInference;
                for (int i = 0; i < calls; i++) biNc(x, dy, dx, n, weight, rm, rv, wg, bg);
                break;
            case (Op.EvalBackward, false, false):
                var biNcD = (delegate*<RosF, RosF, SpanF, int, RosF, RosF, RosF, SpanF, SpanF, int, void>)backwardInference;
                for (int i = 0; i < calls; i++) biNcD(x, dy, dx, n, weight, rm, rv, wg, bg, d);
                break;
            case (Op.EvalBackward, true, true):
                var biPl = (delegate*<RosF, RosF, SpanF, int, int, int, RosF, RosF, RosF, SpanF, SpanF, void>)backwardInference;
                for (int i = 0; i < calls; i++) biPl(x, dy, dx, n, h, w, weight, rm, rv, wg, bg);
                break;
            case (Op.EvalBackward, true, false):
                var biPlD = (delegate*<RosF, RosF, SpanF, int, int, int, RosF, RosF, RosF, SpanF, SpanF, int, void>)backwardInference;
                for (int i = 0; i < calls; i++) biPlD(x, dy, dx, n, h, w, weight, rm, rv, wg, bg, d);
                break;
        }
    }

    public override Outcome Collect(Op op)
    {
        var outcome = new Outcome();
        switch (op)
        {
            case Op.TrainingForward:
                outcome.Add("y", y.Span);
                outcome.Add("runningMean", runningMean.Span);
                outcome.Add("runningVar", runningVar.Span);
                outcome.Add("savedMean", savedMean.ToArray());
                outcome.Add("savedInvStd", savedInvStd.ToArray());
                break;
            case Op.EvalForward:
                outcome.Add("y", y.Span);
                break;
            default:
                outcome.Add("dx", dx.Span);
                outcome.Add("weightGrad", weightGrad.Span);
                outcome.Add("biasGrad", biasGrad.Span);
                break;
        }
        return outcome;
    }
}
