using System;
using BnGen.Internal;
using Xunit;

namespace BnGen.Tests.Widths;

/// <summary>
/// The row-layout element-wise passes (NC, NHWC) take one of two loop orders: on tensors of at most 8,192 values, strips
/// of columns with their per-feature coefficients held in registers down every row; otherwise row by row. Either way
/// every value goes through the same operations, so both give the bits of the per-value formula, computed here one
/// value at a time with the scalar operations (which round like vector lanes). The shapes cover strips with columns left
/// over for whole vectors and for the scalar tail, a single row (no strips), and both sides of the size limit; in place
/// (output = input) as well.
/// </summary>
public class RowPassTests
{
    public static TheoryData<int, int> Shapes() => new()
    {
        { 1, 64 }, { 2, 32 }, { 3, 33 }, { 4, 40 }, { 5, 70 }, { 7, 100 }, { 9, 255 }, { 27, 300 }, { 32, 64 }, { 128, 64 },
        { 129, 64 }, { 8, 1030 }, { 3, 7 }, { 64, 17 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AffineRows_GivesThePerValueFormula(int rows, int features)
    {
        Affine<float, Identity>(rows, features, inPlace: false);
        Affine<float, ReluActivation>(rows, features, inPlace: false);
        Affine<double, Identity>(rows, features, inPlace: true);
        Affine<double, ReluActivation>(rows, features, inPlace: false);
        Affine<float, ReluActivation>(rows, features, inPlace: true);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TrainingDxRows_GivesThePerValueFormula(int rows, int features)
    {
        TrainingDx<float, Identity>(rows, features, inPlace: false);
        TrainingDx<float, ReluActivation>(rows, features, inPlace: true);
        TrainingDx<double, Identity>(rows, features, inPlace: true);
        TrainingDx<double, ReluActivation>(rows, features, inPlace: false);
    }

    private static void Affine<T, TAct>(int rows, int features, bool inPlace)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        var random = new Random(rows * 1000 + features);
        T[] x = Values<T>(random, rows * features, 3.0, 0.5);
        T[] centers = Values<T>(random, features, 2.0, 0.5), scales = Values<T>(random, features, 1.5, 0.0);
        T[] shifts = Values<T>(random, features, 1.0, 0.5);
        var expected = new T[x.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++)
            {
                int i = r * features + f;
                T z = Exact.Fma(Scalar.Subtract(x[i], centers[f]), scales[f], shifts[f]);
                expected[i] = TAct.Relu ? Exact.Relu(z) : z;
            }
        }
        T[] y = inPlace ? x : new T[x.Length];
        Elementwise.AffineRows<T, TAct>(ref x[0], ref y[0], rows, features, ref centers[0], ref scales[0], ref shifts[0]);
        AssertSameBits(expected, y, $"AffineRows<{typeof(T).Name}, {typeof(TAct).Name}> {rows}x{features} in place {inPlace}");
    }

    private static void TrainingDx<T, TAct>(int rows, int features, bool inPlace)
        where T : unmanaged
        where TAct : struct, IActivation
    {
        var random = new Random(rows * 7919 + features);
        T[] x = Values<T>(random, rows * features, 3.0, 0.5), dy = Values<T>(random, rows * features, 1.0, 0.5);
        T[] mean = Values<T>(random, features, 2.0, 0.5), offset = Values<T>(random, features, 0.1, 0.5);
        T[] negK = Values<T>(random, features, 0.2, 0.5), factor = Values<T>(random, features, 1.5, 0.0);
        T[] scale = Values<T>(random, features, 1.5, 0.0), shift = Values<T>(random, features, 1.0, 0.5);
        var expected = new T[x.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int f = 0; f < features; f++)
            {
                int i = r * features + f;
                T xc = Scalar.Subtract(x[i], mean[f]);
                T g = TAct.Relu && RunSums.GatedCentered(xc, scale[f], shift[f]) ? default : dy[i];
                expected[i] = Scalar.Multiply(Exact.Fma(xc, negK[f], Scalar.Subtract(g, offset[f])), factor[f]);
            }
        }
        T[] dx = inPlace ? dy : new T[x.Length];
        var terms = new DxRows<T>
        {
            Mean = ref mean[0], Offset = ref offset[0], NegK = ref negK[0], Factor = ref factor[0], Scale = ref scale[0],
            Shift = ref shift[0],
        };
        Elementwise.TrainingDxRows<T, TAct>(ref x[0], ref dy[0], ref dx[0], rows, features, terms);
        AssertSameBits(expected, dx, $"TrainingDxRows<{typeof(T).Name}, {typeof(TAct).Name}> {rows}x{features} in place {inPlace}");
    }

    /// <summary>Values in [−spread·(1 − positiveBias), spread·(1 + positiveBias)), with some exact zeros for ReLU's kink.</summary>
    private static T[] Values<T>(Random random, int count, double spread, double positiveBias)
        where T : unmanaged
    {
        var values = new T[count];
        for (int i = 0; i < count; i++)
        {
            double v = i % 13 == 5 ? 0d : (random.NextDouble() * 2 - 1 + positiveBias) * spread;
            values[i] = Scalar.FromDouble<T>(v);
        }
        return values;
    }

    private static void AssertSameBits<T>(T[] expected, T[] actual, string what)
        where T : unmanaged
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Scalar.ToDouble(expected[i]), a = Scalar.ToDouble(actual[i]);
            if (BitConverter.DoubleToInt64Bits(e) != BitConverter.DoubleToInt64Bits(a))
            {
                Assert.Fail($"{what}: value {i} is {a:R}, the per-value formula gives {e:R}");
            }
        }
    }
}
