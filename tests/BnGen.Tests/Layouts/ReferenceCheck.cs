using System;
using System.Collections.Generic;
using Xunit.Sdk;

namespace BnGen.Tests.Layouts;

/// <summary>
/// Checks a played scenario step by step against <see cref="ReferenceStep"/>, each step's reference computed from the
/// state the layer itself had before it (so that rounding does not compound), and reports the largest error seen per
/// quantity in units of ε · scale.
/// </summary>
public static class ReferenceCheck
{
    /// <summary>
    /// Largest errors seen, in units of the element type's ε times the value's error scale: outputs, input gradients,
    /// parameter gradients, running statistics.
    /// </summary>
    public sealed class Worst
    {
        public double Output { get; set; }

        public double GradInput { get; set; }

        public double ParameterGrad { get; set; }

        public double Running { get; set; }

        public void Merge(Worst other)
        {
            Output = Math.Max(Output, other.Output);
            GradInput = Math.Max(GradInput, other.GradInput);
            ParameterGrad = Math.Max(ParameterGrad, other.ParameterGrad);
            Running = Math.Max(Running, other.Running);
        }

        public override string ToString()
            => FormattableString.Invariant($"output {Output:F2}, grad input {GradInput:F2}, parameter grads {ParameterGrad:F2}, running {Running:F2}");
    }

    /// <summary>The bounds asserted, in units of ε · scale (see <see cref="NhwcTests"/> for why).</summary>
    public sealed record Bounds(double Output, double GradInput, double ParameterGrad, double Running);

    /// <summary>
    /// The references of every step, each from the state before it as <paramref name="observed"/> shows it (the
    /// scenario's initial state for the first step).
    /// </summary>
    public static List<ReferenceStep> References<T>(Scenario scenario, IReadOnlyList<Observed<T>> observed)
        where T : unmanaged
    {
        LayerOptions o = scenario.Options;
        var references = new List<ReferenceStep>();
        double[]? runningMean = scenario.RunningMean, runningVar = scenario.RunningVar;
        long? count = o.Track ? 0 : null;
        for (int i = 0; i < scenario.Steps.Count; i++)
        {
            references.Add(ReferenceStep.Of(o, scenario.Steps[i], runningMean, runningVar, count));
            runningMean = observed[i].RunningMean is { } rm ? Data.ToDoubles<T>(rm) : null;
            runningVar = observed[i].RunningVar is { } rv ? Data.ToDoubles<T>(rv) : null;
            count = observed[i].Count;
        }
        return references;
    }

    /// <summary>Every observed value within <paramref name="bounds"/> of the reference; returns the errors seen.</summary>
    public static Worst Check<T>(string what, Scenario scenario, IReadOnlyList<Observed<T>> observed, Bounds bounds)
        where T : unmanaged
    {
        bool d = scenario.Options.IsDouble;
        List<ReferenceStep> references = References(scenario, observed);
        var worst = new Worst();
        for (int i = 0; i < references.Count; i++)
        {
            ReferenceStep r = references[i];
            Observed<T> a = observed[i];
            string at = $"{what}, step {i} ({(scenario.Steps[i].Training ? "training" : "eval")}, {scenario.Steps[i].Dims})";
            RequireReluMargin(at, r, bounds);
            worst.Output = Math.Max(worst.Output, Ulps.Within($"{at}: output", d, r.Output, Data.ToDoubles<T>(a.Output), bounds.Output));
            worst.GradInput = Math.Max(worst.GradInput,
                Ulps.Within($"{at}: grad input", d, r.GradInput, Data.ToDoubles<T>(a.GradInput), bounds.GradInput));
            if (r.WeightGrad is { } dw)
            {
                worst.ParameterGrad = Math.Max(worst.ParameterGrad,
                    Ulps.Within($"{at}: weight grad", d, dw, Data.ToDoubles<T>(a.WeightGrad), bounds.ParameterGrad));
                worst.ParameterGrad = Math.Max(worst.ParameterGrad,
                    Ulps.Within($"{at}: bias grad", d, r.BiasGrad!, Data.ToDoubles<T>(a.BiasGrad), bounds.ParameterGrad));
            }
            if (r.RunningMean is { } rm)
            {
                worst.Running = Math.Max(worst.Running,
                    Ulps.Within($"{at}: running mean", d, rm, Data.ToDoubles<T>(a.RunningMean), bounds.Running));
                worst.Running = Math.Max(worst.Running,
                    Ulps.Within($"{at}: running var", d, r.RunningVar!, Data.ToDoubles<T>(a.RunningVar), bounds.Running));
            }
            if (r.Count != a.Count)
            {
                throw new XunitException($"{at}: NumBatchesTracked {a.Count}, expected {r.Count}");
            }
        }
        return worst;
    }

    /// <summary>
    /// With ReLU, the gate must not depend on rounding: every pre-activation must lie farther from 0 than the output's
    /// bound, so that a layer within the bound has every gate as the reference has it (and two such layers have the same
    /// gates). Otherwise the test's data are unsuitable: a seed to change, not a layer bug.
    /// </summary>
    public static void RequireReluMargin(string what, ReferenceStep r, Bounds bounds)
    {
        if (!(r.ReluMargin > bounds.Output))
        {
            throw new XunitException($"{what}: a pre-activation lies within {r.ReluMargin:F2} units of 0, the bound is {bounds.Output}; choose other data");
        }
    }
}
