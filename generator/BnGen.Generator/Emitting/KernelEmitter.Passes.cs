using System.Collections.Generic;
using System.Linq;

namespace BnGen.Generator.Emitting;

/// <summary>The passes over memory the kernels are made of: reductions in double and element-wise FMA passes.</summary>
internal static partial class KernelEmitter
{
    private const string U = EmitContext.Unsafe;
    private const string S = EmitContext.Simd;
    private const string VD = EmitContext.VecD;

    /// <summary>
    /// Loads one vector of the element type at <c>ref src + offset</c> as double vectors: two (widened) for float, one for
    /// double. Returns the declaration and the names of the double vectors.
    /// </summary>
    private static (string Code, string[] Parts) LoadWide(EmitContext c, string name, string src, string offset)
    {
        if (c.IsFloat)
        {
            return ($"{EmitContext.Vector}.Widen({S}.Load(ref {src}, {offset}), out {VD} {name}Lo, out {VD} {name}Hi);",
                new[] { name + "Lo", name + "Hi" });
        }
        return ($"{VD} {name} = {S}.Load(ref {src}, {offset});", new[] { name });
    }

    private static string Count(EmitContext c) => $"{c.Vec}.Count";

    /// <summary>Number of double accumulators an unrolled step of two vectors feeds.</summary>
    private static int Accumulators(EmitContext c) => c.IsFloat ? 4 : 2;

    private static string DeclareAccumulators(string prefix, int count)
        => $"{VD} " + string.Join(", ", Enumerable.Range(0, count).Select(i => $"{prefix}{i} = {VD}.Zero")) + ";";

    private static string SumAccumulators(string prefix, int count)
    {
        // Pairwise, in a fixed order: the result depends on the vector width, never on addresses.
        var terms = Enumerable.Range(0, count).Select(i => $"{prefix}{i}").ToList();
        while (terms.Count > 1)
        {
            var next = new List<string>();
            for (int i = 0; i < terms.Count; i += 2)
            {
                next.Add(i + 1 < terms.Count ? $"({terms[i]} + {terms[i + 1]})" : terms[i]);
            }
            terms = next;
        }
        string sum = terms[0];
        return sum.StartsWith("(") && sum.EndsWith(")") ? sum.Substring(1, sum.Length - 2) : sum;
    }

    /// <summary>T-vectors per unrolled step of a reduction: enough independent double accumulators to hide the add latency.</summary>
    private static int Unroll(EmitContext c) => c.IsFloat ? 2 : 4;

    /// <summary>
    /// The loads of <paramref name="vectors"/> consecutive T-vectors at <c>ref src + offset</c>, as double parts named
    /// prefix0, prefix1, …: two parts per float vector (widened), one per double vector.
    /// </summary>
    private static (string Code, string[] Parts) LoadParts(EmitContext c, string prefix, string src, string offset, int vectors)
    {
        var code = new List<string>();
        var parts = new List<string>();
        for (int v = 0; v < vectors; v++)
        {
            string at = v == 0 ? offset : $"{offset} + {Literal.Int(v)} * {Count(c)}";
            if (c.IsFloat)
            {
                string lo = prefix + (2 * v), hi = prefix + (2 * v + 1);
                code.Add($"{EmitContext.Vector}.Widen({S}.Load(ref {src}, {at}), out {VD} {lo}, out {VD} {hi});");
                parts.Add(lo);
                parts.Add(hi);
            }
            else
            {
                string name = prefix + v;
                code.Add($"{VD} {name} = {S}.Load(ref {src}, {at});");
                parts.Add(name);
            }
        }
        return (string.Join("\n", code), parts.ToArray());
    }

    /// <summary>Σ d and Σ d² of d = part − pivot into accumulators s{i} and q{i}.</summary>
    private static string ShiftedAccumulate(string[] parts, string pivot)
        => string.Join("\n", parts.Select((p, i) => $"{VD} d{i} = {p} - {pivot}{(pivot.EndsWith("#") ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)};\ns{i} += d{i};\nq{i} = {S}.MultiplyAdd(d{i}, d{i}, q{i});").Select(l => l.Replace("#", string.Empty)));

    /// <summary>Whether NC kernels may walk feature columns with accumulators in registers (rows up to 1 KiB).</summary>
    public static bool HasColumnPath(EmitContext c) => !c.Nchw && c.Spec.Features * (c.IsFloat ? 4 : 8) <= 1024;

    /// <summary>The run-time condition for the column path: the whole tensor within 256 KiB (L2), so strided rows stay cached.</summary>
    public static string ColumnCondition(EmitContext c) => $"(long)batch * Features <= {Literal.Int(c.IsFloat ? 65536 : 32768)}";

    private static string DoubleCount => $"{VD}.Count";

    /// <summary>Offset of double part i of a T-vector block starting at <paramref name="at"/>.</summary>
    private static string PartAt(string at, int i) => i == 0 ? at : $"{at} + {Literal.Int(i)} * {DoubleCount}";

    /// <summary>
    /// Shifted statistics of the feature columns [j, j + vectors · Count): pivots from row 0, one walk down the rows with
    /// the accumulators in registers, then mean and Σ(x − mean)² stored per feature.
    /// </summary>
    private static string ColumnStatisticsBlock(EmitContext c, int vectors)
    {
        var (lp, pp) = LoadParts(c, "p", "col", "0", vectors);
        var (lv, pv) = LoadParts(c, "v", "row", "0", vectors);
        int parts = pp.Length;
        var finish = new List<string>();
        for (int i = 0; i < parts; i++)
        {
            finish.Add($"{VD} shift{i} = s{i} / nV;");
            finish.Add($"{S}.Store(p{i} + shift{i}, ref means, {PartAt("j", i)});");
            finish.Add($"{S}.Store(q{i} - s{i} * shift{i}, ref squares, {PartAt("j", i)});");
        }
        string exact = string.Join(" & ", Enumerable.Range(0, parts).Select(i => $"{EmitContext.Vector}.LessThanOrEqualAll(limitV * s{i} * shift{i}, scaleV * q{i})"));
        return $$"""
            {
                ref {{c.T}} col = ref {{U}}.Add(ref x, j);
                {{LayerEmitter.Indent(lp, 1)}}
                {{DeclareAccumulators("s", parts)}}
                {{DeclareAccumulators("q", parts)}}
                for (int r = 0; r < batch; r++)
                {
                    ref {{c.T}} row = ref {{U}}.Add(ref col, (nint)r * Features);
                    {{LayerEmitter.Indent(lv + "\n" + ShiftedAccumulate(pv, "p#"), 2)}}
                }
                {{LayerEmitter.Indent(string.Join("\n", finish), 1)}}
                if (!({{exact}}))
                {
                    BnGenColumnsExactSquares(ref x, batch, j, {{Literal.Int(vectors)}} * {{Count(c)}}, ref means, ref squares);
                }
            }
            """;
    }

    /// <summary>Σ dy and Σ dy · (x − mean) of the feature columns [j, j + vectors · Count), accumulators in registers.</summary>
    private static string ColumnGradientBlock(EmitContext c, int vectors)
    {
        var (lx, px) = LoadParts(c, "x", "xr", "0", vectors);
        var (lg, pg) = LoadParts(c, "g", "gr", "0", vectors);
        int parts = px.Length;
        var means = Enumerable.Range(0, parts).Select(i => $"{VD} m{i} = {S}.Load(ref means, {PartAt("j", i)});");
        var step = pg.Select((g, i) => $"sumAcc{i} += {g};\ndotAcc{i} = {S}.MultiplyAdd({g}, {px[i]} - m{i}, dotAcc{i});");
        var store = Enumerable.Range(0, parts).Select(i => $"{S}.Store(sumAcc{i}, ref sumsDy, {PartAt("j", i)});\n{S}.Store(dotAcc{i}, ref dots, {PartAt("j", i)});");
        return $$"""
            {
                {{LayerEmitter.Indent(string.Join("\n", means), 1)}}
                {{DeclareAccumulators("sumAcc", parts)}}
                {{DeclareAccumulators("dotAcc", parts)}}
                for (int r = 0; r < batch; r++)
                {
                    nint offset = (nint)r * Features + j;
                    ref {{c.T}} xr = ref {{U}}.Add(ref x, offset);
                    ref {{c.T}} gr = ref {{U}}.Add(ref dy, offset);
                    {{LayerEmitter.Indent(lx + "\n" + lg + "\n" + string.Join("\n", step), 2)}}
                }
                {{LayerEmitter.Indent(string.Join("\n", store), 1)}}
            }
            """;
    }

    public static void WriteColumnPasses(CodeWriter w, EmitContext c)
    {
        if (!HasColumnPath(c))
        {
            return;
        }
        string t = c.T;
        string count = Count(c);
        int unroll = Unroll(c);
        w.Block($$"""
            // means[j] and squares[j] = Σ over rows of (x[n, j] − means[j])² for every feature, walking feature columns: per block
            // of {{Literal.Int(unroll)}} vectors the accumulators stay in registers down all rows (Σ d, Σ d² in double of d = x − x[0, j]), so
            // nothing is cleared or read back from memory per row. A pivot far from the mean (past 10 lost bits) falls back to
            // the exact second pass for its block.
            {{c.GeneratedCode}}
            private static void BnGenColumnsStatistics(ref {{t}} x, int batch, ref double means, ref double squares)
            {
                double n = batch;
                {{VD}} nV = new {{VD}}(n);
                {{VD}} limitV = new {{VD}}(1025d);
                {{VD}} scaleV = new {{VD}}(1024d);
                int j = 0;
                for (; j <= Features - {{Literal.Int(unroll)}} * {{count}}; j += {{Literal.Int(unroll)}} * {{count}})
                {{LayerEmitter.Indent(ColumnStatisticsBlock(c, unroll), 1)}}
                for (; j <= Features - {{count}}; j += {{count}})
                {{LayerEmitter.Indent(ColumnStatisticsBlock(c, 1), 1)}}
                for (; j < Features; j++)
                {
                    double pivot = {{U}}.Add(ref x, j);
                    double sum = 0d;
                    double sumSquares = 0d;
                    for (int r = 0; r < batch; r++)
                    {
                        double d = {{U}}.Add(ref x, (nint)r * Features + j) - pivot;
                        sum += d;
                        sumSquares = {{S}}.MultiplyAdd(d, d, sumSquares);
                    }
                    double shift = sum / n;
                    {{U}}.Add(ref means, j) = pivot + shift;
                    {{U}}.Add(ref squares, j) = sumSquares - sum * shift;
                    if (!(1025d * sum * shift <= 1024d * sumSquares))
                    {
                        BnGenColumnsExactSquares(ref x, batch, j, 1, ref means, ref squares);
                    }
                }
            }

            // squares[j] = Σ over rows of (x[n, j] − means[j])² for the features [j0, j0 + length): the exact second pass.
            {{c.GeneratedCode}}
            private static void BnGenColumnsExactSquares(ref {{t}} x, int batch, int j0, int length, ref double means, ref double squares)
            {
                for (int j = j0; j < j0 + length; j++)
                {
                    double mean = {{U}}.Add(ref means, j);
                    double sum = 0d;
                    for (int r = 0; r < batch; r++)
                    {
                        double d = {{U}}.Add(ref x, (nint)r * Features + j) - mean;
                        sum = {{S}}.MultiplyAdd(d, d, sum);
                    }
                    {{U}}.Add(ref squares, j) = sum;
                }
            }

            // sumsDy[j] = Σ dy[n, j] and dots[j] = Σ dy · (x − means[j]) over the rows for every feature, in double, walking
            // feature columns with the accumulators in registers.
            {{c.GeneratedCode}}
            private static void BnGenColumnsGradientSums(ref {{t}} x, ref {{t}} dy, int batch, ref double means, ref double sumsDy, ref double dots)
            {
                int j = 0;
                for (; j <= Features - {{Literal.Int(unroll)}} * {{count}}; j += {{Literal.Int(unroll)}} * {{count}})
                {{LayerEmitter.Indent(ColumnGradientBlock(c, unroll), 1)}}
                for (; j <= Features - {{count}}; j += {{count}})
                {{LayerEmitter.Indent(ColumnGradientBlock(c, 1), 1)}}
                for (; j < Features; j++)
                {
                    double mean = {{U}}.Add(ref means, j);
                    double sumDy = 0d;
                    double dot = 0d;
                    for (int r = 0; r < batch; r++)
                    {
                        nint at = (nint)r * Features + j;
                        double g = {{U}}.Add(ref dy, at);
                        sumDy += g;
                        dot += g * ({{U}}.Add(ref x, at) - mean);
                    }
                    {{U}}.Add(ref sumsDy, j) = sumDy;
                    {{U}}.Add(ref dots, j) = dot;
                }
            }

            """);
    }

    public static void WriteChannelPasses(CodeWriter w, EmitContext c)
    {
        string t = c.T;
        string count = Count(c);
        int accs = Accumulators(c);
        int unroll = Unroll(c);
        int unrolledParts = c.IsFloat ? 2 * unroll : unroll;
        string run = $"ref {t} run = ref {U}.Add(ref x, ((nint)n * Features + c) * plane);";

        // Σ (x − p) and Σ (x − p)² in one pass, p = the channel's first value.
        var (lu, pu) = LoadParts(c, "v", "run", "s", unroll);
        var (l1, p1) = LoadParts(c, "v", "run", "s", 1);
        w.Block($$"""
            // Mean and Σ (x − mean)² of channel c in one pass: Σ d and Σ d² in double of d = x − p, p the channel's first value
            // (exact in double), {{Literal.Int(unroll)}} vectors per step into {{Literal.Int(unrolledParts)}} + {{Literal.Int(unrolledParts)}} independent accumulators. Σ(x − mean)² = Σd² − (Σd)²/n
            // loses about log2(1 + (mean − p)²/var) bits: past 10 bits (p more than 32 standard deviations from the mean) the
            // exact second pass over the channel runs instead, so the result stays as accurate as two passes in double.
            {{c.GeneratedCode}}
            private static void BnGenChannelStatistics(ref {{t}} x, int c, int batch, int plane, out double mean, out double squares)
            {
                double pivot = {{U}}.Add(ref x, (nint)c * plane);
                {{VD}} p = new {{VD}}(pivot);
                {{DeclareAccumulators("s", unrolledParts)}}
                {{DeclareAccumulators("q", unrolledParts)}}
                double sumTail = 0d;
                double squareTail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    {{run}}
                    int s = 0;
                    for (; s <= plane - {{Literal.Int(unroll)}} * {{count}}; s += {{Literal.Int(unroll)}} * {{count}})
                    {
                        {{LayerEmitter.Indent(lu + "\n" + ShiftedAccumulate(pu, "p"), 3)}}
                    }
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(l1 + "\n" + ShiftedAccumulate(p1, "p"), 3)}}
                    }
                    // A reduction never reloads a lane: the tail is scalar.
                    for (; s < plane; s++)
                    {
                        double d = {{U}}.Add(ref run, s) - pivot;
                        sumTail += d;
                        squareTail = {{S}}.MultiplyAdd(d, d, squareTail);
                    }
                }
                double sum = {{EmitContext.Vector}}.Sum({{SumAccumulators("s", unrolledParts)}}) + sumTail;
                double sumSquares = {{EmitContext.Vector}}.Sum({{SumAccumulators("q", unrolledParts)}}) + squareTail;
                double shift = sum / ((double)batch * plane);
                mean = pivot + shift;
                squares = sumSquares - sum * shift;
                if (!(1025d * sum * shift <= 1024d * sumSquares))
                {
                    squares = BnGenChannelSquaredDeviations(ref x, c, batch, plane, mean);
                }
            }

            """);

        // Σ (x − mean)²: the exact fallback.
        var (l0, p0) = LoadWide(c, "v0", "run", "s");
        string sqSingle = string.Join("\n", new[] { l0 }.Concat(p0.Select((p, i) => $"{VD} d{i} = {p} - m;\nacc{i} = {S}.MultiplyAdd(d{i}, d{i}, acc{i});")));
        w.Block($$"""
            // Σ (x − mean)² over channel c in double: the second pass of the two-pass variance, for a pivot far from the mean.
            {{c.GeneratedCode}}
            private static double BnGenChannelSquaredDeviations(ref {{t}} x, int c, int batch, int plane, double mean)
            {
                {{DeclareAccumulators("acc", accs / 2)}}
                {{VD}} m = new {{VD}}(mean);
                double tail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    {{run}}
                    int s = 0;
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(sqSingle, 3)}}
                    }
                    for (; s < plane; s++)
                    {
                        double d = {{U}}.Add(ref run, s) - mean;
                        tail = {{S}}.MultiplyAdd(d, d, tail);
                    }
                }
                return {{EmitContext.Vector}}.Sum({{SumAccumulators("acc", accs / 2)}}) + tail;
            }

            """);

        // y = x · scale + shift
        w.Block($$"""
            // y = x · scale + shift over channel c: one run of plane values per batch item.
            {{c.GeneratedCode}}
            private static void BnGenChannelAffine(ref {{t}} x, ref {{t}} y, int c, int batch, int plane, {{t}} scale, {{t}} shift)
            {
                for (int n = 0; n < batch; n++)
                {
                    nint offset = ((nint)n * Features + c) * plane;
                    BnGenRunAffine(ref {{U}}.Add(ref x, offset), ref {{U}}.Add(ref y, offset), plane, scale, shift);
                }
            }

            // y = x · scale + shift over one contiguous run, two vectors per step, fused multiply-add where the hardware has
            // it. A run whose length is not a multiple of the vector ends with one overlapping vector, loaded before the loop
            // so that in-place use (y the same memory as x) stays correct.
            {{EmitContext.Inline}}
            {{c.GeneratedCode}}
            private static void BnGenRunAffine(ref {{t}} src, ref {{t}} dst, int plane, {{t}} scale, {{t}} shift)
            {
                if (plane < {{count}})
                {
                    for (int i = 0; i < plane; i++)
                    {
                        {{U}}.Add(ref dst, i) = {{S}}.MultiplyAdd({{U}}.Add(ref src, i), scale, shift);
                    }
                    return;
                }
                {{c.Vec}} scaleV = new {{c.Vec}}(scale);
                {{c.Vec}} shiftV = new {{c.Vec}}(shift);
                int last = plane - {{count}};
                {{c.Vec}} lastV = {{S}}.Load(ref src, last);
                int s = 0;
                for (; s <= plane - 2 * {{count}}; s += 2 * {{count}})
                {
                    {{c.Vec}} v0 = {{S}}.Load(ref src, s);
                    {{c.Vec}} v1 = {{S}}.Load(ref src, s + {{count}});
                    {{S}}.Store({{S}}.MultiplyAdd(v0, scaleV, shiftV), ref dst, s);
                    {{S}}.Store({{S}}.MultiplyAdd(v1, scaleV, shiftV), ref dst, s + {{count}});
                }
                if (s <= last)
                {
                    {{S}}.Store({{S}}.MultiplyAdd({{S}}.Load(ref src, s), scaleV, shiftV), ref dst, s);
                    s += {{count}};
                }
                if (s < plane)
                {
                    {{S}}.Store({{S}}.MultiplyAdd(lastV, scaleV, shiftV), ref dst, last);
                }
            }

            """);

        // The channel-order sweep exists only where ForwardInference can take it: with running statistics and at most
        // 1024 channels (see NchwInferenceLoop).
        if (c.Track && c.Spec.Features <= 1024)
        {
            w.Block($$"""
            // The channel-order eval forward (long runs, small tensor): y = x · scale + shift channel by channel, with scale and
            // shift of channel c at coefficients[c] and coefficients[Features + c]. Kept out of line so that the address-order
            // loop of the caller compiles as before.
            [global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
            {{c.GeneratedCode}}
            private static void BnGenChannelOrderAffine(ref {{t}} x, ref {{t}} y, int batch, int plane, {{c.Ros}} coefficients)
            {
                for (int c = 0; c < Features; c++)
                {
                    {{t}} scale = coefficients[c];
                    {{t}} shift = coefficients[Features + c];
                    for (int n = 0; n < batch; n++)
                    {
                        nint offset = ((nint)n * Features + c) * plane;
                        BnGenLongRunAffine(ref {{U}}.Add(ref x, offset), ref {{U}}.Add(ref y, offset), plane, scale, shift);
                    }
                }
            }

            // y = x · scale + shift over one long contiguous run (the channel-order eval forward), two vectors per step, then
            // at most one vector and a scalar tail.
            {{EmitContext.Inline}}
            {{c.GeneratedCode}}
            private static void BnGenLongRunAffine(ref {{t}} src, ref {{t}} dst, int plane, {{t}} scale, {{t}} shift)
            {
                {{c.Vec}} scaleV = new {{c.Vec}}(scale);
                {{c.Vec}} shiftV = new {{c.Vec}}(shift);
                int s = 0;
                for (; s <= plane - 2 * {{count}}; s += 2 * {{count}})
                {
                    {{c.Vec}} v0 = {{S}}.Load(ref src, s);
                    {{c.Vec}} v1 = {{S}}.Load(ref src, s + {{count}});
                    {{S}}.Store({{S}}.MultiplyAdd(v0, scaleV, shiftV), ref dst, s);
                    {{S}}.Store({{S}}.MultiplyAdd(v1, scaleV, shiftV), ref dst, s + {{count}});
                }
                if (s <= plane - {{count}})
                {
                    {{S}}.Store({{S}}.MultiplyAdd({{S}}.Load(ref src, s), scaleV, shiftV), ref dst, s);
                    s += {{count}};
                }
                for (; s < plane; s++)
                {
                    {{U}}.Add(ref dst, s) = {{S}}.MultiplyAdd({{U}}.Add(ref src, s), scale, shift);
                }
            }

            """);
        }

        // Σ dy and Σ dy · (x − mean)
        var (lxu, pxu) = LoadParts(c, "x", "xs", "s", unroll);
        var (ldu, pdu) = LoadParts(c, "g", "gs", "s", unroll);
        var (lx1, px1) = LoadParts(c, "x", "xs", "s", 1);
        var (ld1, pd1) = LoadParts(c, "g", "gs", "s", 1);
        string GradStep(string lx, string ld, string[] px, string[] pd) => string.Join("\n", new[] { lx, ld }
            .Concat(pd.Select((p, i) => $"sumAcc{i} += {p};\ndotAcc{i} = {S}.MultiplyAdd({p}, {px[i]} - m, dotAcc{i});")));
        w.Block($$"""
            // Σ dy and Σ dy · (x − mean) over channel c in double, in one pass over x and dy, {{Literal.Int(unroll)}} vectors per step.
            {{c.GeneratedCode}}
            private static void BnGenChannelGradientSums(ref {{t}} x, ref {{t}} dy, int c, int batch, int plane, double mean, out double sumDy, out double dot)
            {
                {{DeclareAccumulators("sumAcc", unrolledParts)}}
                {{DeclareAccumulators("dotAcc", unrolledParts)}}
                {{VD}} m = new {{VD}}(mean);
                double sumTail = 0d;
                double dotTail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    nint offset = ((nint)n * Features + c) * plane;
                    ref {{t}} xs = ref {{U}}.Add(ref x, offset);
                    ref {{t}} gs = ref {{U}}.Add(ref dy, offset);
                    int s = 0;
                    for (; s <= plane - {{Literal.Int(unroll)}} * {{count}}; s += {{Literal.Int(unroll)}} * {{count}})
                    {
                        {{LayerEmitter.Indent(GradStep(lxu, ldu, pxu, pdu), 3)}}
                    }
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(GradStep(lx1, ld1, px1, pd1), 3)}}
                    }
                    for (; s < plane; s++)
                    {
                        double g = {{U}}.Add(ref gs, s);
                        sumTail += g;
                        dotTail += g * ({{U}}.Add(ref xs, s) - mean);
                    }
                }
                sumDy = {{EmitContext.Vector}}.Sum({{SumAccumulators("sumAcc", unrolledParts)}}) + sumTail;
                dot = {{EmitContext.Vector}}.Sum({{SumAccumulators("dotAcc", unrolledParts)}}) + dotTail;
            }

            """);

        // dx = dy · a, with Σ dy and Σ dy · (x − mean) in the same pass (the evaluation-mode backward).
        string scaleStep1 = string.Join("\n", new[] { $"{c.Vec} gv = {S}.Load(ref gs, s);", $"{S}.Store(gv * aV, ref ds, s);" }
            .Concat(c.IsFloat
                ? new[] { $"{EmitContext.Vector}.Widen({S}.Load(ref xs, s), out {VD} x0, out {VD} x1);", $"{EmitContext.Vector}.Widen(gv, out {VD} g0, out {VD} g1);" }
                : new[] { $"{VD} x0 = {S}.Load(ref xs, s);", $"{VD} g0 = gv;" })
            .Concat(Enumerable.Range(0, c.IsFloat ? 2 : 1).Select(i => $"sumAcc{i} += g{i};\ndotAcc{i} = {S}.MultiplyAdd(g{i}, x{i} - m, dotAcc{i});")));
        int scaleParts = c.IsFloat ? 2 : 1;
        w.Block($$"""
            // dx = dy · a over channel c, and in the same pass Σ dy and Σ dy · (x − mean) in double (dy is read once).
            {{c.GeneratedCode}}
            private static void BnGenChannelScaleGradient(ref {{t}} x, ref {{t}} dy, ref {{t}} dx, int c, int batch, int plane, double mean, {{t}} a, out double sumDy, out double dot)
            {
                {{c.Vec}} aV = new {{c.Vec}}(a);
                {{DeclareAccumulators("sumAcc", scaleParts)}}
                {{DeclareAccumulators("dotAcc", scaleParts)}}
                {{VD}} m = new {{VD}}(mean);
                double sumTail = 0d;
                double dotTail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    nint offset = ((nint)n * Features + c) * plane;
                    ref {{t}} xs = ref {{U}}.Add(ref x, offset);
                    ref {{t}} gs = ref {{U}}.Add(ref dy, offset);
                    ref {{t}} ds = ref {{U}}.Add(ref dx, offset);
                    int s = 0;
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(scaleStep1, 3)}}
                    }
                    for (; s < plane; s++)
                    {
                        {{t}} gt = {{U}}.Add(ref gs, s);
                        {{U}}.Add(ref ds, s) = gt * a;
                        double g = gt;
                        sumTail += g;
                        dotTail += g * ({{U}}.Add(ref xs, s) - mean);
                    }
                }
                sumDy = {{EmitContext.Vector}}.Sum({{SumAccumulators("sumAcc", scaleParts)}}) + sumTail;
                dot = {{EmitContext.Vector}}.Sum({{SumAccumulators("dotAcc", scaleParts)}}) + dotTail;
            }

            """);

        // dx = dy · a + x · b + k
        w.Block($$"""
            // dx = dy · a + x · b + k over channel c: the training-mode input gradient with per-channel coefficients. A ragged
            // run ends with one overlapping vector loaded before the loop (in-place safe).
            {{c.GeneratedCode}}
            private static void BnGenChannelBackward(ref {{t}} x, ref {{t}} dy, ref {{t}} dx, int c, int batch, int plane, {{t}} a, {{t}} b, {{t}} k)
            {
                {{c.Vec}} aV = new {{c.Vec}}(a);
                {{c.Vec}} bV = new {{c.Vec}}(b);
                {{c.Vec}} kV = new {{c.Vec}}(k);
                for (int n = 0; n < batch; n++)
                {
                    nint offset = ((nint)n * Features + c) * plane;
                    ref {{t}} xs = ref {{U}}.Add(ref x, offset);
                    ref {{t}} gs = ref {{U}}.Add(ref dy, offset);
                    ref {{t}} ds = ref {{U}}.Add(ref dx, offset);
                    if (plane < {{count}})
                    {
                        for (int i = 0; i < plane; i++)
                        {
                            {{U}}.Add(ref ds, i) = {{S}}.MultiplyAdd({{U}}.Add(ref gs, i), a, {{S}}.MultiplyAdd({{U}}.Add(ref xs, i), b, k));
                        }
                        continue;
                    }
                    int last = plane - {{count}};
                    {{c.Vec}} lastX = {{S}}.Load(ref xs, last);
                    {{c.Vec}} lastG = {{S}}.Load(ref gs, last);
                    int s = 0;
                    for (; s <= last; s += {{count}})
                    {
                        {{c.Vec}} xv = {{S}}.Load(ref xs, s);
                        {{c.Vec}} gv = {{S}}.Load(ref gs, s);
                        {{S}}.Store({{S}}.MultiplyAdd(gv, aV, {{S}}.MultiplyAdd(xv, bV, kV)), ref ds, s);
                    }
                    if (s < plane)
                    {
                        {{S}}.Store({{S}}.MultiplyAdd(lastG, aV, {{S}}.MultiplyAdd(lastX, bV, kV)), ref ds, last);
                    }
                }
            }

            """);
    }

    public static void WriteRowPasses(CodeWriter w, EmitContext c)
    {
        WriteColumnPasses(w, c);
        string t = c.T;
        string count = Count(c);
        string dcount = $"{VD}.Count";

        // Σ x per feature, all features per row
        var (lx, px) = LoadWide(c, "v", "row", "j");
        string accumulate = string.Join("\n", new[] { lx }.Concat(px.Select((p, i) =>
        {
            string at = i == 0 ? "j" : $"j + {dcount}";
            return $"{S}.Store({S}.Load(ref sums, {at}) + {p}, ref sums, {at});";
        })));
        w.Block($$"""
            // sums[c] = Σ over rows of x[n, c], in double. Rows are walked in address order; each feature's sum runs over n in
            // order, so the result does not depend on the vector width.
            {{c.GeneratedCode}}
            private static void BnGenRowsSum(ref {{t}} x, int batch, ref double sums)
            {
                {{EmitContext.Marshal}}.CreateSpan(ref sums, Features).Clear();
                for (int n = 0; n < batch; n++)
                {
                    ref {{t}} row = ref {{U}}.Add(ref x, (nint)n * Features);
                    int j = 0;
                    for (; j <= Features - {{count}}; j += {{count}})
                    {
                        {{LayerEmitter.Indent(accumulate, 3)}}
                    }
                    for (; j < Features; j++)
                    {
                        {{U}}.Add(ref sums, j) += {{U}}.Add(ref row, j);
                    }
                }
            }

            """);

        string squares = string.Join("\n", new[] { lx }.Concat(px.Select((p, i) =>
        {
            string at = i == 0 ? "j" : $"j + {dcount}";
            return $"{VD} d{i} = {p} - {S}.Load(ref means, {at});\n{S}.Store({S}.MultiplyAdd(d{i}, d{i}, {S}.Load(ref squares, {at})), ref squares, {at});";
        })));
        w.Block($$"""
            // squares[c] = Σ over rows of (x[n, c] − means[c])², in double: the second pass of the two-pass variance.
            {{c.GeneratedCode}}
            private static void BnGenRowsSquaredDeviations(ref {{t}} x, int batch, ref double means, ref double squares)
            {
                {{EmitContext.Marshal}}.CreateSpan(ref squares, Features).Clear();
                for (int n = 0; n < batch; n++)
                {
                    ref {{t}} row = ref {{U}}.Add(ref x, (nint)n * Features);
                    int j = 0;
                    for (; j <= Features - {{count}}; j += {{count}})
                    {
                        {{LayerEmitter.Indent(squares, 3)}}
                    }
                    for (; j < Features; j++)
                    {
                        double d = {{U}}.Add(ref row, j) - {{U}}.Add(ref means, j);
                        {{U}}.Add(ref squares, j) += d * d;
                    }
                }
            }

            """);

        w.Block($$"""
            // y[n, c0 + j] = x[n, c0 + j] · scales[j] + shifts[j] for the block of features [c0, c0 + length). A row whose length
            // is not a multiple of the vector ends with one overlapping vector, loaded before the loop (in-place safe).
            {{c.GeneratedCode}}
            private static void BnGenRowsAffine(ref {{t}} x, ref {{t}} y, int batch, int c0, int length, ref {{t}} scales, ref {{t}} shifts)
            {
                int last = length - {{count}};
                for (int n = 0; n < batch; n++)
                {
                    nint offset = (nint)n * Features + c0;
                    ref {{t}} src = ref {{U}}.Add(ref x, offset);
                    ref {{t}} dst = ref {{U}}.Add(ref y, offset);
                    if (last < 0)
                    {
                        for (int i = 0; i < length; i++)
                        {
                            {{U}}.Add(ref dst, i) = {{S}}.MultiplyAdd({{U}}.Add(ref src, i), {{U}}.Add(ref scales, i), {{U}}.Add(ref shifts, i));
                        }
                        continue;
                    }
                    {{c.Vec}} lastV = {{S}}.Load(ref src, last);
                    int j = 0;
                    for (; j <= last; j += {{count}})
                    {
                        {{S}}.Store({{S}}.MultiplyAdd({{S}}.Load(ref src, j), {{S}}.Load(ref scales, j), {{S}}.Load(ref shifts, j)), ref dst, j);
                    }
                    if (j < length)
                    {
                        {{S}}.Store({{S}}.MultiplyAdd(lastV, {{S}}.Load(ref scales, last), {{S}}.Load(ref shifts, last)), ref dst, last);
                    }
                }
            }

            """);

        var (lxx, pxx) = LoadWide(c, "xv", "src", "j");
        var (lgg, pgg) = LoadWide(c, "gv", "grad", "j");
        string gradSums = string.Join("\n", new[] { lxx, lgg }.Concat(pgg.Select((p, i) =>
        {
            string at = i == 0 ? "j" : $"j + {dcount}";
            return $"{S}.Store({S}.Load(ref sumsDy, {at}) + {p}, ref sumsDy, {at});\n"
                + $"{S}.Store({S}.MultiplyAdd({p}, {pxx[i]} - {S}.Load(ref means, {at}), {S}.Load(ref dots, {at})), ref dots, {at});";
        })));
        w.Block($$"""
            // sumsDy[j] += Σ dy[n, c0 + j] and dots[j] += Σ dy · (x − means[j]) over the rows, in double, for the block [c0, c0 + length).
            {{c.GeneratedCode}}
            private static void BnGenRowsGradientSums(ref {{t}} x, ref {{t}} dy, int batch, int c0, int length, ref double means, ref double sumsDy, ref double dots)
            {
                for (int n = 0; n < batch; n++)
                {
                    nint offset = (nint)n * Features + c0;
                    ref {{t}} src = ref {{U}}.Add(ref x, offset);
                    ref {{t}} grad = ref {{U}}.Add(ref dy, offset);
                    int j = 0;
                    for (; j <= length - {{count}}; j += {{count}})
                    {
                        {{LayerEmitter.Indent(gradSums, 3)}}
                    }
                    for (; j < length; j++)
                    {
                        double g = {{U}}.Add(ref grad, j);
                        {{U}}.Add(ref sumsDy, j) += g;
                        {{U}}.Add(ref dots, j) += g * ({{U}}.Add(ref src, j) - {{U}}.Add(ref means, j));
                    }
                }
            }

            """);

        w.Block($$"""
            // dx = dy · a[j] + x · b[j] + k[j] for the block of features [c0, c0 + length): the training-mode input gradient. A
            // ragged row ends with one overlapping vector loaded before the loop (in-place safe).
            {{c.GeneratedCode}}
            private static void BnGenRowsBackward(ref {{t}} x, ref {{t}} dy, ref {{t}} dx, int batch, int c0, int length, ref {{t}} a, ref {{t}} b, ref {{t}} k)
            {
                int last = length - {{count}};
                for (int n = 0; n < batch; n++)
                {
                    nint offset = (nint)n * Features + c0;
                    ref {{t}} src = ref {{U}}.Add(ref x, offset);
                    ref {{t}} grad = ref {{U}}.Add(ref dy, offset);
                    ref {{t}} dst = ref {{U}}.Add(ref dx, offset);
                    if (last < 0)
                    {
                        for (int i = 0; i < length; i++)
                        {
                            {{U}}.Add(ref dst, i) = {{S}}.MultiplyAdd({{U}}.Add(ref grad, i), {{U}}.Add(ref a, i), {{S}}.MultiplyAdd({{U}}.Add(ref src, i), {{U}}.Add(ref b, i), {{U}}.Add(ref k, i)));
                        }
                        continue;
                    }
                    {{c.Vec}} lastX = {{S}}.Load(ref src, last);
                    {{c.Vec}} lastG = {{S}}.Load(ref grad, last);
                    int j = 0;
                    for (; j <= last; j += {{count}})
                    {
                        {{c.Vec}} xv = {{S}}.Load(ref src, j);
                        {{c.Vec}} gv = {{S}}.Load(ref grad, j);
                        {{S}}.Store({{S}}.MultiplyAdd(gv, {{S}}.Load(ref a, j), {{S}}.MultiplyAdd(xv, {{S}}.Load(ref b, j), {{S}}.Load(ref k, j))), ref dst, j);
                    }
                    if (j < length)
                    {
                        {{S}}.Store({{S}}.MultiplyAdd(lastG, {{S}}.Load(ref a, last), {{S}}.MultiplyAdd(lastX, {{S}}.Load(ref b, last), {{S}}.Load(ref k, last))), ref dst, last);
                    }
                }
            }

            """);
    }
}
