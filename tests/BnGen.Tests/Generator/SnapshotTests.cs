using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using BnGen.Tests.Infrastructure;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// The generated source of a matrix of configurations, compared exactly with the committed files in <c>Snapshots/</c>.
/// Every case also checks that the generated code compiles without a single diagnostic under the strictest options.
/// Every case is listed in <see cref="Cases"/>, and every committed snapshot file must belong to one of them.
/// Accept new snapshots with <c>BNGEN_ACCEPT_SNAPSHOTS=1</c> (see docs/testing.md).
/// </summary>
public class SnapshotTests
{
    private static string InNamespace(LayerConfig config, string className = "Norm") => $$"""
        namespace Snapshots
        {
            {{config.Attribute()}}
            public partial class {{className}} { }
        }
        """;

    /// <summary>Every snapshot: its name (the file <c>Snapshots/&lt;name&gt;.verified.cs</c>) and the user source generated from.</summary>
    public static IReadOnlyDictionary<string, string> Cases { get; } = BuildCases();

    private static Dictionary<string, string> BuildCases()
    {
        var cases = new Dictionary<string, string>(StringComparer.Ordinal);
        void Add(LayerConfig config, string? name = null) => cases.Add(name ?? config.Name, InNamespace(config));

        // The 16 combinations of layout, element type, Affine and TrackRunningStats.
        foreach (LayerConfig config in LayerConfig.Matrix(features: 16))
        {
            Add(config);
        }

        // Feature counts.
        Add(new LayerConfig(17));                                  // odd: no vector width divides it, every tail path is live
        Add(new LayerConfig(17, Nchw: true, Double: true));
        Add(new LayerConfig(64));                                  // a multiple of every vector width
        Add(new LayerConfig(64, Nchw: true));
        Add(new LayerConfig(600));                                 // more than one block of 512 features in NC kernels
        Add(new LayerConfig(1030, Double: true));                  // two full blocks and a partial one

        Add(new LayerConfig(8, CumulativeAverage: true));
        Add(new LayerConfig(8, Nchw: true, Double: true, Affine: false, CumulativeAverage: true));
        Add(new LayerConfig(8, Epsilon: 1e-3, Momentum: 0.01), "Hyperparameters_Eps1e-3_Momentum0.01");

        cases.Add("Nested_ClassStructClass", """
            namespace Snapshots.Deep
            {
                public partial class Outer
                {
                    internal partial struct Holder
                    {
                        [global::BnGen.BatchNormLayer(5, global::BnGen.BatchNormLayout.NCHW)]
                        internal sealed partial class Inner { }
                    }
                }
            }
            """);
        cases.Add("FileScoped_Record", """
            namespace Snapshots.FileScoped;

            [global::BnGen.BatchNormLayer(6, ElementType = typeof(double))]
            public sealed partial record class RecordNorm(string Tag);
            """);
        cases.Add("GlobalNamespace", """
            [global::BnGen.BatchNormLayer(3)]
            public partial class GlobalNorm { }
            """);
        cases.Add("KeywordNames", """
            namespace @namespace.@event
            {
                [global::BnGen.BatchNormLayer(2)]
                public partial class @class { }
            }
            """);

        // Fused ReLU: with Affine the static backward kernels take bias; without, there is none to pass. And the other layouts.
        cases.Add("Relu_NCHW_Float_Affine_Track_F16", """
            namespace Snapshots
            {
                [global::BnGen.BatchNormLayer(16, global::BnGen.BatchNormLayout.NCHW, Activation = global::BnGen.BatchNormActivation.ReLU)]
                public partial class Norm { }
            }
            """);
        cases.Add("Relu_NHWC_Double_NoAffine_Track_F16", """
            namespace Snapshots
            {
                [global::BnGen.BatchNormLayer(16, global::BnGen.BatchNormLayout.NHWC, ElementType = typeof(double), Affine = false,
                    Activation = global::BnGen.BatchNormActivation.ReLU)]
                public partial class Norm { }
            }
            """);
        cases.Add("NCL_Float_Affine_Track_F16", """
            namespace Snapshots
            {
                [global::BnGen.BatchNormLayer(16, global::BnGen.BatchNormLayout.NCL)]
                public partial class Norm { }
            }
            """);
        return cases;
    }

    public static TheoryData<string> Names() => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Names))]
    public void GeneratedSourceMatchesTheSnapshot(string name)
        => SnapshotAssert.Matches(GeneratorRunner.GenerateSingle(Cases[name]), name);

    [Fact]
    public void EverySnapshotFileBelongsToACase()
    {
        string directory = SnapshotAssert.SnapshotDirectory(ThisFile());
        string[] files = Directory.GetFiles(directory, "*.verified.cs")
            .Select(path => Path.GetFileName(path)[..^".verified.cs".Length])
            .Order(StringComparer.Ordinal).ToArray();
        string[] orphans = files.Except(Cases.Keys, StringComparer.Ordinal).ToArray();
        Assert.True(orphans.Length == 0,
            $"no snapshot test produces {string.Join(", ", orphans.Select(o => o + ".verified.cs"))} in {directory}: "
            + "delete the file, or add its case to SnapshotTests.Cases");
        // The other direction: a case without its file fails in GeneratedSourceMatchesTheSnapshot; here, so that the two
        // lists are seen side by side.
        Assert.Equal(Cases.Keys.Order(StringComparer.Ordinal), files);
    }

    private static string ThisFile([CallerFilePath] string path = "") => path;
}
