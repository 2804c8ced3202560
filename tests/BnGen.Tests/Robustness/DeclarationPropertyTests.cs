using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using BnGen.Tests.Infrastructure;
using CsCheck;
using Microsoft.CodeAnalysis;
using Xunit;
using Xunit.Abstractions;

namespace BnGen.Tests.Robustness;

/// <summary>
/// Property test over random programs: a <c>[BatchNormLayer]</c> declaration with random arguments (valid, boundary,
/// absurd and undefined values, the v2 layouts NHWC and NCL and <c>Activation</c> included) on a random class shape
/// (namespace kinds, nesting, partial or not, record, sealed, static, generic), and, where the layer gets generated code,
/// a class that calls its generated methods (instance and static kernels, constant or unknown dimensions, buffers of
/// the right or a wrong known length, <c>Training</c> set or not). For every program:
/// <list type="bullet">
/// <item>the generator throws nothing and reports nothing, no analyzer throws;</item>
/// <item>the BNG diagnostics are exactly those of an oracle written here (not <c>LayerRules</c>), each at its exact span;</item>
/// <item>code is generated exactly when the oracle expects no BNG error, and then the program (the generated code and the
/// calls into it) compiles without any error or warning; an invalid declaration gets no code and no compiler error.</item>
/// </list>
/// <para>
/// The v2 options are mid-flight: until the emitter writes them, NHWC, NCL and ReLU layers get no code, and today's
/// analyzer still reports BNG0003 for NHWC/NCL and nothing for an undefined <c>Activation</c>. <see cref="V2State"/>
/// asks the generator and the analyzer once per run what they do with one canonical declaration of each (within what
/// the contract allows) and the oracle follows that verdict, so the test holds before and after those land.
/// </para>
/// <para>
/// Scale: <see cref="DefaultPrograms"/> programs per run; <c>BNGEN_PROPERTY_PROGRAMS=100000</c> runs more (see
/// docs/testing.md). A failure prints the program and CsCheck's seed; <c>CsCheck_Seed=&lt;seed&gt;</c> replays it.
/// </para>
/// </summary>
public class DeclarationPropertyTests(ITestOutputHelper output)
{
    /// <summary>Environment variable: the number of programs to generate (default <see cref="DefaultPrograms"/>).</summary>
    public const string ProgramsVariable = "BNGEN_PROPERTY_PROGRAMS";

    /// <summary>
    /// Programs per run when <see cref="ProgramsVariable"/> is not set: sized to take about two minutes on two cores
    /// (compiling the generated layers of the ~40 % of programs that get code dominates the cost; docs/testing.md).
    /// </summary>
    public const int DefaultPrograms = 5000;

    /// <summary>An argument as written in C# (null: omitted) and the value it means.</summary>
    public sealed record Arg<T>(string? Text, T Value);

    public sealed record Container(string Kind, bool Partial, bool Generic);

    public sealed record Shape(
        int NamespaceKind,               // 0 global, 1 block, 2 file-scoped, 3 dotted block
        Container[] Containers,          // outermost first
        bool LayerPartial, bool Record, bool Sealed, bool Static, bool Generic);

    public sealed record LayerArgs(
        Arg<int> Features, Arg<int> Layout, Arg<double> Epsilon, Arg<double> Momentum, Arg<string> Element,
        Arg<bool> Affine, Arg<bool> Track, Arg<bool> Cumulative, Arg<int> Activation);

    public enum Method { Forward, Backward, ForwardTraining, ForwardInference, BackwardTraining, BackwardInference }

    /// <summary>How a tensor buffer is passed.</summary>
    public enum BufferKind { NewArray, StackAlloc, Local, Unknown, NewArrayPlusOne, NewArrayMinusOne, LocalPlusFeatures, StackAllocPlusOne }

    /// <param name="Dims">Per dimension slot: 0 = an int parameter (unknown), else that constant.</param>
    /// <param name="Named">Whether the dimensions are passed as named arguments (<c>batch: 2</c>).</param>
    /// <param name="Buffers">How each tensor buffer (input, output / gradOutput, gradInput) is passed.</param>
    public sealed record Call(Method Method, int[] Dims, bool Named, BufferKind[] Buffers);

    /// <param name="Training">0: nothing; 1: <c>layer.Training = false;</c>; 2: <c>layer.Training = true;</c>; 3: <c>new L { Training = false }</c>.</param>
    public sealed record Program(LayerArgs Args, Shape Shape, int Training, Call[] Calls);

    /// <summary>A BNG diagnostic the oracle expects: its ID and span (Start -1: any span, for a diagnostic of an unsettled contract).</summary>
    public sealed record Expected(string Id, int Start, int Length);

    /// <summary>A program as source text, with what the oracle expects of it.</summary>
    public sealed record Rendered(string Source, List<Expected> Diagnostics, bool Generates, bool HasCalls, bool V2);

    // ---------------------------------------------------------------------------------------------------------------
    // What today's generator and analyzer do with the v2 options, asked once per run.

    /// <summary>
    /// The verdict on one canonical declaration per v2 option: the BNG IDs the analyzer reports for NHWC and NCL (none,
    /// or BNG0003 until LayerRules accepts them), whether NHWC, NCL and ReLU layers get generated code (not until the
    /// emitter writes them), and the ID reported for an undefined <c>Activation</c> (none until its analyzer lands).
    /// </summary>
    public sealed record V2State(bool NhwcRejected, bool NclRejected, bool NhwcGenerates, bool NclGenerates, bool ReluGenerates,
        string? UndefinedActivationId)
    {
        public bool Rejected(int layout) => layout == 2 ? NhwcRejected : NclRejected;

        public bool Generates(int layout) => layout == 2 ? NhwcGenerates : NclGenerates;

        public override string ToString()
            => $"NHWC {(NhwcRejected ? "rejected (BNG0003)" : "accepted")}, {(NhwcGenerates ? "generates" : "generates nothing")}; "
               + $"NCL {(NclRejected ? "rejected (BNG0003)" : "accepted")}, {(NclGenerates ? "generates" : "generates nothing")}; "
               + $"ReLU {(ReluGenerates ? "generates" : "generates nothing")}; undefined Activation: {UndefinedActivationId ?? "no diagnostic"}";
    }

    private static readonly Lazy<V2State> V2 = new(ProbeV2, LazyThreadSafetyMode.ExecutionAndPublication);

    private static V2State ProbeV2()
    {
        (string[] Ids, bool Generated) Run(string arguments)
        {
            AnalyzedRun run = GeneratorRunner.Analyze([$"[BnGen.BatchNormLayer({arguments})] public partial class Norm {{ }}"]);
            Assert.True(!run.CompilerErrorIds.Any(), arguments + ":\n" + run.Describe());
            return (run.BngIds.ToArray(), run.Generated.Length == 1);
        }

        // A defined layout is either accepted or (until LayerRules knows it) BNG0003; code only when accepted.
        bool Layout(string name, out bool generates)
        {
            var (ids, generated) = Run("8, BnGen.BatchNormLayout." + name);
            Assert.True(ids.Length == 0 || ids.SequenceEqual(["BNG0003"]), name + ": " + string.Join(", ", ids));
            Assert.False(generated && ids.Length > 0, name + " is rejected and still generates");
            generates = generated;
            return ids.Length > 0;
        }
        bool nhwcRejected = Layout("NHWC", out bool nhwcGenerates);
        bool nclRejected = Layout("NCL", out bool nclGenerates);

        // ReLU is part of the contract: never a diagnostic.
        var (reluIds, reluGenerates) = Run("8, Activation = BnGen.BatchNormActivation.ReLU");
        Assert.Empty(reluIds);

        // An undefined activation gets one error (its own ID, once the analyzer has it) and never any code.
        var (undefined, undefinedGenerates) = Run("8, Activation = (BnGen.BatchNormActivation)2");
        var (negative, negativeGenerates) = Run("8, Activation = (BnGen.BatchNormActivation)(-1)");
        Assert.True(undefined.Length <= 1 && undefined.SequenceEqual(negative), string.Join(", ", undefined) + " / " + string.Join(", ", negative));
        Assert.False(undefinedGenerates || negativeGenerates, "an undefined Activation generated code");

        // An undefined layout is BNG0003, always.
        Assert.Equal(["BNG0003"], Run("8, (BnGen.BatchNormLayout)4").Ids);
        return new V2State(nhwcRejected, nclRejected, nhwcGenerates, nclGenerates, reluGenerates, undefined.SingleOrDefault());
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The program text and the oracle.

    /// <summary>Appends text and remembers where expected diagnostics sit.</summary>
    private sealed class Writer
    {
        private readonly StringBuilder _text = new();

        public List<Expected> Expected { get; } = [];

        public Writer Append(string text)
        {
            _text.Append(text);
            return this;
        }

        /// <summary>Appends <paramref name="text"/>; when <paramref name="id"/> is given, a diagnostic is expected exactly there.</summary>
        public Writer Mark(string text, string? id)
        {
            if (id is not null)
            {
                Expected.Add(new Expected(id, _text.Length, text.Length));
            }
            _text.Append(text);
            return this;
        }

        public override string ToString() => _text.ToString();
    }

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static Rendered Render(Program program, V2State v2)
    {
        LayerArgs a = program.Args;
        Shape shape = program.Shape;
        int layout = a.Layout.Value;
        bool v2Layout = layout is 2 or 3;
        bool undefinedActivation = a.Activation.Value is not (0 or 1);

        // The declaration's diagnostics, by argument.
        string? featuresId = a.Features.Value is < 1 or > 1 << 20 ? "BNG0002" : null;
        string? layoutId = layout is not (0 or 1 or 2 or 3) || v2Layout && v2.Rejected(layout) ? "BNG0003" : null;
        string? epsilonId = !(a.Epsilon.Value > 0 && !double.IsInfinity(a.Epsilon.Value)) ? "BNG0004" : null;
        bool momentumInRange = a.Momentum.Value >= 0 && a.Momentum.Value <= 1;
        string? momentumId = !momentumInRange ? "BNG0005"
            : a.Momentum.Text is not null && !a.Cumulative.Value && a.Momentum.Value >= 0.5 ? "BNG0010" : null;
        string? elementId = a.Element.Value is not ("float" or "double") ? "BNG0006" : null;
        bool cannotHold = shape.Static || shape.Generic || shape.Containers.Any(static c => c.Generic);

        var w = new Writer();
        w.Append(shape.NamespaceKind switch
        {
            1 => "namespace Models\n{\n",
            2 => "namespace Models;\n",
            3 => "namespace Models.Vision.Stems\n{\n",
            _ => string.Empty,
        });
        for (int i = 0; i < shape.Containers.Length; i++)
        {
            Container c = shape.Containers[i];
            w.Append("public ").Append(c.Kind == "static class" ? "static " : string.Empty).Append(c.Partial ? "partial " : string.Empty)
                .Append(c.Kind == "static class" ? "class" : c.Kind).Append(" ")
                .Mark("Outer" + Int(i), c.Partial ? null : "BNG0001")
                .Append(c.Generic ? "<T" + Int(i) + ">" : string.Empty).Append("\n{\n");
        }

        w.Append("[BnGen.BatchNormLayer(").Mark(a.Features.Text!, featuresId);
        if (a.Layout.Text is not null)
        {
            w.Append(", ").Mark(a.Layout.Text, layoutId);
        }
        void Named(string name, string? text, string? id)
        {
            if (text is not null)
            {
                w.Append(", ").Append(name).Append(" = ").Mark(text, id);
            }
        }
        Named("Epsilon", a.Epsilon.Text, epsilonId);
        Named("Momentum", a.Momentum.Text, momentumId);
        Named("ElementType", a.Element.Text, elementId);
        Named("Affine", a.Affine.Text, null);
        Named("TrackRunningStats", a.Track.Text, null);
        Named("CumulativeAverage", a.Cumulative.Text, null);
        Named("Activation", a.Activation.Text, null);
        if (undefinedActivation && v2.UndefinedActivationId is { } activationId)
        {
            w.Expected.Add(new Expected(activationId, -1, 0));
        }

        w.Append(")]\npublic ")
            .Append(shape.Static ? "static " : string.Empty)
            .Append(shape.Sealed ? "sealed " : string.Empty)
            .Append(shape.LayerPartial ? "partial " : string.Empty)
            .Append(shape.Record ? "record class " : "class ");
        // BNG0001 and BNG0007 both sit on the identifier.
        int identifier = w.ToString().Length;
        w.Append("Norm");
        if (!shape.LayerPartial)
        {
            w.Expected.Add(new Expected("BNG0001", identifier, 4));
        }
        if (cannotHold)
        {
            w.Expected.Add(new Expected("BNG0007", identifier, 4));
        }
        w.Append(shape.Generic ? "<TElement>" : string.Empty).Append(shape.Record ? ";\n" : " { }\n");
        w.Append(new string('}', shape.Containers.Length)).Append("\n");

        bool anyError = w.Expected.Any(static e => e.Id != "BNG0010");
        bool generates = !anyError && (!v2Layout || v2.Generates(layout))
            && (a.Activation.Value == 0 || a.Activation.Value == 1 && v2.ReluGenerates);
        bool hasCalls = generates && program.Calls.Length > 0;
        if (hasCalls)
        {
            WriteCalls(w, program);
        }
        if (shape.NamespaceKind is 1 or 3)
        {
            w.Append("}\n");
        }
        return new Rendered(w.ToString(), w.Expected, generates, hasCalls, v2Layout || a.Activation.Value != 0);
    }

    /// <summary>
    /// A class that calls the layer's generated methods, with the BNG0008/BNG0009 warnings the call-site oracle expects.
    /// Only cases whose verdict is settled are generated: no dimension ≤ 0, per-feature spans always of length Features,
    /// unknown buffers wherever a dimension is unknown, and no <c>Training = false</c> followed by <c>Training = true</c>.
    /// On the v2 layouts (whose call-site analysis is still being written) only calls that must get no warning.
    /// </summary>
    private static void WriteCalls(Writer w, Program program)
    {
        LayerArgs a = program.Args;
        int f = a.Features.Value;
        int layout = a.Layout.Value;
        bool v2Layout = layout is 2 or 3;
        bool track = a.Track.Value || a.Track.Text is null;
        bool affine = a.Affine.Value || a.Affine.Text is null;
        bool relu = a.Activation.Value == 1;
        string t = a.Element.Value;
        string[] dimNames = layout switch
        {
            1 or 2 => ["batch", "height", "width"],
            3 => ["batch", "length"],
            _ => ["batch"],
        };
        string layer = string.Concat(program.Shape.Containers.Select((_, i) => "Outer" + Int(i) + ".")) + "Norm";
        bool trainingFalse = program.Training is 1 or 3;

        w.Append("public static class Use\n{\n    public static void Run(int d0, int d1, int d2, ").Append(t).Append("[] any)\n    {\n");
        w.Append("        var layer = new ").Append(layer).Append(program.Training == 3 ? " { Training = false };\n" : "();\n");
        if (program.Training is 1 or 2)
        {
            w.Append("        layer.Training = ").Append(program.Training == 1 ? "false" : "true").Append(";\n");
        }

        int local = 0;
        foreach (Call original in program.Calls)
        {
            Method method = original.Method switch
            {
                Method.ForwardInference when !track => Method.ForwardTraining,
                Method.BackwardInference when !track => Method.BackwardTraining,
                var m => m,
            };
            int[] dims = original.Dims.Take(dimNames.Length).ToArray();
            BufferKind[] buffers = original.Buffers;
            bool anyUnknown = dims.Any(static d => d == 0);
            long count = (long)f * dims.Aggregate(1L, static (p, d) => p * Math.Max(d, 1));
            bool forwardTraining = method is Method.Forward or Method.ForwardTraining;
            if (v2Layout)
            {
                // Only calls that must be quiet: one value per channel is never passed, and known buffers are exact.
                if (!anyUnknown && forwardTraining && dims.Aggregate(1, static (p, d) => p * d) == 1)
                {
                    dims[0] = 2;
                    count *= 2;
                }
                buffers = buffers.Select(static b => b switch
                {
                    BufferKind.NewArrayPlusOne or BufferKind.NewArrayMinusOne => BufferKind.NewArray,
                    BufferKind.LocalPlusFeatures => BufferKind.Local,
                    BufferKind.StackAllocPlusOne => BufferKind.StackAlloc,
                    var other => other,
                }).ToArray();
            }
            if (anyUnknown)
            {
                buffers = [BufferKind.Unknown, BufferKind.Unknown, BufferKind.Unknown];
            }
            bool instance = method is Method.Forward or Method.Backward;
            int tensors = method is Method.Forward or Method.ForwardTraining or Method.ForwardInference ? 2 : 3;
            bool singleValue = !anyUnknown && dims.All(static d => d == 1);
            string? singleValueId = !v2Layout && singleValue && forwardTraining
                && (!track || method == Method.ForwardTraining || !trainingFalse) ? "BNG0008" : null;

            // Buffers held in locals are declared first (never written again, so their length stays known).
            var texts = new string[tensors];
            var ids = new string?[tensors];
            for (int i = 0; i < tensors; i++)
            {
                BufferKind kind = buffers[i];
                if (kind is BufferKind.StackAlloc or BufferKind.StackAllocPlusOne && count > 1024)
                {
                    kind = kind == BufferKind.StackAlloc ? BufferKind.NewArray : BufferKind.NewArrayPlusOne;
                }
                long length = kind switch
                {
                    BufferKind.NewArrayPlusOne or BufferKind.StackAllocPlusOne => count + 1,
                    BufferKind.NewArrayMinusOne => count - 1,
                    BufferKind.LocalPlusFeatures => count + f,
                    _ => count,
                };
                if (length > int.MaxValue)
                {
                    kind = BufferKind.Unknown;
                }
                string array = "new " + t + "[" + Int(length) + "]";
                switch (kind)
                {
                    case BufferKind.Unknown:
                        texts[i] = "any";
                        break;
                    case BufferKind.StackAlloc or BufferKind.StackAllocPlusOne:
                        texts[i] = "stackalloc " + t + "[" + Int(length) + "]";
                        break;
                    case BufferKind.Local or BufferKind.LocalPlusFeatures:
                        texts[i] = "buffer" + Int(local++);
                        w.Append("        var ").Append(texts[i]).Append(" = ").Append(array).Append(";\n");
                        break;
                    default:
                        texts[i] = array;
                        break;
                }
                ids[i] = kind != BufferKind.Unknown && length != count && !v2Layout ? "BNG0009" : null;
            }

            w.Append("        ").Append(instance ? "layer" : layer).Append(".").Append(method.ToString()).Append("(");
            for (int i = 0; i < tensors; i++)
            {
                w.Mark(texts[i], ids[i]).Append(", ");
            }
            for (int d = 0; d < dims.Length; d++)
            {
                if (d > 0)
                {
                    w.Append(", ");
                }
                if (original.Named)
                {
                    w.Append(dimNames[d]).Append(": ");
                }
                w.Mark(dims[d] == 0 ? "d" + Int(d) : Int(dims[d]), d == 0 ? singleValueId : null);
            }
            string perFeature = "new " + t + "[" + Int(f) + "]";
            string saved = "new double[" + Int(f) + "]";
            var rest = new List<string>();
            switch (method)
            {
                case Method.ForwardTraining:
                    if (affine)
                    {
                        rest.AddRange([perFeature, perFeature]);
                    }
                    rest.AddRange([saved, saved]);
                    if (track)
                    {
                        rest.AddRange([perFeature, perFeature, "0.1"]);
                    }
                    break;
                case Method.ForwardInference:
                    if (affine)
                    {
                        rest.AddRange([perFeature, perFeature]);
                    }
                    rest.AddRange([perFeature, perFeature]);
                    break;
                case Method.BackwardTraining or Method.BackwardInference:
                    if (affine)
                    {
                        rest.Add(perFeature);
                        if (relu)
                        {
                            rest.Add(perFeature);   // the bias, to recompute the ReLU mask
                        }
                    }
                    rest.AddRange(method == Method.BackwardTraining ? [saved, saved] : [perFeature, perFeature]);
                    if (affine)
                    {
                        rest.AddRange([perFeature, perFeature]);
                    }
                    break;
            }
            foreach (string argument in rest)
            {
                w.Append(", ").Append(argument);
            }
            w.Append(");\n");
        }
        w.Append("    }\n}\n");
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The grammar.

    private static Gen<Arg<T>> Pick<T>(params Arg<T>[] choices) => Gen.Int[0, choices.Length - 1].Select(i => choices[i]);

    private static readonly Gen<Arg<int>> FeaturesGen = Gen.Frequency(
        (3, Gen.Int[1, 300].Select(static n => new Arg<int>(Int(n), n))),
        (2, Pick(new Arg<int>("0", 0), new Arg<int>("-1", -1), new Arg<int>("-64", -64), new Arg<int>("1 << 20", 1 << 20),
            new Arg<int>("(1 << 20) + 1", (1 << 20) + 1), new Arg<int>("int.MaxValue", int.MaxValue), new Arg<int>("int.MinValue", int.MinValue),
            new Arg<int>("1", 1), new Arg<int>("1025", 1025), new Arg<int>("513", 513))));

    private static readonly Gen<Arg<int>> LayoutGen = Pick(new Arg<int>(null, 0), new Arg<int>("BnGen.BatchNormLayout.NC", 0),
        new Arg<int>("BnGen.BatchNormLayout.NCHW", 1), new Arg<int>("BnGen.BatchNormLayout.NHWC", 2), new Arg<int>("BnGen.BatchNormLayout.NCL", 3),
        new Arg<int>("(BnGen.BatchNormLayout)1", 1), new Arg<int>("(BnGen.BatchNormLayout)2", 2), new Arg<int>("(BnGen.BatchNormLayout)3", 3),
        new Arg<int>("(BnGen.BatchNormLayout)4", 4), new Arg<int>("(BnGen.BatchNormLayout)(-1)", -1), new Arg<int>("(BnGen.BatchNormLayout)0", 0),
        new Arg<int>("BnGen.BatchNormLayout.NCHW", 1));

    private static readonly Gen<Arg<double>> EpsilonGen = Pick(new Arg<double>(null, 1e-5), new Arg<double>("1e-5", 1e-5),
        new Arg<double>("1e-3", 1e-3), new Arg<double>("0.5", 0.5), new Arg<double>("0", 0), new Arg<double>("-1", -1),
        new Arg<double>("double.NaN", double.NaN), new Arg<double>("double.PositiveInfinity", double.PositiveInfinity),
        new Arg<double>("double.Epsilon", double.Epsilon));

    private static readonly Gen<Arg<double>> MomentumGen = Pick(new Arg<double>(null, 0.1), new Arg<double>("0.1", 0.1),
        new Arg<double>("-0.1", -0.1), new Arg<double>("0.5", 0.5), new Arg<double>("0.9", 0.9), new Arg<double>("1.5", 1.5),
        new Arg<double>("double.NaN", double.NaN), new Arg<double>("0", 0), new Arg<double>("1", 1), new Arg<double>("0.49", 0.49));

    private static readonly Gen<Arg<string>> ElementGen = Pick(new Arg<string>(null, "float"), new Arg<string>("typeof(float)", "float"),
        new Arg<string>("typeof(double)", "double"), new Arg<string>("typeof(int)", "int"), new Arg<string>("typeof(string)", "string"),
        new Arg<string>("typeof(double)", "double"));

    private static readonly Gen<Arg<bool>> FlagGen = Pick(new Arg<bool>(null, false), new Arg<bool>("true", true), new Arg<bool>("false", false));

    private static readonly Gen<Arg<int>> ActivationGen = Pick(new Arg<int>(null, 0), new Arg<int>(null, 0), new Arg<int>(null, 0),
        new Arg<int>("BnGen.BatchNormActivation.None", 0), new Arg<int>("BnGen.BatchNormActivation.ReLU", 1),
        new Arg<int>("(BnGen.BatchNormActivation)1", 1), new Arg<int>("(BnGen.BatchNormActivation)2", 2),
        new Arg<int>("(BnGen.BatchNormActivation)(-1)", -1));

    private static readonly Gen<Container> ContainerGen =
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 5], Gen.Int[0, 9], static (kind, partial, generic) => new Container(
            kind switch { 0 => "class", 1 => "struct", 2 => "static class", _ => "record class" },
            Partial: partial != 0, Generic: generic == 0));

    private static readonly Gen<Shape> ShapeGen =
        Gen.Select(Gen.Int[0, 3], ContainerGen.Array[0, 2], Gen.Int[0, 7], Gen.Bool, Gen.Int[0, 11], Gen.Int[0, 11],
            static (ns, containers, partial, record, modifier, generic) => new Shape(ns, containers,
                LayerPartial: partial != 0, Record: record,
                Sealed: modifier is 1 or 2 && !record || modifier == 1 && record,
                Static: modifier == 3 && !record,
                Generic: generic == 0));

    private static readonly Gen<LayerArgs> ArgsGen =
        Gen.Select(FeaturesGen, LayoutGen, EpsilonGen, MomentumGen, ElementGen, FlagGen, FlagGen, FlagGen)
            .Select(ActivationGen, static (x, activation) => new LayerArgs(x.Item1, x.Item2, x.Item3, x.Item4, x.Item5, x.Item6, x.Item7, x.Item8, activation));

    private static readonly Gen<int> DimGen = Gen.Frequency((1, Gen.Const(0)), (2, Gen.Const(1)), (2, Gen.Int[2, 3]));

    private static readonly Gen<Call> CallGen =
        Gen.Select(Gen.Enum<Method>(), DimGen.Array[3], Gen.Int[0, 3], Gen.Enum<BufferKind>().Array[3],
            static (method, dims, named, buffers) => new Call(method, dims, named == 0, buffers));

    // Declarations whose every part is valid (v2 options included), so that about half the programs get generated code:
    // with every argument drawn from the whole grammar above, fewer than one in twenty would.
    private static readonly Gen<Arg<int>> ValidFeaturesGen = Gen.Frequency(
        (6, Gen.Int[1, 300].Select(static n => new Arg<int>(Int(n), n))),
        (1, Pick(new Arg<int>("1", 1), new Arg<int>("513", 513), new Arg<int>("1025", 1025), new Arg<int>("1 << 20", 1 << 20))));

    private static readonly Gen<Arg<int>> ValidLayoutGen = Gen.Frequency(
        (3, Pick(new Arg<int>(null, 0), new Arg<int>("BnGen.BatchNormLayout.NC", 0), new Arg<int>("BnGen.BatchNormLayout.NCHW", 1),
            new Arg<int>("(BnGen.BatchNormLayout)1", 1), new Arg<int>("BnGen.BatchNormLayout.NCHW", 1))),
        (1, Pick(new Arg<int>("BnGen.BatchNormLayout.NHWC", 2), new Arg<int>("BnGen.BatchNormLayout.NCL", 3))));

    private static readonly Gen<LayerArgs> ValidArgsGen =
        Gen.Select(ValidFeaturesGen, ValidLayoutGen,
                Pick(new Arg<double>(null, 1e-5), new Arg<double>("1e-3", 1e-3), new Arg<double>("0.5", 0.5), new Arg<double>("double.Epsilon", double.Epsilon)),
                Pick(new Arg<double>(null, 0.1), new Arg<double>("0", 0), new Arg<double>("1", 1), new Arg<double>("0.49", 0.49), new Arg<double>("0.9", 0.9)),
                Pick(new Arg<string>(null, "float"), new Arg<string>("typeof(float)", "float"), new Arg<string>("typeof(double)", "double")),
                FlagGen, FlagGen, FlagGen)
            .Select(Gen.Frequency((6, Pick(new Arg<int>(null, 0), new Arg<int>("BnGen.BatchNormActivation.None", 0))),
                    (1, Pick(new Arg<int>("BnGen.BatchNormActivation.ReLU", 1)))),
                static (x, activation) => new LayerArgs(x.Item1, x.Item2, x.Item3, x.Item4, x.Item5, x.Item6, x.Item7, x.Item8, activation));

    private static readonly Gen<Shape> ValidShapeGen =
        Gen.Select(Gen.Int[0, 3], Gen.Select(Gen.Int[0, 3], static kind => new Container(
                kind switch { 0 => "class", 1 => "struct", 2 => "static class", _ => "record class" }, Partial: true, Generic: false)).Array[0, 2],
            Gen.Bool, Gen.Int[0, 3],
            static (ns, containers, record, modifier) => new Shape(ns, containers, LayerPartial: true, Record: record, Sealed: modifier == 1, Static: false, Generic: false));

    private static readonly Gen<Program> ProgramGen = Gen.Frequency(
        (2, Gen.Select(ArgsGen, ShapeGen, Gen.Int[0, 3], CallGen.Array[0, 4], static (args, shape, training, calls) => new Program(args, shape, training, calls))),
        (3, Gen.Select(ValidArgsGen, ValidShapeGen, Gen.Int[0, 3], CallGen.Array[0, 4], static (args, shape, training, calls) => new Program(args, shape, training, calls))));

    // ---------------------------------------------------------------------------------------------------------------
    // The property.

    private sealed class Tally
    {
        public int Programs, Generated, WithCalls, V2, SingleValueWarnings, ShapeWarnings, DeclarationErrors;
    }

    public static int ProgramCount()
        => int.TryParse(Environment.GetEnvironmentVariable(ProgramsVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : DefaultPrograms;

    [Fact]
    public void RandomPrograms_NeverThrow_GetExactlyTheOraclesDiagnostics_AndCompileCleanly()
    {
        V2State v2 = V2.Value;
        int programs = ProgramCount();
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;

        ProgramGen.Sample(program => Check(program, v2, tally), iter: programs, print: p => Render(p, v2).Source);

        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{tally.Programs} programs in {clock.Elapsed.TotalSeconds:F1} s ({cpu.TotalSeconds:F1} s CPU, {Environment.ProcessorCount} threads): "
            + $"{tally.Generated} generated code ({tally.WithCalls} with calls), {tally.V2} used a v2 option, {tally.DeclarationErrors} with a declaration error, "
            + $"{tally.SingleValueWarnings} BNG0008 and {tally.ShapeWarnings} BNG0009 expected and found."));
        output.WriteLine("v2 options today: " + v2);

        // The grammar reaches every outcome (with enough programs to make a miss a real gap, not bad luck).
        if (programs >= 1000)
        {
            Assert.True(tally.Generated > programs / 10, $"only {tally.Generated} of {programs} programs generated code");
            Assert.True(tally.DeclarationErrors > programs / 10, $"only {tally.DeclarationErrors} of {programs} programs had a declaration error");
            Assert.True(tally.WithCalls > programs / 20 && tally.SingleValueWarnings > 10 && tally.ShapeWarnings > 10 && tally.V2 > programs / 10,
                "the call-site grammar is not reached");
        }
    }

    private static void Check(Program program, V2State v2, Tally tally)
    {
        Rendered rendered = Render(program, v2);
        AnalyzedRun run = GeneratorRunner.Analyze([rendered.Source]);   // asserts: no exception, nothing reported by the generator, no AD0001
        string context = "\n--\n" + run.Describe();

        // Exactly the expected BNG diagnostics, each at its span.
        string Show(IEnumerable<Expected> list) => string.Join(", ", list.Select(e => $"{e.Id}@{e.Start}+{e.Length}"));
        List<Expected> actual = run.BnGenDiagnostics
            .Select(d => new Expected(d.Id, d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)).ToList();
        List<Expected> expected = rendered.Diagnostics;
        var unmatched = new List<Expected>(actual);
        bool allFound = expected.All(e =>
        {
            int index = unmatched.FindIndex(a => a.Id == e.Id && (e.Start < 0 || a.Start == e.Start && a.Length == e.Length));
            if (index >= 0)
            {
                unmatched.RemoveAt(index);
            }
            return index >= 0;
        });
        Assert.True(allFound && unmatched.Count == 0, $"expected [{Show(expected)}], got [{Show(actual)}]{context}");
        Assert.All(run.BnGenDiagnostics, d => Assert.Equal("User0.cs", d.Location.SourceTree?.FilePath));

        // The compiler has nothing to say about the program: not about the user's code, not about the calls, not about
        // the generated code (GeneratorRun.Analyze already checked the generated files on their own).
        Diagnostic[] complaints = run.CompilerDiagnostics.Where(static d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(complaints.Length == 0, "compiler diagnostics:" + context);

        // Code exactly for the layers the oracle finds valid (a BNG0010 warning still generates).
        Assert.True(rendered.Generates == (run.Generated.Length == 1) && run.Generated.Length <= 1,
            $"expected {(rendered.Generates ? "one generated file" : "no generated code")}, got {run.Generated.Length}{context}");

        Interlocked.Increment(ref tally.Programs);
        if (rendered.Generates)
        {
            Interlocked.Increment(ref tally.Generated);
        }
        if (rendered.HasCalls)
        {
            Interlocked.Increment(ref tally.WithCalls);
        }
        if (rendered.V2)
        {
            Interlocked.Increment(ref tally.V2);
        }
        if (expected.Any(static e => e.Id is not ("BNG0008" or "BNG0009" or "BNG0010")))
        {
            Interlocked.Increment(ref tally.DeclarationErrors);
        }
        Interlocked.Add(ref tally.SingleValueWarnings, expected.Count(static e => e.Id == "BNG0008"));
        Interlocked.Add(ref tally.ShapeWarnings, expected.Count(static e => e.Id == "BNG0009"));
    }
}
