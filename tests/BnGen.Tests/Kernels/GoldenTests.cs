using System;
using System.Linq;
using Xunit;

namespace BnGen.Tests.Kernels;

/// <summary>
/// Every golden PyTorch case through three implementations: the generated layer instance, the generated static kernels
/// and the generic <see cref="BatchNormKernels"/>. Tolerances, relative to the largest magnitude of the expected tensor:
/// 1e-5 for float32 cases and 1e-12 for float64 cases. nc_2x4_f32_batch2's training-step grad_input (exactly of the
/// order of 1e-5, made of epsilon alone) is compared, as its README asks, with 1e-5 · max |weight · grad_output|.
/// </summary>
public class GoldenTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string name in GoldenFiles.Names)
        {
            foreach (string implementation in new[] { "instance", "static", "generic" })
            {
                data.Add(name, implementation);
            }
        }
        return data;
    }

    [Fact]
    public void EveryGoldenFileHasItsOwnGeneratedLayer()
    {
        string[] files = GoldenFiles.Names.ToArray();
        Assert.Equal(12, files.Length);
        Assert.Equal(files, GoldenLayers.ByFile.Keys.Order(StringComparer.Ordinal));
        foreach (string name in files)
        {
            GoldenCase golden = GoldenFiles.Load(name);
            Type type = GoldenLayers.ByFile[name].Create().GetType();
            Assert.Equal(golden.Features, (int)type.GetField("Features")!.GetValue(null)!);
            var attribute = (BatchNormLayerAttribute)Attribute.GetCustomAttribute(type, typeof(BatchNormLayerAttribute))!;
            Assert.Equal(golden.LayoutValue, attribute.Layout);
            Assert.Equal(golden.Epsilon, attribute.Epsilon);
            Assert.Equal(golden.Momentum, attribute.Momentum);
            Assert.Equal(golden.Affine, attribute.Affine);
            Assert.Equal(golden.TrackRunningStats, attribute.TrackRunningStats);
            Assert.Equal(golden.IsDouble ? typeof(double) : typeof(float), attribute.ElementType);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string file, string implementation)
    {
        GoldenCase golden = GoldenFiles.Load(file);
        if (golden.IsDouble)
        {
            Run(golden, Create<double>(golden, implementation), 1e-12);
        }
        else
        {
            Run(golden, Create<float>(golden, implementation), 1e-5);
        }
    }

    private static ILayerUnderTest<T> Create<T>(GoldenCase golden, string implementation)
        where T : unmanaged
    {
        var (create, staticKernels) = GoldenLayers.ByFile[golden.Name];
        return implementation switch
        {
            "instance" => new GeneratedLayer<T>(create(), golden.Config),
            "static" => new KernelLayer<T>((IKernels<T>)staticKernels, golden.Config),
            "generic" => new KernelLayer<T>(typeof(T) == typeof(float)
                ? (IKernels<T>)(object)new GenericFloatKernels(golden.Features, golden.LayoutValue, golden.Epsilon)
                : (IKernels<T>)(object)new GenericDoubleKernels(golden.Features, golden.LayoutValue, golden.Epsilon), golden.Config),
            _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
        };
    }

    private static void Run<T>(GoldenCase golden, ILayerUnderTest<T> layer, double relative)
        where T : unmanaged
    {
        for (int i = 0; i < golden.Steps.Length; i++)
        {
            GoldenStep step = golden.Steps[i];
            string at = $"{golden.Name} step {i} ({(step.Training ? "training" : "eval")})";
            if (golden.Affine)
            {
                Num.FromDoubles<T>(step.Weight).CopyTo(layer.Weight!, 0);
                Num.FromDoubles<T>(step.Bias).CopyTo(layer.Bias!, 0);
            }
            layer.Training = step.Training;
            T[] x = Num.FromDoubles<T>(step.Input);
            // The inputs are exactly representable in the case's type: the layer sees the values PyTorch saw.
            Assert.Equal(step.Input, Num.ToDoubles<T>(x));
            var y = new T[golden.Count];
            layer.Forward(x, y, golden.Batch, golden.Height, golden.Width);
            Close.Relative($"{at} output", step.Output, Num.ToDoubles<T>(y), relative);
            if (golden.TrackRunningStats)
            {
                Close.Relative($"{at} running_mean", step.RunningMeanAfter, Num.ToDoubles<T>(layer.RunningMean), relative);
                Close.Relative($"{at} running_var", step.RunningVarAfter, Num.ToDoubles<T>(layer.RunningVar), relative);
                Assert.Equal(step.NumBatchesTrackedAfter, layer.NumBatchesTracked);
            }
            else
            {
                Assert.Null(step.RunningMeanAfter);
                Assert.Null(layer.RunningMean);
            }

            var dx = new T[golden.Count];
            layer.Backward(x, Num.FromDoubles<T>(step.GradOutput), dx, golden.Batch, golden.Height, golden.Width);
            double[] gradInput = Num.ToDoubles<T>(dx);
            if (golden.Name == "nc_2x4_f32_batch2" && step.Training)
            {
                // Two values per channel: x̂ is ±1 up to epsilon, so the exact gradient is tiny and all rounding.
                double scale = 0;
                for (int j = 0; j < golden.Count; j++)
                {
                    scale = Math.Max(scale, Math.Abs(step.Weight![j % golden.Features] * step.GradOutput[j]));
                }
                Assert.True(Close.MaxAbs(step.GradInput) < 1e-3 * scale, "the case's premise: grad_input is tiny");
                Close.All($"{at} grad_input", step.GradInput, gradInput, relative * scale);
            }
            else
            {
                Close.Relative($"{at} grad_input", step.GradInput, gradInput, relative);
            }
            if (golden.Affine)
            {
                Close.Relative($"{at} grad_weight", step.GradWeight, Num.ToDoubles<T>(layer.WeightGrad), relative);
                Close.Relative($"{at} grad_bias", step.GradBias, Num.ToDoubles<T>(layer.BiasGrad), relative);
            }
        }
    }
}
