using System.Collections.Generic;
using BnGen.Tests.Infrastructure;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// The generated source of a matrix of configurations, compared exactly with the committed files in <c>Snapshots/</c>.
/// Every case also checks that the generated code compiles without a single diagnostic under the strictest options.
/// Accept new snapshots with <c>BNGEN_ACCEPT_SNAPSHOTS=1</c> (see docs/testing.md).
/// </summary>
public class SnapshotTests
{
    private static string Generate(string source) => GeneratorRunner.GenerateSingle(source);

    private static string InNamespace(LayerConfig config, string className = "Norm") => $$"""
        namespace Snapshots
        {
            {{config.Attribute()}}
            public partial class {{className}} { }
        }
        """;

    public static IEnumerable<object[]> MatrixCases()
    {
        foreach (LayerConfig config in LayerConfig.Matrix(features: 16))
        {
            yield return [config.Nchw, config.Double, config.Affine, config.Track];
        }
    }

    [Theory]
    [MemberData(nameof(MatrixCases))]
    public void Matrix(bool nchw, bool isDouble, bool affine, bool track)
    {
        var config = new LayerConfig(16, nchw, isDouble, affine, track);
        SnapshotAssert.Matches(Generate(InNamespace(config)), config.Name);
    }

    [Theory]
    [InlineData(17, false, false)]   // odd: no vector width divides it, every tail path is live
    [InlineData(17, true, true)]
    [InlineData(64, false, false)]   // a multiple of every vector width
    [InlineData(64, true, false)]
    [InlineData(600, false, false)]  // more than one block of 512 features in NC kernels
    [InlineData(1030, false, true)]  // two full blocks and a partial one
    public void FeatureCounts(int features, bool nchw, bool isDouble)
    {
        var config = new LayerConfig(features, nchw, isDouble);
        SnapshotAssert.Matches(Generate(InNamespace(config)), config.Name);
    }

    [Fact]
    public void CumulativeAverage_NC()
    {
        var config = new LayerConfig(8, CumulativeAverage: true);
        SnapshotAssert.Matches(Generate(InNamespace(config)), config.Name);
    }

    [Fact]
    public void CumulativeAverage_NCHW_Double_NoAffine()
    {
        var config = new LayerConfig(8, Nchw: true, Double: true, Affine: false, CumulativeAverage: true);
        SnapshotAssert.Matches(Generate(InNamespace(config)), config.Name);
    }

    [Fact]
    public void Hyperparameters_NonDefault()
    {
        var config = new LayerConfig(8, Epsilon: 1e-3, Momentum: 0.01);
        SnapshotAssert.Matches(Generate(InNamespace(config)), "Hyperparameters_Eps1e-3_Momentum0.01");
    }

    [Fact]
    public void Nested_InPartialClassAndStruct()
    {
        string source = """
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
            """;
        SnapshotAssert.Matches(Generate(source), "Nested_ClassStructClass");
    }

    [Fact]
    public void FileScopedNamespace_Record()
    {
        string source = """
            namespace Snapshots.FileScoped;

            [global::BnGen.BatchNormLayer(6, ElementType = typeof(double))]
            public sealed partial record class RecordNorm(string Tag);
            """;
        SnapshotAssert.Matches(Generate(source), "FileScoped_Record");
    }

    [Fact]
    public void GlobalNamespace()
    {
        string source = """
            [global::BnGen.BatchNormLayer(3)]
            public partial class GlobalNorm { }
            """;
        SnapshotAssert.Matches(Generate(source), "GlobalNamespace");
    }

    [Fact]
    public void KeywordClassName()
    {
        string source = """
            namespace @namespace.@event
            {
                [global::BnGen.BatchNormLayer(2)]
                public partial class @class { }
            }
            """;
        SnapshotAssert.Matches(Generate(source), "KeywordNames");
    }

    [Theory]
    [InlineData("NCHW", false, true, "Relu_NCHW_Float_Affine_Track_F16")]      // the static backward kernels take bias
    [InlineData("NHWC", true, false, "Relu_NHWC_Double_NoAffine_Track_F16")]   // no parameters: no bias to pass
    public void ReluActivation(string layout, bool isDouble, bool affine, string name)
    {
        string source = $$"""
            namespace Snapshots
            {
                [global::BnGen.BatchNormLayer(16, global::BnGen.BatchNormLayout.{{layout}}{{(isDouble ? ", ElementType = typeof(double)" : "")}}{{(affine ? "" : ", Affine = false")}}, Activation = global::BnGen.BatchNormActivation.ReLU)]
                public partial class Norm { }
            }
            """;
        SnapshotAssert.Matches(Generate(source), name);
    }
}
