using System;
using BnGen.Benchmarks;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// The memory roofs of the main benchmarks (benchmarks/BnGen.Benchmarks/Roofs.cs, linked, so the yardstick is the same
/// code): copy for eval forward, r2w1 for training forward, r2r2w1 for both backwards, on the shape's x and dy and
/// outputs of its own. With two threads each thread runs the same pass on one half (split on a 64-byte boundary): the
/// least a two-thread implementation has to move, for issue 9's "gain over one thread".
/// </summary>
public sealed class RoofContender : Contender, IHalves
{
    private readonly int threads;
    private readonly AlignedBuffer<float> y, dx;
    private readonly SecondThread? second;
    private readonly int split;
    private Op current;

    public RoofContender(ShapeData data, int threads)
        : base(data)
    {
        if (threads is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "The roofs run on one or two threads.");
        }
        this.threads = threads;
        y = new AlignedBuffer<float>(data.Shape.Count);
        dx = new AlignedBuffer<float>(data.Shape.Count);
        // The first half ends on a multiple of 16 floats, so both halves start on a cache line.
        split = data.Shape.Count / 2 / 16 * 16;
        second = threads == 2 ? new SecondThread() : null;
    }

    public override string Name => threads == 1 ? "roof" : "roof 2T";

    public override bool IsRoof => true;

    public override void Reset()
    {
        y.Span.Fill(float.NaN);
        dx.Span.Fill(float.NaN);
    }

    public override void Run(Op op, int calls)
    {
        if (second is null)
        {
            // The spans made once, outside the loop: on NC 8x17 a copy takes 10 ns.
            ReadOnlySpan<float> x = Data.X.Span, dy = Data.Dy.Span;
            Span<float> y = this.y.Span, dx = this.dx.Span;
            switch (op)
            {
                case Op.TrainingForward:
                    for (int i = 0; i < calls; i++)
                    {
                        Roofs.R2W1(x, y);
                    }
                    break;
                case Op.EvalForward:
                    for (int i = 0; i < calls; i++)
                    {
                        x.CopyTo(y);
                    }
                    break;
                default:
                    for (int i = 0; i < calls; i++)
                    {
                        Roofs.R2R2W1(x, dy, dx);
                    }
                    break;
            }
            return;
        }
        current = op;
        for (int i = 0; i < calls; i++)
        {
            second.Run(this);
        }
    }

    void IHalves.Run(int part)
    {
        if (part == 0)
        {
            Pass(current, 0, split);
        }
        else
        {
            Pass(current, split, Shape.Count - split);
        }
    }

    private void Pass(Op op, int start, int length)
    {
        ReadOnlySpan<float> x = Data.X.Span.Slice(start, length);
        switch (op)
        {
            case Op.TrainingForward:
                Roofs.R2W1(x, y.Span.Slice(start, length));
                break;
            case Op.EvalForward:
                x.CopyTo(y.Span.Slice(start, length));
                break;
            default:
                Roofs.R2R2W1(x, Data.Dy.Span.Slice(start, length), dx.Span.Slice(start, length));
                break;
        }
    }

    /// <summary>The copy roof's output, which must equal x (the checks verify that the halves cover the tensor).</summary>
    public override Outcome Collect(Op op)
    {
        var outcome = new Outcome();
        if (op == Op.EvalForward)
        {
            outcome.Add("y", y.Span);
        }
        return outcome;
    }

    public override void Dispose()
    {
        second?.Dispose();
        base.Dispose();
    }
}
