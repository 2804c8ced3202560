using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using BnGen.Internal;
using Xunit;

namespace BnGen.Tests.Widths;

/// <summary>
/// The sums' three implementations — sixteen lanes in two Vector512, four Vector256 or eight Vector128 — give the same
/// bits. This machine may not run Vector512 in hardware: then the software form of every Vector512 operation runs, which
/// computes lane by lane what the hardware would, so the comparison still checks the Vector512 code's lane order, masks
/// and tree. The cross-process test (Determinism) checks the widths the hardware picks under DOTNET_ settings end to end.
/// </summary>
public class LaneWidthTests
{
    public static TheoryData<int, int, int, int> RunShapes()
    {
        var data = new TheoryData<int, int, int, int>();
        // runs, length, extra stride, values before the first run
        foreach ((int runs, int length) in new[] { (1, 1), (1, 15), (1, 16), (1, 17), (3, 5), (2, 31), (4, 49), (2, 64), (3, 100), (7, 3) })
        {
            data.Add(runs, length, 0, 0);
            data.Add(runs, length, 5, 20);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(RunShapes))]
    public void ChannelStatistics_SameBitsOnEveryWidth(int runs, int length, int extra, int before)
    {
        foreach (bool isDouble in new[] { false, true })
        {
            var (f, d) = Data(before + runs * (length + extra) + 20, seed: length * 31 + runs, offset: 1e3);
            int stride = length + extra;
            double pivot = f[before] + 0.25;
            var results = new (double, double)[3];
            if (isDouble)
            {
                RunSums.Statistics<double, Doubles512, Vector512<double>>(ref d[before], runs, length, stride, before, pivot, out results[0].Item1, out results[0].Item2);
                RunSums.Statistics<double, Doubles256, Vector256<double>>(ref d[before], runs, length, stride, before, pivot, out results[1].Item1, out results[1].Item2);
                RunSums.Statistics<double, Doubles128, Vector128<double>>(ref d[before], runs, length, stride, before, pivot, out results[2].Item1, out results[2].Item2);
            }
            else
            {
                RunSums.Statistics<float, Doubles512, Vector512<double>>(ref f[before], runs, length, stride, before, pivot, out results[0].Item1, out results[0].Item2);
                RunSums.Statistics<float, Doubles256, Vector256<double>>(ref f[before], runs, length, stride, before, pivot, out results[1].Item1, out results[1].Item2);
                RunSums.Statistics<float, Doubles128, Vector128<double>>(ref f[before], runs, length, stride, before, pivot, out results[2].Item1, out results[2].Item2);
            }
            AssertSameBits(results, $"double={isDouble}");
            // And the sums are right: within double rounding of a plain sum about the pivot.
            double sum = 0, squares = 0;
            for (int r = 0; r < runs; r++)
            {
                for (int i = 0; i < length; i++)
                {
                    double v = (isDouble ? d[before + r * stride + i] : f[before + r * stride + i]) - pivot;
                    sum += v;
                    squares += v * v;
                }
            }
            Assert.Equal(sum, results[1].Item1, Math.Abs(sum) * 1e-12 + 1e-9);
            Assert.Equal(squares, results[1].Item2, squares * 1e-12);
        }
    }

    [Theory]
    [MemberData(nameof(RunShapes))]
    public void ChannelGradients_SameBitsAndSameDxOnEveryWidth(int runs, int length, int extra, int before)
    {
        int size = before + runs * (length + extra) + 20;
        var (x, _) = Data(size, seed: 7 + length, offset: 3);
        var (dy, _) = Data(size, seed: 11 + runs, offset: 0);
        int stride = length + extra;
        foreach (bool relu in new[] { false, true })
        {
            foreach (bool store in new[] { false, true })
            {
                var results = new (double, double)[3];
                var dx = new float[3][];
                for (int w = 0; w < 3; w++)
                {
                    dx[w] = new float[size];
                    ref float dxRef = ref store ? ref dx[w][before] : ref Unsafe.NullRef<float>();
                    Gradients(w, relu, ref x[before], ref dy[before], ref dxRef, runs, length, stride, before, out results[w].Item1, out results[w].Item2);
                }
                AssertSameBits(results, $"relu={relu} store={store}");
                Assert.Equal(dx[0], dx[1]);
                Assert.Equal(dx[1], dx[2]);
            }
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(5, 3)]
    [InlineData(9, 16)]
    [InlineData(4, 17)]
    [InlineData(33, 40)]
    [InlineData(2, 64)]
    public void ColumnStatistics_SameBitsOnEveryWidth(int rows, int features)
    {
        var (x, _) = Data(rows * features, seed: rows + features, offset: 50);
        var pivots = new double[features];
        for (int j = 0; j < features; j++)
        {
            pivots[j] = x[j];
        }
        var sums = new double[3][];
        var squares = new double[3][];
        for (int w = 0; w < 3; w++)
        {
            sums[w] = new double[features];
            squares[w] = new double[features];
        }
        ColumnSums.Statistics<float, Doubles512, Vector512<double>>(ref x[0], rows, features, ref pivots[0], ref sums[0][0], ref squares[0][0]);
        ColumnSums.Statistics<float, Doubles256, Vector256<double>>(ref x[0], rows, features, ref pivots[0], ref sums[1][0], ref squares[1][0]);
        ColumnSums.Statistics<float, Doubles128, Vector128<double>>(ref x[0], rows, features, ref pivots[0], ref sums[2][0], ref squares[2][0]);
        Assert.Equal(sums[0], sums[1]);
        Assert.Equal(sums[1], sums[2]);
        Assert.Equal(squares[0], squares[1]);
        Assert.Equal(squares[1], squares[2]);
    }

    private static void Gradients(int width, bool relu, ref float x, ref float dy, ref float dx, int runs, int length, int stride, int before,
        out double sumDy, out double sumDyXc)
    {
        const float scale = 1.5f, shift = -0.25f, factor = 0.75f;
        const double mean = 2.5;
        switch ((width, relu))
        {
            case (0, false):
                RunSums.Gradients<float, Identity, Doubles512, Vector512<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
                break;
            case (1, false):
                RunSums.Gradients<float, Identity, Doubles256, Vector256<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
                break;
            case (2, false):
                RunSums.Gradients<float, Identity, Doubles128, Vector128<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
                break;
            case (0, true):
                RunSums.Gradients<float, ReluActivation, Doubles512, Vector512<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
                break;
            case (1, true):
                RunSums.Gradients<float, ReluActivation, Doubles256, Vector256<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
                break;
            default:
                RunSums.Gradients<float, ReluActivation, Doubles128, Vector128<double>>(ref x, ref dy, ref dx, runs, length, stride, before, mean, scale, shift, factor, out sumDy, out sumDyXc);
                break;
        }
    }

    private static void AssertSameBits((double, double)[] results, string what)
    {
        for (int w = 1; w < results.Length; w++)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(results[0].Item1) == BitConverter.DoubleToInt64Bits(results[w].Item1)
                && BitConverter.DoubleToInt64Bits(results[0].Item2) == BitConverter.DoubleToInt64Bits(results[w].Item2),
                $"{what}: width 512 gives ({results[0].Item1:R}, {results[0].Item2:R}), width {(w == 1 ? 256 : 128)} gives ({results[w].Item1:R}, {results[w].Item2:R})");
        }
    }

    private static (float[] Floats, double[] Doubles) Data(int length, int seed, double offset)
    {
        var random = new Random(seed);
        var f = new float[length];
        var d = new double[length];
        for (int i = 0; i < length; i++)
        {
            d[i] = offset + (random.NextDouble() * 2 - 1) * (1 + random.Next(4));
            f[i] = (float)d[i];
        }
        return (f, d);
    }
}
