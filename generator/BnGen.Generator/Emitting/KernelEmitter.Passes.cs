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

    public static void WriteChannelPasses(CodeWriter w, EmitContext c)
    {
        string t = c.T;
        string count = Count(c);
        int accs = Accumulators(c);
        string run = $"ref {t} run = ref {U}.Add(ref x, ((nint)n * Features + c) * plane);";

        // Σ x
        var (l0, p0) = LoadWide(c, "v0", "run", "s");
        var (l1, p1) = LoadWide(c, "v1", "run", $"s + {count}");
        string unrolled = string.Join("\n", new[] { l0, l1 }.Concat(p0.Concat(p1).Select((p, i) => $"acc{i} += {p};")));
        string single = string.Join("\n", new[] { l0 }.Concat(p0.Select((p, i) => $"acc{i} += {p};")));
        w.Block($$"""
            // Σ x over channel c in double: batch runs of plane contiguous values, two vectors per step into {{Literal.Int(accs)}} independent accumulators.
            {{c.GeneratedCode}}
            private static double BnGenChannelSum(ref {{t}} x, int c, int batch, int plane)
            {
                {{DeclareAccumulators("acc", accs)}}
                double tail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    {{run}}
                    int s = 0;
                    for (; s <= plane - 2 * {{count}}; s += 2 * {{count}})
                    {
                        {{LayerEmitter.Indent(unrolled, 3)}}
                    }
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(single, 3)}}
                    }
                    // A reduction never reloads a lane: the tail is scalar.
                    for (; s < plane; s++)
                    {
                        tail += {{U}}.Add(ref run, s);
                    }
                }
                return {{EmitContext.Vector}}.Sum({{SumAccumulators("acc", accs)}}) + tail;
            }

            """);

        // Σ (x − mean)²
        string sqUnrolled = string.Join("\n", new[] { l0, l1 }.Concat(p0.Concat(p1).Select((p, i) => $"{VD} d{i} = {p} - m;\nacc{i} = {S}.MultiplyAdd(d{i}, d{i}, acc{i});")));
        string sqSingle = string.Join("\n", new[] { l0 }.Concat(p0.Select((p, i) => $"{VD} d{i} = {p} - m;\nacc{i} = {S}.MultiplyAdd(d{i}, d{i}, acc{i});")));
        w.Block($$"""
            // Σ (x − mean)² over channel c in double: the second pass of the two-pass variance, exact for data far from zero.
            {{c.GeneratedCode}}
            private static double BnGenChannelSquaredDeviations(ref {{t}} x, int c, int batch, int plane, double mean)
            {
                {{DeclareAccumulators("acc", accs)}}
                {{VD}} m = new {{VD}}(mean);
                double tail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    {{run}}
                    int s = 0;
                    for (; s <= plane - 2 * {{count}}; s += 2 * {{count}})
                    {
                        {{LayerEmitter.Indent(sqUnrolled, 3)}}
                    }
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(sqSingle, 3)}}
                    }
                    for (; s < plane; s++)
                    {
                        double d = {{U}}.Add(ref run, s) - mean;
                        tail += d * d;
                    }
                }
                return {{EmitContext.Vector}}.Sum({{SumAccumulators("acc", accs)}}) + tail;
            }

            """);

        // y = x · scale + shift
        w.Block($$"""
            // y = x · scale + shift over channel c, two vectors per step, fused multiply-add where the hardware has it.
            {{c.GeneratedCode}}
            private static void BnGenChannelAffine(ref {{t}} x, ref {{t}} y, int c, int batch, int plane, {{t}} scale, {{t}} shift)
            {
                {{c.Vec}} scaleV = new {{c.Vec}}(scale);
                {{c.Vec}} shiftV = new {{c.Vec}}(shift);
                for (int n = 0; n < batch; n++)
                {
                    nint offset = ((nint)n * Features + c) * plane;
                    ref {{t}} src = ref {{U}}.Add(ref x, offset);
                    ref {{t}} dst = ref {{U}}.Add(ref y, offset);
                    int s = 0;
                    for (; s <= plane - 2 * {{count}}; s += 2 * {{count}})
                    {
                        {{c.Vec}} v0 = {{S}}.Load(ref src, s);
                        {{c.Vec}} v1 = {{S}}.Load(ref src, s + {{count}});
                        {{S}}.Store({{S}}.MultiplyAdd(v0, scaleV, shiftV), ref dst, s);
                        {{S}}.Store({{S}}.MultiplyAdd(v1, scaleV, shiftV), ref dst, s + {{count}});
                    }
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{S}}.Store({{S}}.MultiplyAdd({{S}}.Load(ref src, s), scaleV, shiftV), ref dst, s);
                    }
                    for (; s < plane; s++)
                    {
                        {{U}}.Add(ref dst, s) = {{S}}.MultiplyAdd({{U}}.Add(ref src, s), scale, shift);
                    }
                }
            }

            """);

        // Σ dy and Σ dy · (x − mean)
        var (lx, px) = LoadWide(c, "x0", "xs", "s");
        var (ld, pd) = LoadWide(c, "g0", "gs", "s");
        string gradBody = string.Join("\n", new[] { lx, ld }
            .Concat(pd.Select((p, i) => $"sumAcc{i} += {p};\ndotAcc{i} = {S}.MultiplyAdd({p}, {px[i]} - m, dotAcc{i});")));
        int gaccs = c.IsFloat ? 2 : 1;
        w.Block($$"""
            // Σ dy and Σ dy · (x − mean) over channel c in double, in one pass over x and dy.
            {{c.GeneratedCode}}
            private static void BnGenChannelGradientSums(ref {{t}} x, ref {{t}} dy, int c, int batch, int plane, double mean, out double sumDy, out double dot)
            {
                {{DeclareAccumulators("sumAcc", gaccs)}}
                {{DeclareAccumulators("dotAcc", gaccs)}}
                {{VD}} m = new {{VD}}(mean);
                double sumTail = 0d;
                double dotTail = 0d;
                for (int n = 0; n < batch; n++)
                {
                    nint offset = ((nint)n * Features + c) * plane;
                    ref {{t}} xs = ref {{U}}.Add(ref x, offset);
                    ref {{t}} gs = ref {{U}}.Add(ref dy, offset);
                    int s = 0;
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{LayerEmitter.Indent(gradBody, 3)}}
                    }
                    for (; s < plane; s++)
                    {
                        double g = {{U}}.Add(ref gs, s);
                        sumTail += g;
                        dotTail += g * ({{U}}.Add(ref xs, s) - mean);
                    }
                }
                sumDy = {{EmitContext.Vector}}.Sum({{SumAccumulators("sumAcc", gaccs)}}) + sumTail;
                dot = {{EmitContext.Vector}}.Sum({{SumAccumulators("dotAcc", gaccs)}}) + dotTail;
            }

            """);

        // dx = dy · a + x · b + k
        w.Block($$"""
            // dx = dy · a + x · b + k over channel c: the training-mode input gradient with per-channel coefficients.
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
                    int s = 0;
                    for (; s <= plane - {{count}}; s += {{count}})
                    {
                        {{c.Vec}} xv = {{S}}.Load(ref xs, s);
                        {{c.Vec}} gv = {{S}}.Load(ref gs, s);
                        {{S}}.Store({{S}}.MultiplyAdd(gv, aV, {{S}}.MultiplyAdd(xv, bV, kV)), ref ds, s);
                    }
                    for (; s < plane; s++)
                    {
                        {{U}}.Add(ref ds, s) = {{S}}.MultiplyAdd({{U}}.Add(ref gs, s), a, {{S}}.MultiplyAdd({{U}}.Add(ref xs, s), b, k));
                    }
                }
            }

            """);
    }

    public static void WriteRowPasses(CodeWriter w, EmitContext c)
    {
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
            // y[n, c0 + j] = x[n, c0 + j] · scales[j] + shifts[j] for the block of features [c0, c0 + length).
            {{c.GeneratedCode}}
            private static void BnGenRowsAffine(ref {{t}} x, ref {{t}} y, int batch, int c0, int length, ref {{t}} scales, ref {{t}} shifts)
            {
                for (int n = 0; n < batch; n++)
                {
                    nint offset = (nint)n * Features + c0;
                    ref {{t}} src = ref {{U}}.Add(ref x, offset);
                    ref {{t}} dst = ref {{U}}.Add(ref y, offset);
                    int j = 0;
                    for (; j <= length - {{count}}; j += {{count}})
                    {
                        {{S}}.Store({{S}}.MultiplyAdd({{S}}.Load(ref src, j), {{S}}.Load(ref scales, j), {{S}}.Load(ref shifts, j)), ref dst, j);
                    }
                    for (; j < length; j++)
                    {
                        {{U}}.Add(ref dst, j) = {{S}}.MultiplyAdd({{U}}.Add(ref src, j), {{U}}.Add(ref scales, j), {{U}}.Add(ref shifts, j));
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
            // dx = dy · a[j] + x · b[j] + k[j] for the block of features [c0, c0 + length): the training-mode input gradient.
            {{c.GeneratedCode}}
            private static void BnGenRowsBackward(ref {{t}} x, ref {{t}} dy, ref {{t}} dx, int batch, int c0, int length, ref {{t}} a, ref {{t}} b, ref {{t}} k)
            {
                for (int n = 0; n < batch; n++)
                {
                    nint offset = (nint)n * Features + c0;
                    ref {{t}} src = ref {{U}}.Add(ref x, offset);
                    ref {{t}} grad = ref {{U}}.Add(ref dy, offset);
                    ref {{t}} dst = ref {{U}}.Add(ref dx, offset);
                    int j = 0;
                    for (; j <= length - {{count}}; j += {{count}})
                    {
                        {{c.Vec}} xv = {{S}}.Load(ref src, j);
                        {{c.Vec}} gv = {{S}}.Load(ref grad, j);
                        {{S}}.Store({{S}}.MultiplyAdd(gv, {{S}}.Load(ref a, j), {{S}}.MultiplyAdd(xv, {{S}}.Load(ref b, j), {{S}}.Load(ref k, j))), ref dst, j);
                    }
                    for (; j < length; j++)
                    {
                        {{U}}.Add(ref dst, j) = {{S}}.MultiplyAdd({{U}}.Add(ref grad, j), {{U}}.Add(ref a, j), {{S}}.MultiplyAdd({{U}}.Add(ref src, j), {{U}}.Add(ref b, j), {{U}}.Add(ref k, j)));
                    }
                }
            }

            """);
    }
}
