using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnGen.Benchmarks.Peers;

/// <summary>
/// A managed buffer whose first element sits on a 64-byte boundary: a pinned array (pinned object heap, so it never
/// moves) a little longer than needed, used from the first aligned element on. ONNX Runtime wraps the same memory.
/// </summary>
public sealed class AlignedBuffer<T> where T : unmanaged
{
    private const int Alignment = 64;
    private readonly T[] array;
    private readonly int offset;

    public unsafe AlignedBuffer(int length)
    {
        Length = length;
        array = GC.AllocateArray<T>(length + Alignment / sizeof(T), pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        offset = (int)((Alignment - address % Alignment) % Alignment) / sizeof(T);
    }

    public int Length { get; }
    public Span<T> Span => new(array, offset, Length);
    public Memory<T> Memory => new(array, offset, Length);

    public void CopyFrom(AlignedBuffer<T> source) => source.Span.CopyTo(Span);
    public T[] ToArray() => Span.ToArray();
}

/// <summary>
/// The inputs of one shape, shared read-only by every contender: x, dy and the layer's parameters and initial running
/// statistics. The same pseudo-random data as the main benchmarks (benchmarks/BnGen.Benchmarks/Case.cs, seed 1234).
/// </summary>
public sealed class ShapeData
{
    public const double Momentum = 0.1;
    public const double Epsilon = 1e-5;

    public ShapeData(Shape shape)
    {
        Shape = shape;
        var random = new Random(1234);
        X = Fill(random, shape.Count, 0.5, 2.0);
        Dy = Fill(random, shape.Count, 0.0, 1.0);
        Weight = Fill(random, shape.Features, 1.0, 0.2);
        Bias = Fill(random, shape.Features, 0.0, 0.2);
        RunningMean = Fill(random, shape.Features, 0.3, 0.2);
        RunningVar = new AlignedBuffer<float>(shape.Features);
        for (int c = 0; c < shape.Features; c++)
        {
            RunningVar.Span[c] = (float)(1.0 + random.NextDouble());
        }
    }

    public Shape Shape { get; }
    public AlignedBuffer<float> X { get; }
    public AlignedBuffer<float> Dy { get; }
    public AlignedBuffer<float> Weight { get; }
    public AlignedBuffer<float> Bias { get; }

    /// <summary>Running statistics before any training step: every contender starts from (and resets to) these.</summary>
    public AlignedBuffer<float> RunningMean { get; }
    public AlignedBuffer<float> RunningVar { get; }

    private static AlignedBuffer<float> Fill(Random random, int count, double mean, double spread)
    {
        var buffer = new AlignedBuffer<float>(count);
        Span<float> data = buffer.Span;
        for (int i = 0; i < count; i++)
        {
            // Sum of uniforms: bell-shaped, deterministic.
            double u = random.NextDouble() + random.NextDouble() + random.NextDouble() - 1.5;
            data[i] = (float)(mean + spread * 2.0 * u);
        }
        return buffer;
    }
}
