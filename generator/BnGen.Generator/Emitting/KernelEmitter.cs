using System.Collections.Generic;
using System.Linq;

namespace BnGen.Generator.Emitting;

/// <summary>
/// Emits the stateless static kernels (the public ForwardTraining/ForwardInference/BackwardTraining/BackwardInference)
/// and the argument checks they share with the instance API.
/// </summary>
internal static partial class KernelEmitter
{
    private const string Throw = EmitContext.Throw;

    public static void WriteStaticKernels(CodeWriter w, EmitContext c)
    {
        WriteForwardTraining(w, c);
        if (c.Track)
        {
            WriteForwardInference(w, c);
        }
        WriteBackwardTraining(w, c);
        if (c.Track)
        {
            WriteBackwardInference(w, c);
        }
    }

    private static string DimsDoc(EmitContext c) => c.Nchw
        ? "/// <param name=\"batch\">Batch size N.</param>\n/// <param name=\"height\">Plane height H.</param>\n/// <param name=\"width\">Plane width W.</param>"
        : "/// <param name=\"batch\">Batch size N (rows).</param>";

    private static string TensorDoc(EmitContext c) => c.Nchw
        ? "batch · Features · height · width values in NCHW order"
        : "batch · Features values, row-major [batch, Features]";

    /// <summary>Checks shared by every kernel: dimensions, then the lengths of the tensor spans.</summary>
    private static string CheckTensors(EmitContext c, params string[] spans)
    {
        var lines = new List<string> { $"long count = BnGenCheckDimensions({c.DimArgs});" };
        lines.AddRange(spans.Select(s => $"BnGenCheckLength(nameof({s}), {s}.Length, count, {c.DimArgs});"));
        return string.Join("\n", lines);
    }

    private static string CheckFeatures(params string[] spans)
        => string.Join("\n", spans.Select(s => $"BnGenCheckFeatures(nameof({s}), {s}.Length);"));

    /// <summary>Double parts of one T-vector: two for float (widened), one for double.</summary>
    private static int Parts(EmitContext c) => c.IsFloat ? 2 : 1;

    private static string At(string at, int i) => i == 0 ? at : $"{at} + {Literal.Int(i)} * {EmitContext.VecD}.Count";

    /// <summary>Loads the T-vector at <c>ref src + at</c> as double parts name0, name1.</summary>
    private static string WideT(EmitContext c, string name, string src, string at) => c.IsFloat
        ? $"{EmitContext.Vector}.Widen({EmitContext.Simd}.Load(ref {src}, {at}), out {EmitContext.VecD} {name}0, out {EmitContext.VecD} {name}1);"
        : $"{EmitContext.VecD} {name}0 = {EmitContext.Simd}.Load(ref {src}, {at});";

    /// <summary>Stores double parts name0, name1 as one T-vector at <c>ref dst + at</c>.</summary>
    private static string NarrowStore(EmitContext c, string name, string dst, string at) => c.IsFloat
        ? $"{EmitContext.Simd}.Store({EmitContext.Vector}.Narrow({name}0, {name}1), ref {dst}, {at});"
        : $"{EmitContext.Simd}.Store({name}0, ref {dst}, {at});";

    /// <summary>Per-part statements: <paramref name="template"/> with # replaced by the part index.</summary>
    private static string PerPart(EmitContext c, params string[] templates)
        => string.Join("\n", Enumerable.Range(0, Parts(c)).SelectMany(i => templates.Select(t => t.Replace("#", Literal.Int(i)).Replace("@", At("", i)))));

    /// <summary>
    /// A loop over the block's features [c0, c0 + length): whole T-vectors with the per-feature arithmetic in double
    /// vectors (the same operations in the same order as the scalar form, so the results are identical), then a scalar tail.
    /// </summary>
    private static string FeatureLoop(EmitContext c, string vectorBody, string scalarBody) => $$"""
        int j = 0;
        for (; j <= length - {{c.Vec}}.Count; j += {{c.Vec}}.Count)
        {
            int c = c0 + j;
            {{LayerEmitter.Indent(vectorBody, 1)}}
        }
        for (; j < length; j++)
        {
            int c = c0 + j;
            {{LayerEmitter.Indent(scalarBody, 1)}}
        }
        """;

    private static string Plane(EmitContext c) => c.Nchw ? "int plane = height * width;\n" : string.Empty;

    private static void WriteForwardTraining(CodeWriter w, EmitContext c)
    {
        string affineParams = c.Affine ? $"{c.Ros} weight, {c.Ros} bias, " : string.Empty;
        string trackParams = c.Track ? $", {c.Span} runningMean, {c.Span} runningVar, double exponentialAverageFactor" : string.Empty;
        var checks = new List<string> { CheckTensors(c, "input", "output") };
        if (c.Affine)
        {
            checks.Add(CheckFeatures("weight", "bias"));
        }
        checks.Add(CheckFeatures("savedMean", "savedInvStd"));
        if (c.Track)
        {
            checks.Add(CheckFeatures("runningMean", "runningVar"));
            checks.Add("BnGenCheckFactor(exponentialAverageFactor);");
        }
        checks.Add($"BnGenCheckBatchStatistics({c.DimArgs});");

        string runningUpdate = c.Track
            ? $$"""
                // PyTorch: running = (1 − factor) · running + factor · batch statistic, with the unbiased variance.
                runningMean[c] = {{c.ToT("(1d - exponentialAverageFactor) * runningMean[c] + exponentialAverageFactor * mean")}};
                runningVar[c] = {{c.ToT("(1d - exponentialAverageFactor) * runningVar[c] + exponentialAverageFactor * (squares / (n - 1d))")}};
                """
            : string.Empty;
        string scale = c.Affine ? "weight[c] * invStd" : "invStd";
        string shift = c.Affine ? "bias[c] - mean * scale" : "-mean * scale";

        string body;
        if (c.Nchw)
        {
            body = $$"""
                {{string.Join("\n", checks)}}
                int plane = height * width;
                double n = (double)batch * plane;
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} y = ref {{EmitContext.Marshal}}.GetReference(output);
                // Channel by channel: mean and squared deviations in one pass in double (shifted by the channel's first value,
                // with an exact second pass when that shift would cost accuracy), then y = x · scale + shift. The channel's
                // slab is read twice; while it fits in cache the second read comes from there.
                for (int c = 0; c < Features; c++)
                {
                    BnGenChannelStatistics(ref x, c, batch, plane, out double mean, out double squares);
                    double invStd = 1d / {{EmitContext.Math}}.Sqrt(squares / n + {{c.Epsilon}});
                    savedMean[c] = mean;
                    savedInvStd[c] = invStd;
                    {{LayerEmitter.Indent(runningUpdate, 1)}}
                    double scale = {{scale}};
                    double shift = {{shift}};
                    BnGenChannelAffine(ref x, ref y, c, batch, plane, ({{c.T}})scale, ({{c.T}})shift);
                }
                """;
        }
        else
        {
            string vectorFinish = string.Join("\n", new[]
            {
                PerPart(c,
                    $"{VD} mean# = {S}.Load(ref means, c@);",
                    $"{VD} squares# = {S}.Load(ref squareSums, c@);",
                    $"{VD} invStd# = {VD}.One / {EmitContext.Vector}.SquareRoot(squares# / nV + epsilonV);",
                    $"{S}.Store(invStd#, ref squareSums, c@);"),
                c.Track ? WideT(c, "runningMean", "runningMeans", "c") + "\n" + WideT(c, "runningVar", "runningVars", "c") + "\n"
                    + PerPart(c, "runningMean# = keepV * runningMean# + takeV * mean#;", "runningVar# = keepV * runningVar# + takeV * (squares# / unbiasedV);")
                    + "\n" + NarrowStore(c, "runningMean", "runningMeans", "c") + "\n" + NarrowStore(c, "runningVar", "runningVars", "c") : string.Empty,
                c.Affine ? WideT(c, "weight", "weights", "c") + "\n" + WideT(c, "bias", "biases", "c") + "\n"
                    + PerPart(c, $"{VD} scale# = weight# * invStd#;", $"{VD} shift# = bias# - mean# * scale#;")
                    : PerPart(c, $"{VD} scale# = invStd#;", $"{VD} shift# = -mean# * scale#;"),
                NarrowStore(c, "scale", "scales", "j"),
                NarrowStore(c, "shift", "shifts", "j"),
            }.Where(line => line.Length > 0));
            string scalarFinish = $$"""
                double mean = savedMean[c];
                double squares = savedInvStd[c];
                double invStd = 1d / {{EmitContext.Math}}.Sqrt(squares / n + {{c.Epsilon}});
                savedInvStd[c] = invStd;
                {{runningUpdate}}
                double scale = {{scale}};
                {{EmitContext.Unsafe}}.Add(ref scales, j) = ({{c.T}})scale;
                {{EmitContext.Unsafe}}.Add(ref shifts, j) = ({{c.T}})({{shift}});
                """;
            string rowStatistics = """
                BnGenRowsSum(ref x, batch, ref means);
                for (int c = 0; c < Features; c++)
                {
                    savedMean[c] /= n;
                }
                BnGenRowsSquaredDeviations(ref x, batch, ref means, ref squareSums);
                """;
            string statistics = HasColumnPath(c)
                ? $$"""
                    if ({{ColumnCondition(c)}})
                    {
                        // Small tensor: feature columns with the accumulators in registers, one pass (shifted sums in double).
                        BnGenColumnsStatistics(ref x, batch, ref means, ref squareSums);
                    }
                    else
                    {
                        {{LayerEmitter.Indent(rowStatistics, 1)}}
                    }
                    """
                : rowStatistics;
            string refs = string.Join("\n", new[]
            {
                c.Affine ? $"ref {c.T} weights = ref {EmitContext.Marshal}.GetReference(weight);\nref {c.T} biases = ref {EmitContext.Marshal}.GetReference(bias);" : string.Empty,
                c.Track ? $"ref {c.T} runningMeans = ref {EmitContext.Marshal}.GetReference(runningMean);\nref {c.T} runningVars = ref {EmitContext.Marshal}.GetReference(runningVar);" : string.Empty,
                $"{VD} nV = new {VD}(n);",
                $"{VD} epsilonV = new {VD}({c.Epsilon});",
                c.Track ? $"{VD} keepV = new {VD}(1d - exponentialAverageFactor);\n{VD} takeV = new {VD}(exponentialAverageFactor);\n{VD} unbiasedV = new {VD}(n - 1d);" : string.Empty,
            }.Where(line => line.Length > 0));
            body = $$"""
                {{string.Join("\n", checks)}}
                double n = batch;
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} y = ref {{EmitContext.Marshal}}.GetReference(output);
                ref double means = ref {{EmitContext.Marshal}}.GetReference(savedMean);
                ref double squareSums = ref {{EmitContext.Marshal}}.GetReference(savedInvStd);
                // Statistics per feature into the saved-statistics spans: the mean, and Σ (x − mean)² in double.
                {{LayerEmitter.Indent(statistics, 0)}}
                {{LayerEmitter.Indent(refs, 0)}}
                // Then, in blocks of {{Literal.Int(c.Block)}} features: finish the statistics (vectorized), then y = x · scale + shift.
                {{c.Span}} coefficients = stackalloc {{c.T}}[{{Literal.Int(2 * c.Block)}}];
                ref {{c.T}} scales = ref {{EmitContext.Marshal}}.GetReference(coefficients);
                ref {{c.T}} shifts = ref {{EmitContext.Unsafe}}.Add(ref scales, {{Literal.Int(c.Block)}});
                {{LayerEmitter.Indent(BlockLoopOpen(c), 0)}}
                    {{LayerEmitter.Indent(FeatureLoop(c, vectorFinish, scalarFinish), 1)}}
                    BnGenRowsAffine(ref x, ref y, batch, c0, length, ref scales, ref shifts);
                }
                """;
        }

        w.Block($$"""
            /// <summary>
            /// Training-mode forward with caller-owned buffers: normalizes with the batch statistics of each feature,
            /// y = (x − mean) · invStd · γ + β with invStd = 1 / sqrt(var + {{Literal.DoubleText(c.Spec.Epsilon)}}) and the biased variance,
            /// computed as y = x · scale + shift.{{(c.Track ? " Then moves the running statistics: running = (1 − exponentialAverageFactor) · running + exponentialAverageFactor · batch statistic, with the unbiased variance." : string.Empty)}}
            /// </summary>
            /// <param name="input">x: {{TensorDoc(c)}}.</param>
            /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
            {{DimsDoc(c)}}
            {{(c.Affine ? "/// <param name=\"weight\">γ, length Features.</param>\n/// <param name=\"bias\">β, length Features.</param>" : CodeWriter.Skip)}}
            /// <param name="savedMean">Receives the batch mean per feature (length Features), in double, for <see cref="BackwardTraining"/>.</param>
            /// <param name="savedInvStd">Receives 1 / sqrt(var + ε) per feature (length Features), in double, for <see cref="BackwardTraining"/>.</param>
            {{(c.Track ? "/// <param name=\"runningMean\">Running mean, length Features, updated.</param>\n/// <param name=\"runningVar\">Running unbiased variance, length Features, updated.</param>\n/// <param name=\"exponentialAverageFactor\">Weight of the batch statistic in [0, 1]: the momentum, or 1 / (batches seen) for a cumulative average.</param>" : CodeWriter.Skip)}}
            /// <exception cref="global::System.ArgumentOutOfRangeException">A dimension is not positive{{(c.Track ? ", or the factor is outside [0, 1]" : string.Empty)}}.</exception>
            /// <exception cref="global::System.ArgumentException">A length does not match, or there is a single value per feature. Nothing is written then.</exception>
            {{c.GeneratedCode}}
            public static void ForwardTraining({{c.Ros}} input, {{c.Span}} output, {{c.Dims}}, {{affineParams}}{{EmitContext.SpanD}} savedMean, {{EmitContext.SpanD}} savedInvStd{{trackParams}})
            {
                {{LayerEmitter.Indent(body, 1)}}
            }

            """);
    }

    private static string BlockLoopOpen(EmitContext c)
    {
        if (c.Spec.Features <= EmitContext.MaxBlock)
        {
            return """
                // All features fit in one block: its bounds are constants.
                {
                    const int c0 = 0;
                    const int length = Features;
                """;
        }
        return $$"""
            for (int c0 = 0; c0 < Features; c0 += {{Literal.Int(c.Block)}})
            {
                int length = Features - c0 < {{Literal.Int(c.Block)}} ? Features - c0 : {{Literal.Int(c.Block)}};
            """;
    }

    /// <summary>References and constants the vectorized evaluation-mode coefficients use.</summary>
    private static string EvalRefs(EmitContext c, bool withBias = true) => string.Join("\n", new[]
    {
        c.Affine ? $"ref {c.T} weights = ref {EmitContext.Marshal}.GetReference(weight);" : string.Empty,
        c.Affine && withBias ? $"ref {c.T} biases = ref {EmitContext.Marshal}.GetReference(bias);" : string.Empty,
        $"ref {c.T} runningMeans = ref {EmitContext.Marshal}.GetReference(runningMean);",
        $"ref {c.T} runningVars = ref {EmitContext.Marshal}.GetReference(runningVar);",
        $"{EmitContext.VecD} epsilonV = new {EmitContext.VecD}({c.Epsilon});",
    }.Where(line => line.Length > 0));

    /// <summary>invStd = 1 / sqrt(runningVar + ε), scale = γ · invStd (and shift = β − runningMean · scale) for one T-vector of features.</summary>
    private static string EvalVectorCoefficients(EmitContext c, bool withShift)
    {
        string vd = EmitContext.VecD;
        var lines = new List<string>
        {
            WideT(c, "runningVar", "runningVars", "c"),
            PerPart(c, $"{vd} invStd# = {vd}.One / {EmitContext.Vector}.SquareRoot(runningVar# + epsilonV);"),
        };
        if (c.Affine)
        {
            lines.Add(WideT(c, "weight", "weights", "c"));
            lines.Add(PerPart(c, $"{vd} scale# = weight# * invStd#;"));
        }
        else
        {
            lines.Add(PerPart(c, $"{vd} scale# = invStd#;"));
        }
        lines.Add(NarrowStore(c, "scale", "scales", "j"));
        if (withShift)
        {
            lines.Add(WideT(c, "runningMean", "runningMeans", "c"));
            if (c.Affine)
            {
                lines.Add(WideT(c, "bias", "biases", "c"));
                lines.Add(PerPart(c, $"{vd} shift# = bias# - runningMean# * scale#;"));
            }
            else
            {
                lines.Add(PerPart(c, $"{vd} shift# = -runningMean# * scale#;"));
            }
            lines.Add(NarrowStore(c, "shift", "shifts", "j"));
        }
        return string.Join("\n", lines);
    }

    /// <summary>NCHW eval forward: the shortest plane (values) for which the channel-order sweep is considered.</summary>
    private const int ChannelOrderMinPlane = 128;

    /// <summary>NCHW eval forward: the largest tensor (bytes) swept in channel order (the L2 of the benchmark machine).</summary>
    private const int ChannelOrderMaxBytes = 1 << 20;

    /// <summary>
    /// The NCHW evaluation forward: with up to 1024 channels the per-channel scale and shift go on the stack and the
    /// tensor is walked in address order (n outer, c inner: one sequential stream), or channel by channel when the runs
    /// are long and the tensor small (<see cref="ChannelOrderMinPlane"/>, <see cref="ChannelOrderMaxBytes"/>); beyond
    /// 1024 channels, channel by channel.
    /// </summary>
    private static string NchwInferenceLoop(EmitContext c, string scale, string shift)
    {
        if (c.Spec.Features <= 1024)
        {
            return $$"""
                // Address order: scale and shift per channel first, then one sequential sweep y = x · scale + shift.
                {{c.Span}} coefficients = stackalloc {{c.T}}[{{Literal.Int(2 * c.Spec.Features)}}];
                for (int c = 0; c < Features; c++)
                {
                    double invStd = 1d / {{EmitContext.Math}}.Sqrt(runningVar[c] + {{c.Epsilon}});
                    double scale = {{scale}};
                    coefficients[c] = ({{c.T}})scale;
                    coefficients[Features + c] = ({{c.T}})({{shift}});
                }
                // Channel order instead when the runs are long and the tensor fits in L2: measured faster there (4×256×14×14:
                // 20 µs against 23 µs in address order); address order wins on short runs (64×16×8×8: 2.6×) and on tensors
                // larger than the caches (32×64×56×56: −30 %). Long runs end with a scalar tail: an overlapping last vector
                // cost 18 % in channel order.
                if (plane >= {{Literal.Int(ChannelOrderMinPlane)}} && (long)batch * Features * plane <= {{Literal.Int(ChannelOrderMaxBytes / (c.IsFloat ? 4 : 8))}})
                {
                    BnGenChannelOrderAffine(ref x, ref y, batch, plane, coefficients);
                    return;
                }
                for (int n = 0; n < batch; n++)
                {
                    for (int c = 0; c < Features; c++)
                    {
                        nint offset = ((nint)n * Features + c) * plane;
                        BnGenRunAffine(ref {{EmitContext.Unsafe}}.Add(ref x, offset), ref {{EmitContext.Unsafe}}.Add(ref y, offset), plane, coefficients[c], coefficients[Features + c]);
                    }
                }
                """;
        }
        return $$"""
            // One pass per channel: y = x · scale + shift with scale and shift from the running statistics.
            for (int c = 0; c < Features; c++)
            {
                double invStd = 1d / {{EmitContext.Math}}.Sqrt(runningVar[c] + {{c.Epsilon}});
                double scale = {{scale}};
                double shift = {{shift}};
                BnGenChannelAffine(ref x, ref y, c, batch, plane, ({{c.T}})scale, ({{c.T}})shift);
            }
            """;
    }

    private static void WriteForwardInference(CodeWriter w, EmitContext c)
    {
        string affineParams = c.Affine ? $"{c.Ros} weight, {c.Ros} bias, " : string.Empty;
        var checks = new List<string> { CheckTensors(c, "input", "output") };
        if (c.Affine)
        {
            checks.Add(CheckFeatures("weight", "bias"));
        }
        checks.Add(CheckFeatures("runningMean", "runningVar"));
        string scale = c.Affine ? "weight[c] * invStd" : "invStd";
        string shift = c.Affine ? "bias[c] - runningMean[c] * scale" : "-runningMean[c] * scale";

        string body = c.Nchw
            ? $$"""
                {{string.Join("\n", checks)}}
                int plane = height * width;
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} y = ref {{EmitContext.Marshal}}.GetReference(output);
                {{LayerEmitter.Indent(NchwInferenceLoop(c, scale, shift), 0)}}
                """
            : $$"""
                {{string.Join("\n", checks)}}
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} y = ref {{EmitContext.Marshal}}.GetReference(output);
                {{c.Span}} coefficients = stackalloc {{c.T}}[{{Literal.Int(2 * c.Block)}}];
                ref {{c.T}} scales = ref {{EmitContext.Marshal}}.GetReference(coefficients);
                ref {{c.T}} shifts = ref {{EmitContext.Unsafe}}.Add(ref scales, {{Literal.Int(c.Block)}});
                {{LayerEmitter.Indent(EvalRefs(c), 0)}}
                // One pass over the rows per block of features: y = x · scale + shift from the running statistics.
                {{BlockLoopOpen(c)}}
                    {{LayerEmitter.Indent(FeatureLoop(c, EvalVectorCoefficients(c, withShift: true), $$"""
                        double invStd = 1d / {{EmitContext.Math}}.Sqrt(runningVar[c] + {{c.Epsilon}});
                        double scale = {{scale}};
                        {{EmitContext.Unsafe}}.Add(ref scales, j) = ({{c.T}})scale;
                        {{EmitContext.Unsafe}}.Add(ref shifts, j) = ({{c.T}})({{shift}});
                        """), 1)}}
                    BnGenRowsAffine(ref x, ref y, batch, c0, length, ref scales, ref shifts);
                }
                """;

        w.Block($$"""
            /// <summary>
            /// Evaluation-mode forward with caller-owned buffers: y = (x − runningMean) / sqrt(runningVar + {{Literal.DoubleText(c.Spec.Epsilon)}}){{(c.Affine ? " · γ + β" : string.Empty)}},
            /// computed as y = x · scale + shift. Reads everything afresh and updates nothing.
            /// </summary>
            /// <param name="input">x: {{TensorDoc(c)}}.</param>
            /// <param name="output">y, same length; may be the same memory as <paramref name="input"/>.</param>
            {{DimsDoc(c)}}
            {{(c.Affine ? "/// <param name=\"weight\">γ, length Features.</param>\n/// <param name=\"bias\">β, length Features.</param>" : CodeWriter.Skip)}}
            /// <param name="runningMean">Running mean, length Features.</param>
            /// <param name="runningVar">Running variance, length Features.</param>
            /// <exception cref="global::System.ArgumentOutOfRangeException">A dimension is not positive.</exception>
            /// <exception cref="global::System.ArgumentException">A length does not match the shape.</exception>
            {{c.GeneratedCode}}
            public static void ForwardInference({{c.Ros}} input, {{c.Span}} output, {{c.Dims}}, {{affineParams}}{{c.Ros}} runningMean, {{c.Ros}} runningVar)
            {
                {{LayerEmitter.Indent(body, 1)}}
            }

            """);
    }

    /// <summary>
    /// Σdy and Σdy·(x − mean) of the block [c0, c0 + length) into sumsDy and dots: down feature columns with the
    /// accumulators in registers when the tensor is small (one block then), else along the rows.
    /// </summary>
    private static string GradientSumsCall(EmitContext c, string means, string rowMeans)
    {
        string rows = $"sums.Slice(0, {Literal.Int(2 * c.Block)}).Clear();\nBnGenRowsGradientSums(ref x, ref dy, batch, c0, length, {rowMeans}, ref sumsDy, ref dots);";
        return HasColumnPath(c)
            ? $$"""
                if ({{ColumnCondition(c)}})
                {
                    BnGenColumnsGradientSums(ref x, ref dy, batch, {{means}}, ref sumsDy, ref dots);
                }
                else
                {
                    {{LayerEmitter.Indent(rows, 1)}}
                }
                """
            : rows;
    }

    /// <summary>The training-mode backward coefficients a, b, k (and the parameter gradients) for one T-vector of features.</summary>
    private static string TrainingBackwardVectorCoefficients(EmitContext c)
    {
        string vd = EmitContext.VecD;
        var lines = new List<string>
        {
            PerPart(c,
                $"{vd} sumDy# = {EmitContext.Simd}.Load(ref sumsDy, j@);",
                $"{vd} dot# = {EmitContext.Simd}.Load(ref dots, j@);",
                $"{vd} mean# = {EmitContext.Simd}.Load(ref means, c@);",
                $"{vd} invStd# = {EmitContext.Simd}.Load(ref invStds, c@);"),
        };
        if (c.Affine)
        {
            lines.Add(PerPart(c, $"{vd} weightGrad# = dot# * invStd#;"));
            lines.Add(NarrowStore(c, "weightGrad", "weightGrads", "c"));
            lines.Add(NarrowStore(c, "sumDy", "biasGrads", "c"));
            lines.Add(WideT(c, "weight", "weights", "c"));
            lines.Add(PerPart(c, $"{vd} a# = weight# * invStd#;"));
        }
        else
        {
            lines.Add(PerPart(c, $"{vd} a# = invStd#;"));
        }
        lines.Add(PerPart(c,
            $"{vd} slope# = dot# * invStd# * invStd# / nV;",
            $"{vd} b# = -a# * slope#;",
            $"{vd} k# = a# * (mean# * slope# - sumDy# / nV);"));
        lines.Add(NarrowStore(c, "a", "aa", "j"));
        lines.Add(NarrowStore(c, "b", "bb", "j"));
        lines.Add(NarrowStore(c, "k", "kk", "j"));
        return string.Join("\n", lines);
    }

    private static void WriteBackwardTraining(CodeWriter w, EmitContext c)
    {
        string weightParam = c.Affine ? $"{c.Ros} weight, " : string.Empty;
        string gradParams = c.Affine ? $", {c.Span} weightGrad, {c.Span} biasGrad" : string.Empty;
        var checks = new List<string> { CheckTensors(c, "input", "gradOutput", "gradInput") };
        if (c.Affine)
        {
            checks.Add(CheckFeatures("weight"));
        }
        checks.Add(CheckFeatures("savedMean", "savedInvStd"));
        if (c.Affine)
        {
            checks.Add(CheckFeatures("weightGrad", "biasGrad"));
        }
        // γ · invStd, or invStd alone when there is no weight.
        string scale = c.Affine ? "weight[c] * invStd" : "invStd";
        string grads = c.Affine
            ? $"weightGrad[c] = {c.ToT("dot * invStd")};\nbiasGrad[c] = {c.ToT("sumDy")};\n"
            : string.Empty;
        // dx = γ·invStd·(dy − Σdy/n − (x − mean)·invStd²·Σ(dy·(x − mean))/n) = dy·a + x·b + k.
        string coefficients = $$"""
            {{grads}}double a = {{scale}};
            double slope = dot * invStd * invStd / n;
            double b = -a * slope;
            double k = a * (mean * slope - sumDy / n);
            """;

        string body = c.Nchw
            ? $$"""
                {{string.Join("\n", checks)}}
                int plane = height * width;
                double n = (double)batch * plane;
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} dy = ref {{EmitContext.Marshal}}.GetReference(gradOutput);
                ref {{c.T}} dx = ref {{EmitContext.Marshal}}.GetReference(gradInput);
                // Channel by channel: one pass for Σdy and Σdy·(x − mean) in double, then dx = dy·a + x·b + k.
                for (int c = 0; c < Features; c++)
                {
                    double mean = savedMean[c];
                    double invStd = savedInvStd[c];
                    BnGenChannelGradientSums(ref x, ref dy, c, batch, plane, mean, out double sumDy, out double dot);
                    {{LayerEmitter.Indent(coefficients, 1)}}
                    BnGenChannelBackward(ref x, ref dy, ref dx, c, batch, plane, ({{c.T}})a, ({{c.T}})b, ({{c.T}})k);
                }
                """
            : $$"""
                {{string.Join("\n", checks)}}
                double n = batch;
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} dy = ref {{EmitContext.Marshal}}.GetReference(gradOutput);
                ref {{c.T}} dx = ref {{EmitContext.Marshal}}.GetReference(gradInput);
                ref double means = ref {{EmitContext.Marshal}}.GetReference(savedMean);
                ref double invStds = ref {{EmitContext.Marshal}}.GetReference(savedInvStd);
                {{(c.Affine ? $"ref {c.T} weights = ref {EmitContext.Marshal}.GetReference(weight);\nref {c.T} weightGrads = ref {EmitContext.Marshal}.GetReference(weightGrad);\nref {c.T} biasGrads = ref {EmitContext.Marshal}.GetReference(biasGrad);" : CodeWriter.Skip)}}
                {{EmitContext.VecD}} nV = new {{EmitContext.VecD}}(n);
                {{EmitContext.SpanD}} sums = stackalloc double[{{Literal.Int(2 * c.Block)}}];
                {{c.Span}} coefficients = stackalloc {{c.T}}[{{Literal.Int(3 * c.Block)}}];
                ref double sumsDy = ref {{EmitContext.Marshal}}.GetReference(sums);
                ref double dots = ref {{EmitContext.Unsafe}}.Add(ref sumsDy, {{Literal.Int(c.Block)}});
                ref {{c.T}} aa = ref {{EmitContext.Marshal}}.GetReference(coefficients);
                ref {{c.T}} bb = ref {{EmitContext.Unsafe}}.Add(ref aa, {{Literal.Int(c.Block)}});
                ref {{c.T}} kk = ref {{EmitContext.Unsafe}}.Add(ref aa, {{Literal.Int(2 * c.Block)}});
                // Per block of features: Σdy and Σdy·(x − mean) in double, then dx = dy·a + x·b + k.
                {{BlockLoopOpen(c)}}
                    {{LayerEmitter.Indent(GradientSumsCall(c, "ref means", $"ref {EmitContext.Unsafe}.Add(ref means, c0)"), 1)}}
                    {{LayerEmitter.Indent(FeatureLoop(c, TrainingBackwardVectorCoefficients(c), $$"""
                        double mean = savedMean[c];
                        double invStd = savedInvStd[c];
                        double sumDy = {{EmitContext.Unsafe}}.Add(ref sumsDy, j);
                        double dot = {{EmitContext.Unsafe}}.Add(ref dots, j);
                        {{coefficients}}
                        {{EmitContext.Unsafe}}.Add(ref aa, j) = ({{c.T}})a;
                        {{EmitContext.Unsafe}}.Add(ref bb, j) = ({{c.T}})b;
                        {{EmitContext.Unsafe}}.Add(ref kk, j) = ({{c.T}})k;
                        """), 1)}}
                    BnGenRowsBackward(ref x, ref dy, ref dx, batch, c0, length, ref aa, ref bb, ref kk);
                }
                """;

        w.Block($$"""
            /// <summary>
            /// Backward of <see cref="ForwardTraining"/> with caller-owned buffers: the full gradient through the batch
            /// statistics, dx = γ·invStd·(dy − Σdy/n − x̂·Σ(dy·x̂)/n) with x̂ = (x − savedMean)·savedInvStd{{(c.Affine ? "; weightGrad = Σ dy·x̂ and biasGrad = Σ dy are overwritten" : string.Empty)}}.
            /// </summary>
            /// <param name="input">x, the forward input: {{TensorDoc(c)}}.</param>
            /// <param name="gradOutput">dLoss/dy, same length.</param>
            /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
            {{DimsDoc(c)}}
            {{(c.Affine ? "/// <param name=\"weight\">γ, length Features.</param>" : CodeWriter.Skip)}}
            /// <param name="savedMean">The batch mean per feature written by <see cref="ForwardTraining"/>.</param>
            /// <param name="savedInvStd">The 1 / sqrt(var + ε) per feature written by <see cref="ForwardTraining"/>.</param>
            {{(c.Affine ? "/// <param name=\"weightGrad\">Receives dLoss/dγ, length Features.</param>\n/// <param name=\"biasGrad\">Receives dLoss/dβ, length Features.</param>" : CodeWriter.Skip)}}
            /// <exception cref="global::System.ArgumentOutOfRangeException">A dimension is not positive.</exception>
            /// <exception cref="global::System.ArgumentException">A length does not match the shape. Nothing is written then.</exception>
            {{c.GeneratedCode}}
            public static void BackwardTraining({{c.Ros}} input, {{c.Ros}} gradOutput, {{c.Span}} gradInput, {{c.Dims}}, {{weightParam}}{{EmitContext.RosD}} savedMean, {{EmitContext.RosD}} savedInvStd{{gradParams}})
            {
                {{LayerEmitter.Indent(body, 1)}}
            }

            """);
    }

    /// <summary>The evaluation-mode backward scale γ · invStd (and the parameter gradients) for one T-vector of features.</summary>
    private static string EvalBackwardVectorCoefficients(EmitContext c)
    {
        string vd = EmitContext.VecD;
        var lines = new List<string> { EvalVectorCoefficients(c, withShift: false) };
        if (c.Affine)
        {
            lines.Add(PerPart(c,
                $"{vd} sumDy# = {EmitContext.Simd}.Load(ref sumsDy, j@);",
                $"{vd} weightGrad# = {EmitContext.Simd}.Load(ref dots, j@) * invStd#;"));
            lines.Add(NarrowStore(c, "weightGrad", "weightGrads", "c"));
            lines.Add(NarrowStore(c, "sumDy", "biasGrads", "c"));
        }
        return string.Join("\n", lines);
    }

    private static void WriteBackwardInference(CodeWriter w, EmitContext c)
    {
        string weightParam = c.Affine ? $"{c.Ros} weight, " : string.Empty;
        string gradParams = c.Affine ? $", {c.Span} weightGrad, {c.Span} biasGrad" : string.Empty;
        var checks = new List<string> { CheckTensors(c, "input", "gradOutput", "gradInput") };
        if (c.Affine)
        {
            checks.Add(CheckFeatures("weight"));
        }
        checks.Add(CheckFeatures("runningMean", "runningVar"));
        if (c.Affine)
        {
            checks.Add(CheckFeatures("weightGrad", "biasGrad"));
        }
        string scale = c.Affine ? "weight[c] * invStd" : "invStd";

        string body;
        if (c.Nchw)
        {
            string sums = c.Affine
                ? $$"""
                    {{c.T}} a = {{c.ToT(scale)}};
                    BnGenChannelScaleGradient(ref x, ref dy, ref dx, c, batch, plane, runningMean[c], a, out double sumDy, out double dot);
                    weightGrad[c] = {{c.ToT("dot * invStd")}};
                    biasGrad[c] = {{c.ToT("sumDy")}};
                    """
                : $"BnGenChannelAffine(ref dy, ref dx, c, batch, plane, {c.ToT(scale)}, {c.Lit(0)});";
            body = $$"""
                {{string.Join("\n", checks)}}
                int plane = height * width;
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} dy = ref {{EmitContext.Marshal}}.GetReference(gradOutput);
                ref {{c.T}} dx = ref {{EmitContext.Marshal}}.GetReference(gradInput);
                // The running statistics are constants of the forward function: dx = dy · γ / sqrt(runningVar + ε).
                for (int c = 0; c < Features; c++)
                {
                    double invStd = 1d / {{EmitContext.Math}}.Sqrt(runningVar[c] + {{c.Epsilon}});
                    {{LayerEmitter.Indent(sums, 1)}}
                }
                """;
        }
        else
        {
            string sums = c.Affine
                ? $$"""
                    for (int i = 0; i < length; i++)
                    {
                        {{EmitContext.Unsafe}}.Add(ref means, i) = runningMean[c0 + i];
                    }
                    {{GradientSumsCall(c, "ref means", "ref means")}}
                    """
                : string.Empty;
            string grads = c.Affine
                ? $$"""
                    weightGrad[c] = {{c.ToT($"{EmitContext.Unsafe}.Add(ref dots, j) * invStd")}};
                    biasGrad[c] = {{c.ToT($"{EmitContext.Unsafe}.Add(ref sumsDy, j)")}};
                    """
                : string.Empty;
            string stack = c.Affine
                ? $$"""
                    {{EmitContext.SpanD}} sums = stackalloc double[{{Literal.Int(3 * c.Block)}}];
                    ref double sumsDy = ref {{EmitContext.Marshal}}.GetReference(sums);
                    ref double dots = ref {{EmitContext.Unsafe}}.Add(ref sumsDy, {{Literal.Int(c.Block)}});
                    ref double means = ref {{EmitContext.Unsafe}}.Add(ref sumsDy, {{Literal.Int(2 * c.Block)}});
                    """
                : string.Empty;
            body = $$"""
                {{string.Join("\n", checks)}}
                ref {{c.T}} x = ref {{EmitContext.Marshal}}.GetReference(input);
                ref {{c.T}} dy = ref {{EmitContext.Marshal}}.GetReference(gradOutput);
                ref {{c.T}} dx = ref {{EmitContext.Marshal}}.GetReference(gradInput);
                {{LayerEmitter.Indent(stack, 0)}}
                {{c.Span}} coefficients = stackalloc {{c.T}}[{{Literal.Int(2 * c.Block)}}];
                ref {{c.T}} scales = ref {{EmitContext.Marshal}}.GetReference(coefficients);
                ref {{c.T}} zeros = ref {{EmitContext.Unsafe}}.Add(ref scales, {{Literal.Int(c.Block)}});
                // Cleared explicitly: under [SkipLocalsInit] (the user's assembly may have it) stackalloc memory is not zeroed.
                coefficients.Slice({{Literal.Int(c.Block)}}).Clear();
                // The running statistics are constants of the forward function: dx = dy · γ / sqrt(runningVar + ε).
                {{LayerEmitter.Indent(EvalRefs(c, withBias: false), 0)}}
                {{(c.Affine ? $"ref {c.T} weightGrads = ref {EmitContext.Marshal}.GetReference(weightGrad);\nref {c.T} biasGrads = ref {EmitContext.Marshal}.GetReference(biasGrad);" : CodeWriter.Skip)}}
                {{BlockLoopOpen(c)}}
                    {{LayerEmitter.Indent(sums, 1)}}
                    {{LayerEmitter.Indent(FeatureLoop(c, EvalBackwardVectorCoefficients(c), $$"""
                        double invStd = 1d / {{EmitContext.Math}}.Sqrt(runningVar[c] + {{c.Epsilon}});
                        {{grads}}
                        {{EmitContext.Unsafe}}.Add(ref scales, j) = {{c.ToT(scale)}};
                        """), 1)}}
                    BnGenRowsAffine(ref dy, ref dx, batch, c0, length, ref scales, ref zeros);
                }
                """;
        }

        w.Block($$"""
            /// <summary>
            /// Backward of <see cref="ForwardInference"/> with caller-owned buffers: the running statistics are constants, so
            /// dx = dy · γ / sqrt(runningVar + ε){{(c.Affine ? "; weightGrad = Σ dy·x̂ with x̂ = (x − runningMean) / sqrt(runningVar + ε), and biasGrad = Σ dy, are overwritten" : string.Empty)}}.
            /// </summary>
            /// <param name="input">x, the forward input: {{TensorDoc(c)}}.</param>
            /// <param name="gradOutput">dLoss/dy, same length.</param>
            /// <param name="gradInput">dLoss/dx, overwritten; may be the same memory as <paramref name="gradOutput"/>.</param>
            {{DimsDoc(c)}}
            {{(c.Affine ? "/// <param name=\"weight\">γ, length Features.</param>" : CodeWriter.Skip)}}
            /// <param name="runningMean">Running mean, length Features.</param>
            /// <param name="runningVar">Running variance, length Features.</param>
            {{(c.Affine ? "/// <param name=\"weightGrad\">Receives dLoss/dγ, length Features.</param>\n/// <param name=\"biasGrad\">Receives dLoss/dβ, length Features.</param>" : CodeWriter.Skip)}}
            /// <exception cref="global::System.ArgumentOutOfRangeException">A dimension is not positive.</exception>
            /// <exception cref="global::System.ArgumentException">A length does not match the shape. Nothing is written then.</exception>
            {{c.GeneratedCode}}
            public static void BackwardInference({{c.Ros}} input, {{c.Ros}} gradOutput, {{c.Span}} gradInput, {{c.Dims}}, {{weightParam}}{{c.Ros}} runningMean, {{c.Ros}} runningVar{{gradParams}})
            {
                {{LayerEmitter.Indent(body, 1)}}
            }

            """);
    }

    public static void WriteValidation(CodeWriter w, EmitContext c)
    {
        string shape = c.Nchw
            ? $"{Throw}.ShapeNCHW(batch, Features, height, width)"
            : $"{Throw}.ShapeNC(batch, Features)";
        string dimChecks = c.Nchw
            ? $$"""
                if (batch <= 0)
                {
                    {{Throw}}.DimensionNotPositive(nameof(batch), batch);
                }
                if (height <= 0)
                {
                    {{Throw}}.DimensionNotPositive(nameof(height), height);
                }
                if (width <= 0)
                {
                    {{Throw}}.DimensionNotPositive(nameof(width), width);
                }
                // Saturating: a count beyond any span length must not wrap around to one that matches.
                long count = (long)batch * Features;
                count = count > long.MaxValue / height ? long.MaxValue : count * height;
                return count > long.MaxValue / width ? long.MaxValue : count * width;
                """
            : $$"""
                if (batch <= 0)
                {
                    {{Throw}}.DimensionNotPositive(nameof(batch), batch);
                }
                return (long)batch * Features;
                """;
        string perChannel = c.Nchw ? "(long)batch * height * width" : "batch";
        w.Block($$"""
            // Every check runs before anything is written, so that a rejected call changes no state.
            {{c.GeneratedCode}}
            private static long BnGenCheckDimensions({{c.Dims}})
            {
                {{LayerEmitter.Indent(dimChecks, 1)}}
            }

            {{c.GeneratedCode}}
            private static void BnGenCheckLength(string name, int actual, long expected, {{c.Dims}})
            {
                if (actual != expected)
                {
                    {{Throw}}.LengthMismatch(name, expected, actual, {{shape}});
                }
            }

            {{c.GeneratedCode}}
            private static void BnGenCheckFeatures(string name, int actual)
            {
                if (actual != Features)
                {
                    {{Throw}}.LengthMismatch(name, Features, actual, "[{{c.Features}}]");
                }
            }

            {{c.GeneratedCode}}
            private static void BnGenCheckBatchStatistics({{c.Dims}})
            {
                if ({{perChannel}} == 1)
                {
                    {{Throw}}.SingleValuePerChannel({{shape}});
                }
            }

            """);
        if (c.Track)
        {
            w.Block($$"""
                {{c.GeneratedCode}}
                private static void BnGenCheckFactor(double exponentialAverageFactor)
                {
                    if (!(exponentialAverageFactor >= 0d && exponentialAverageFactor <= 1d))
                    {
                        {{Throw}}.ArgumentOutOfRange(nameof(exponentialAverageFactor), exponentialAverageFactor, "must be within [0, 1]");
                    }
                }

                """);
        }
    }
}
