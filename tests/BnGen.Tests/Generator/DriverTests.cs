using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using BnGen.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Xunit;

namespace BnGen.Tests.Generator;

/// <summary>
/// A consumer with a dozen layers in every kind of declaration the generator supports, run through
/// <see cref="Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver"/>: no generator exception, one file per layer, and an output
/// compilation without a single diagnostic under the strictest options (see <see cref="TestCompilation.StrictOptions"/>).
/// </summary>
public class DriverTests
{
    private const string BlockNamespace = """
        using BnGen;

        namespace Vision
        {
            [BatchNormLayer(64, BatchNormLayout.NCHW)]
            public partial class StemNorm { }

            public partial class Outer
            {
                [BatchNormLayer(17, ElementType = typeof(double))]
                public partial class InnerNorm { }

                internal partial struct Holder
                {
                    [BatchNormLayer(3, BatchNormLayout.NCHW, Affine = false)]
                    internal sealed partial class DeepNorm { }
                }
            }

            [BatchNormLayer(8, TrackRunningStats = false)]
            public sealed partial class SealedNorm { }

            [BatchNormLayer(5, CumulativeAverage = true)]
            public partial record class RecordNorm(string Tag);

            [BatchNormLayer(2, Epsilon = 1e-3, Momentum = 0.01)]
            public partial class @class { }
        }
        """;

    private const string FileScopedNamespace = """
        using BnGen;

        namespace Audio.Layers;

        [BatchNormLayer(600)]
        public partial class WideNorm { }

        [BatchNormLayer(4, BatchNormLayout.NCHW, ElementType = typeof(double), Affine = false, TrackRunningStats = false)]
        internal partial class BareNorm { }

        [BatchNormLayer(33, ElementType = typeof(double), Momentum = 0, Epsilon = 1e-3)]
        internal sealed partial class FrozenNorm { }

        [BatchNormLayer(9, BatchNormLayout.NCHW, ElementType = typeof(float), CumulativeAverage = true, Affine = false)]
        public partial record SpectrogramNorm
        {
            public int Channels => Features;
        }
        """;

    private const string GlobalNamespace = """
        [BnGen.BatchNormLayer(1)]
        public partial class GlobalNorm { }
        """;

    // A layer whose user members use the generated ones, split over two files (the attribute on one part).
    private const string UserMembersPartOne = """
        namespace Vision;

        [BnGen.BatchNormLayer(1)]
        public partial class UserNorm
        {
            private readonly string _name;

            public UserNorm(string name)
            {
                _name = name;
            }

            public override string ToString() => _name + ": " + Features;
        }
        """;

    private const string UserMembersPartTwo = """
        namespace Vision;

        public partial class UserNorm
        {
            /// The textbook example: NC input [1, 2, 3, 4], one feature, weight 2, bias 1, eps 1e-5.
            public static float[] Textbook()
            {
                var layer = new UserNorm("textbook");
                layer.Weight[0] = 2f;
                layer.Bias[0] = 1f;
                float[] y = new float[4];
                layer.Forward(new float[] { 1f, 2f, 3f, 4f }, y, batch: 4);
                return y;
            }
        }
        """;

    // Code that calls every generated API, so that the signatures are checked too.
    private const string Consumer = """
        using System;
        using Audio.Layers;
        using Vision;

        public static class Consumer
        {
            /// Momentum 0 freezes the running statistics; NumBatchesTracked still counts.
            public static double[] Frozen()
            {
                var frozen = new FrozenNorm();
                double[] rows = new double[2 * FrozenNorm.Features];
                for (int i = 0; i < rows.Length; i++)
                {
                    rows[i] = 3 * i + 1;
                }
                frozen.Forward(rows, rows, 2);
                return [frozen.NumBatchesTracked, frozen.RunningMean[FrozenNorm.Features - 1], frozen.RunningVar[FrozenNorm.Features - 1]];
            }

            public static double Use()
            {
                var stem = new StemNorm { Training = false };
                float[] image = new float[2 * StemNorm.Features * 3 * 3];
                stem.Forward(image, image, 2, 3, 3);
                stem.Backward(image, image, new float[image.Length], 2, 3, 3);

                var inner = new Outer.InnerNorm();
                double[] rows = new double[4 * Outer.InnerNorm.Features];
                inner.Forward(rows, rows, 4);
                inner.Backward(rows, rows, rows, 4);
                double total = inner.WeightGrad[0] + inner.BiasGrad[0] + inner.RunningMean[0] + inner.RunningVar[0] + inner.NumBatchesTracked;

                Span<double> mean = stackalloc double[WideNorm.Features];
                Span<double> invStd = stackalloc double[WideNorm.Features];
                float[] wide = new float[3 * WideNorm.Features];
                var weight = new float[WideNorm.Features];
                var bias = new float[WideNorm.Features];
                WideNorm.ForwardTraining(wide, wide, 3, weight, bias, mean, invStd, new float[WideNorm.Features], new float[WideNorm.Features], 0.5);
                WideNorm.ForwardInference(wide, wide, 3, weight, bias, new float[WideNorm.Features], new float[WideNorm.Features]);
                WideNorm.BackwardTraining(wide, wide, wide, 3, weight, mean, invStd, new float[WideNorm.Features], new float[WideNorm.Features]);
                WideNorm.BackwardInference(wide, wide, wide, 3, weight, new float[WideNorm.Features], new float[WideNorm.Features], new float[WideNorm.Features], new float[WideNorm.Features]);

                var bare = new BareNorm();
                double[] planes = new double[2 * BareNorm.Features * 2 * 2];
                bare.Forward(planes, planes, 2, 2, 2);
                var record = new RecordNorm("r") with { Tag = "s" };
                var spectrogram = new SpectrogramNorm();
                return total + RecordNorm.Features + record.Tag.Length + spectrogram.Channels + new SealedNorm().Weight.Length + new @class().Bias.Length
                    + GlobalNorm.Features + new UserNorm("u").ToString().Length;
            }
        }
        """;

    private static Compilation CreateConsumer() => TestCompilation.Create(
    [
        ("Vision.cs", BlockNamespace),
        ("Audio.cs", FileScopedNamespace),
        ("Global.cs", GlobalNamespace),
        ("UserNorm.cs", UserMembersPartOne),
        ("UserNorm.Textbook.cs", UserMembersPartTwo),
        ("Consumer.cs", Consumer),
    ]);

    [Fact]
    public void DozenLayers_GenerateOneFileEach_AndCompileWithoutAnyDiagnostic()
    {
        GeneratorRun run = GeneratorRunner.Run(CreateConsumer()).AssertCompilesCleanly();

        string[] expected =
        [
            "Vision.StemNorm.BatchNorm.g.cs",
            "Vision.Outer.InnerNorm.BatchNorm.g.cs",
            "Vision.Outer.Holder.DeepNorm.BatchNorm.g.cs",
            "Vision.SealedNorm.BatchNorm.g.cs",
            "Vision.RecordNorm.BatchNorm.g.cs",
            "Vision.class.BatchNorm.g.cs",
            "Audio.Layers.WideNorm.BatchNorm.g.cs",
            "Audio.Layers.BareNorm.BatchNorm.g.cs",
            "Audio.Layers.FrozenNorm.BatchNorm.g.cs",
            "Audio.Layers.SpectrogramNorm.BatchNorm.g.cs",
            "GlobalNorm.BatchNorm.g.cs",
            "Vision.UserNorm.BatchNorm.g.cs",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), run.Sources.Keys.Order(StringComparer.Ordinal));
        Assert.All(run.Sources.Values, text =>
        {
            Assert.StartsWith("// <auto-generated/>\n", text, StringComparison.Ordinal);
            Assert.Contains("#nullable enable\n", text, StringComparison.Ordinal);
            Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
        });
        Assert.Contains("partial record RecordNorm", run.Source("Vision.RecordNorm.BatchNorm.g.cs"), StringComparison.Ordinal);
        Assert.Contains("partial class @class", run.Source("Vision.class.BatchNorm.g.cs"), StringComparison.Ordinal);
        Assert.Contains("partial struct Holder", run.Source("Vision.Outer.Holder.DeepNorm.BatchNorm.g.cs"), StringComparison.Ordinal);
    }

    [Fact]
    public void UserMembers_KeepWorking_WhenTheOutputRuns()
    {
        GeneratorRun run = GeneratorRunner.Run(CreateConsumer()).AssertCompilesCleanly();

        using var image = new MemoryStream();
        Assert.True(run.Output.Emit(image).Success);
        var context = new AssemblyLoadContext("BnGen.Consumer", isCollectible: true);
        try
        {
            image.Position = 0;
            Assembly assembly = context.LoadFromStream(image);
            Type userNorm = assembly.GetType("Vision.UserNorm", throwOnError: true)!;
            var y = (float[])userNorm.GetMethod("Textbook")!.Invoke(null, null)!;
            // (x − 2.5) / sqrt(1.25 + 1e-5) · 2 + 1
            float[] expected = [-1.6833f, 0.1056f, 1.8944f, 3.6833f];
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(expected[i], y[i], 1e-4f);
            }
            object layer = Activator.CreateInstance(userNorm, "mine")!;
            Assert.Equal("mine: 1", layer.ToString());

            // Every generated API is reachable from user code, and runs.
            Type consumer = assembly.GetType("Consumer", throwOnError: true)!;
            var total = (double)consumer.GetMethod("Use")!.Invoke(null, null)!;
            Assert.True(double.IsFinite(total));
            Assert.Equal([1d, 0d, 1d], (double[])consumer.GetMethod("Frozen")!.Invoke(null, null)!);
        }
        finally
        {
            context.Unload();
        }
    }
}
