using System;
using System.Collections.Generic;
using System.Linq;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// Before any timing, every peer's results are compared with BnGen's on the same inputs and state: outputs, running
/// statistics, and gradients. An error is measured against a scale that says how large a float rounding can make it
/// (see <see cref="Scale"/>), and must stay below the quantity's tolerance; a NaN never passes.
/// </summary>
public static class Checks
{
    /// <summary>
    /// Allowed |peer − BnGen| / scale per quantity, before <see cref="Tolerance"/> widens it for long sums; the
    /// reasoning is in docs/benchmarks-peers.md.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, double> BaseTolerances = new Dictionary<string, double>
    {
        ["y"] = 4e-6,
        ["dx"] = 4e-6,
        ["runningMean"] = 1e-6,
        ["runningVar"] = 2e-6,
        ["weightGrad"] = 1e-5,
        ["biasGrad"] = 1e-5,
        // Only BnGen with more threads exposes them: statistics in double, as accurate as double sums.
        ["savedMean"] = 1e-9,
        ["savedInvStd"] = 1e-9,
    };

    /// <summary>One rounding of a float, 2⁻²⁴.</summary>
    private const double FloatRounding = 1.0 / (1 << 24);

    /// <summary>
    /// The tolerance of a quantity on a shape: its base, raised to 4·√n float roundings (n = values per channel) when
    /// the quantity comes from a sum over the channel's values — training outputs and gradients, running statistics,
    /// parameter gradients. A peer that accumulates such a sum in float, one value after the other (libtorch's
    /// channels-last statistics do), is off by about √n roundings.
    /// </summary>
    public static double Tolerance(string quantity, Op op, Shape shape)
    {
        double tolerance = BaseTolerances[quantity];
        bool fromSums = quantity is "runningMean" or "runningVar" or "weightGrad" or "biasGrad"
            || (quantity is "y" or "dx" && op is Op.TrainingForward or Op.TrainingBackward);
        return fromSums ? Math.Max(tolerance, 4 * Math.Sqrt(shape.PerChannel) * FloatRounding) : tolerance;
    }

    /// <summary>
    /// Per (contender, operation, quantity) over the shapes, the error / scale that came closest to its tolerance, and
    /// that tolerance: the quick run prints them.
    /// </summary>
    public static readonly Dictionary<(string Contender, Op Op, string Quantity), (double Error, double Tolerance)> Worst = new();

    /// <summary>Runs one call of <paramref name="op"/> from the initial state and returns what it left.</summary>
    public static Outcome RunOnce(Contender contender, Op op)
    {
        contender.Reset();
        contender.Prepare(op);
        contender.Enter();
        contender.Run(op, 1);
        return contender.Collect(op);
    }

    /// <summary>Compares every contender with BnGen on every operation; returns the failures.</summary>
    public static List<string> Verify(BnGenContender bngen, IEnumerable<Contender> others)
    {
        var failures = new List<string>();
        foreach (Op op in Ops.All)
        {
            Outcome reference = RunOnce(bngen, op);
            Shape shape = bngen.Shape;
            foreach (Contender peer in others.Where(c => c.Supports(op)))
            {
                Outcome actual = RunOnce(peer, op);
                if (peer.IsRoof)
                {
                    // The roofs compute nothing to compare; the copy must reproduce x exactly (both halves written).
                    if (op == Op.EvalForward && !actual["y"].SequenceEqual(bngen.Data.X.ToArray().Select(v => (double)v)))
                    {
                        failures.Add($"{shape.Name} {peer.Name} {Ops.Label(op)}: the copy roof's output is not x");
                    }
                    continue;
                }
                if (!reference.Keys.Intersect(actual.Keys).Any())
                {
                    failures.Add($"{shape.Name} {peer.Name} {Ops.Label(op)}: nothing to compare");
                }
                foreach (string quantity in actual.Keys.Where(reference.ContainsKey))
                {
                    string? failure = Compare(shape, op, bngen, peer.Name, quantity, actual[quantity], reference[quantity]);
                    if (failure is not null)
                    {
                        failures.Add(failure);
                    }
                }
            }
        }
        return failures;
    }

    private static string? Compare(Shape shape, Op op, BnGenContender bngen, string peer, string quantity,
        double[] actual, double[] expected)
    {
        if (actual.Length != expected.Length)
        {
            return $"{shape.Name} {peer} {Ops.Label(op)} {quantity}: {actual.Length} values, BnGen has {expected.Length}";
        }
        double tolerance = Tolerance(quantity, op, shape);
        double[] scale = Scale(shape, op, bngen, quantity, expected);
        double worst = 0;
        int worstIndex = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]) / scale[i];
            if (!(error <= worst))
            {
                worst = double.IsNaN(error) ? double.PositiveInfinity : error;
                worstIndex = i;
            }
        }
        var key = (peer, op, quantity);
        if (!Worst.TryGetValue(key, out var seen) || worst / tolerance > seen.Error / seen.Tolerance)
        {
            Worst[key] = (worst, tolerance);
        }
        return worst <= tolerance
            ? null
            : $"{shape.Name} {peer} {Ops.Label(op)} {quantity}[{worstIndex}]: {actual[worstIndex]:R}, BnGen {expected[worstIndex]:R} "
              + $"(error / scale {worst:E2} > tolerance {tolerance:E1})";
    }

    /// <summary>
    /// What an error is measured against, per element. Tensors (y, dx): max(1, max |BnGen's value|) — one scale for the
    /// whole tensor, as an absolute error of a few float roundings of the largest terms. Running statistics:
    /// max(1, |value|). Parameter gradients, which are sums over batch · height · width terms: Σ|term| of the
    /// feature (Σ|dy| for the bias, Σ|dy · x̂| for the weight), the scale a floating-point sum's error grows with.
    /// </summary>
    private static double[] Scale(Shape shape, Op op, BnGenContender bngen, string quantity, double[] expected)
    {
        var scale = new double[expected.Length];
        switch (quantity)
        {
            case "y":
            case "dx":
                double max = Math.Max(1.0, expected.Max(Math.Abs));
                Array.Fill(scale, max);
                break;
            case "weightGrad":
            case "biasGrad":
                ReadOnlySpan<float> x = bngen.Data.X.Span, dy = bngen.Data.Dy.Span;
                int plane = shape.Height * shape.Width;
                for (int c = 0; c < shape.Features; c++)
                {
                    double mean, invStd;
                    if (op == Op.TrainingBackward)
                    {
                        mean = bngen.SavedMean[c];
                        invStd = bngen.SavedInvStd[c];
                    }
                    else
                    {
                        mean = bngen.Data.RunningMean.Span[c];
                        invStd = 1.0 / Math.Sqrt(bngen.Data.RunningVar.Span[c] + ShapeData.Epsilon);
                    }
                    double sum = 0;
                    for (int n = 0; n < shape.Batch; n++)
                    {
                        for (int s = 0; s < plane; s++)
                        {
                            int i = shape.Index(n, c, s);
                            sum += quantity == "biasGrad" ? Math.Abs(dy[i]) : Math.Abs(dy[i] * (x[i] - mean) * invStd);
                        }
                    }
                    scale[c] = Math.Max(sum, double.Epsilon);
                }
                break;
            default:
                for (int i = 0; i < expected.Length; i++)
                {
                    scale[i] = Math.Max(1.0, Math.Abs(expected[i]));
                }
                break;
        }
        return scale;
    }
}
