using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using CsCheck;
using Xunit;

namespace BnGen.Tests.Robustness;

/// <summary>
/// Property test: random attribute arguments (valid, boundary and absurd) on random class shapes (namespace kinds,
/// nesting, partial or not, record, sealed, static, generic). Every run: no generator or analyzer exception, no
/// compiler error at all, exactly the BNG diagnostics an independent oracle (written here, not LayerRules) expects,
/// and generated code, compiling without warnings, exactly when no BNG error is expected.
/// </summary>
public class DeclarationPropertyTests
{
    /// <summary>An argument as written in C# (null: omitted) and the value it means.</summary>
    public sealed record Arg<T>(string? Text, T Value);

    public sealed record Container(string Kind, bool Partial, bool Generic);

    public sealed record Shape(
        int NamespaceKind,               // 0 global, 1 block, 2 file-scoped, 3 dotted block
        Container[] Containers,          // outermost first
        bool LayerPartial, bool Record, bool Sealed, bool Static, bool Generic);

    public sealed record Declaration(
        Arg<int> Features, Arg<int> Layout, Arg<double> Epsilon, Arg<double> Momentum, Arg<string> Element,
        Arg<bool> Affine, Arg<bool> Track, Arg<bool> Cumulative, Shape Shape)
    {
        public override string ToString() => Source();

        public string Source()
        {
            var args = new List<string> { Features.Text! };
            if (Layout.Text is not null)
            {
                args.Add(Layout.Text);
            }
            void Named(string name, string? text)
            {
                if (text is not null)
                {
                    args.Add(name + " = " + text);
                }
            }
            Named("Epsilon", Epsilon.Text);
            Named("Momentum", Momentum.Text);
            Named("ElementType", Element.Text);
            Named("Affine", Affine.Text);
            Named("TrackRunningStats", Track.Text);
            Named("CumulativeAverage", Cumulative.Text);

            var sb = new StringBuilder();
            string open = Shape.NamespaceKind switch
            {
                1 => "namespace Models\n{\n",
                2 => "namespace Models;\n",
                3 => "namespace Models.Vision.Stems\n{\n",
                _ => string.Empty,
            };
            sb.Append(open);
            for (int i = 0; i < Shape.Containers.Length; i++)
            {
                Container c = Shape.Containers[i];
                sb.Append("public ").Append(c.Kind == "static class" ? "static " : string.Empty).Append(c.Partial ? "partial " : string.Empty)
                    .Append(c.Kind == "static class" ? "class" : c.Kind).Append(" Outer").Append(i)
                    .Append(c.Generic ? "<T>" : string.Empty).Append("\n{\n");
            }
            sb.Append("[BnGen.BatchNormLayer(").Append(string.Join(", ", args)).Append(")]\npublic ")
                .Append(Shape.Static ? "static " : string.Empty)
                .Append(Shape.Sealed ? "sealed " : string.Empty)
                .Append(Shape.LayerPartial ? "partial " : string.Empty)
                .Append(Shape.Record ? "record class" : "class").Append(" Norm")
                .Append(Shape.Generic ? "<TElement>" : string.Empty)
                .Append(Shape.Record ? ";\n" : " { }\n");
            sb.Append('}', Shape.Containers.Length);
            if (Shape.NamespaceKind is 1 or 3)
            {
                sb.Append('}');
            }
            return sb.ToString();
        }

        /// <summary>The oracle: the BNG IDs this declaration must get, sorted.</summary>
        public List<string> ExpectedBng()
        {
            var ids = new List<string>();
            ids.AddRange(Shape.Containers.Where(static c => !c.Partial).Select(static _ => "BNG0001"));
            if (!Shape.LayerPartial)
            {
                ids.Add("BNG0001");
            }
            if (Features.Value is < 1 or > 1 << 20)
            {
                ids.Add("BNG0002");
            }
            if (Layout.Value is not (0 or 1))
            {
                ids.Add("BNG0003");
            }
            if (!(Epsilon.Value > 0 && !double.IsInfinity(Epsilon.Value)))
            {
                ids.Add("BNG0004");
            }
            bool momentumInRange = Momentum.Value >= 0 && Momentum.Value <= 1;
            if (!momentumInRange)
            {
                ids.Add("BNG0005");
            }
            else if (Momentum.Text is not null && !Cumulative.Value && Momentum.Value >= 0.5)
            {
                ids.Add("BNG0010");
            }
            if (Element.Value is not ("float" or "double"))
            {
                ids.Add("BNG0006");
            }
            if (Shape.Static || Shape.Generic || Shape.Containers.Any(static c => c.Generic))
            {
                ids.Add("BNG0007");
            }
            ids.Sort(System.StringComparer.Ordinal);
            return ids;
        }
    }

    private static Gen<Arg<T>> Pick<T>(params Arg<T>[] choices) => Gen.Int[0, choices.Length - 1].Select(i => choices[i]);

    private static readonly Gen<Arg<int>> FeaturesGen = Gen.Frequency(
        (3, Gen.Int[1, 300].Select(static n => new Arg<int>(n.ToString(CultureInfo.InvariantCulture), n))),
        (2, Pick(new Arg<int>("0", 0), new Arg<int>("-1", -1), new Arg<int>("-64", -64), new Arg<int>("1 << 20", 1 << 20),
            new Arg<int>("(1 << 20) + 1", (1 << 20) + 1), new Arg<int>("int.MaxValue", int.MaxValue), new Arg<int>("int.MinValue", int.MinValue))));

    private static readonly Gen<Arg<int>> LayoutGen = Pick(new Arg<int>(null, 0), new Arg<int>("BnGen.BatchNormLayout.NC", 0),
        new Arg<int>("BnGen.BatchNormLayout.NCHW", 1), new Arg<int>("(BnGen.BatchNormLayout)2", 2), new Arg<int>("(BnGen.BatchNormLayout)3", 3),
        new Arg<int>("(BnGen.BatchNormLayout)0", 0));

    private static readonly Gen<Arg<double>> EpsilonGen = Pick(new Arg<double>(null, 1e-5), new Arg<double>("1e-5", 1e-5),
        new Arg<double>("1e-3", 1e-3), new Arg<double>("0.5", 0.5), new Arg<double>("0", 0), new Arg<double>("-1", -1),
        new Arg<double>("double.NaN", double.NaN), new Arg<double>("double.PositiveInfinity", double.PositiveInfinity),
        new Arg<double>("double.Epsilon", double.Epsilon));

    private static readonly Gen<Arg<double>> MomentumGen = Pick(new Arg<double>(null, 0.1), new Arg<double>("0.1", 0.1),
        new Arg<double>("-0.1", -0.1), new Arg<double>("0.5", 0.5), new Arg<double>("0.9", 0.9), new Arg<double>("1.5", 1.5),
        new Arg<double>("double.NaN", double.NaN), new Arg<double>("0", 0), new Arg<double>("1", 1), new Arg<double>("0.49", 0.49));

    private static readonly Gen<Arg<string>> ElementGen = Pick(new Arg<string>(null, "float"), new Arg<string>("typeof(float)", "float"),
        new Arg<string>("typeof(double)", "double"), new Arg<string>("typeof(int)", "int"), new Arg<string>("typeof(string)", "string"));

    private static readonly Gen<Arg<bool>> FlagGen = Pick(new Arg<bool>(null, false), new Arg<bool>("true", true), new Arg<bool>("false", false));

    private static readonly Gen<Container> ContainerGen =
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 5], Gen.Int[0, 9], static (kind, partial, generic) => new Container(
            kind switch { 0 => "class", 1 => "struct", 2 => "static class", _ => "record class" },
            Partial: partial != 0, Generic: generic == 0));

    private static readonly Gen<Shape> ShapeGen =
        Gen.Select(Gen.Int[0, 3], ContainerGen.Array[0, 2], Gen.Int[0, 5], Gen.Bool, Gen.Int[0, 11], Gen.Int[0, 9],
            static (ns, containers, partial, record, modifier, generic) => new Shape(ns, containers,
                LayerPartial: partial != 0, Record: record,
                Sealed: modifier is 1 or 2 && !record || modifier == 1 && record,
                Static: modifier == 3 && !record,
                Generic: generic == 0));

    private static readonly Gen<Declaration> DeclarationGen =
        Gen.Select(FeaturesGen, LayoutGen, EpsilonGen, MomentumGen, ElementGen, FlagGen, FlagGen, FlagGen)
            .Select(ShapeGen, static (a, shape) => new Declaration(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, a.Item7, a.Item8, shape));

    [Fact]
    public void RandomDeclarations_NeverThrow_AndGetExactlyTheOraclesDiagnostics()
    {
        DeclarationGen.Sample(declaration =>
        {
            string source = declaration.Source();
            RunOutcome outcome = GeneratorHarness.Run(new[] { source });
            List<string> expected = declaration.ExpectedBng();
            string context = source + "\n--\n" + outcome.Describe();

            Assert.True(expected.SequenceEqual(outcome.BngIds), "expected " + string.Join(", ", expected) + "\n" + context);
            Assert.False(outcome.CompilerErrorIds.Any(), context);
            bool valid = !expected.Any(static id => id != "BNG0010");
            Assert.True(valid == (outcome.Generated.Length == 1), "generated " + outcome.Generated.Length + "\n" + context);
        }, iter: 80, print: static d => d.Source());
    }
}
