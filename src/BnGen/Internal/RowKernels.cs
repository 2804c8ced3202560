using System.Runtime.CompilerServices;

namespace BnGen.Internal;

/// <summary>
/// The NC and NHWC passes: the tensor is <c>Rows</c> rows of <c>Features</c> values, the channel innermost. Sums run down
/// the columns, block of rows by block of rows (<c>RowBlock</c> rows, chosen from the shape alone): each block's sums start
/// from +0 and are added to the totals in block order, whether one thread runs the blocks in order or several run them at
/// once into separate partials that the caller then adds in the same order. The element-wise passes take any rows.
/// </summary>
internal static unsafe class RowKernels<T, TLayer, TAct>
    where T : unmanaged
    where TLayer : unmanaged, ILayerConstants
    where TAct : struct, IActivation
{
    /// <summary>Target size of a row block's values (bytes): the block stays in L2 while its columns are walked.</summary>
    private const int BlockBytes = 128 * 1024;

    /// <summary>At most this many row blocks (fewer, larger blocks for tall tensors keep the partial sums small).</summary>
    private const int MaxBlocks = 256;

    /// <summary>Rows per block for a shape: a function of rows, features and the element size only.</summary>
    public static nint RowBlock(nint rows, int features)
    {
        nint block = BlockBytes / ((nint)features * Unsafe.SizeOf<T>());
        if (block < 1)
        {
            block = 1;
        }
        nint fewest = (rows + MaxBlocks - 1) / MaxBlocks;
        if (block < fewest)
        {
            block = fewest;
        }
        return block < rows ? block : rows;
    }

    /// <summary>Σ (x − pivot), Σ (x − pivot)² of row block <paramref name="b"/>, into the totals or its partial.</summary>
    public static void StatisticsBlock(void* job, int b)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Block(ref j, b, out nint first, out nint count, out double* sums, out double* squares);
        ColumnSums.Statistics(ref j.X[first * j.Features], count, j.Features, ref *j.Pivots, ref *sums, ref *squares);
    }

    /// <summary>Σ dy', Σ dy' · (x − mean) of row block <paramref name="b"/>, into the totals or its partial.</summary>
    public static void GradientBlock(void* job, int b)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Block(ref j, b, out nint first, out nint count, out double* sums, out double* squares);
        nint at = first * j.Features;
        ColumnSums.Gradients<T, TAct>(ref j.X[at], ref j.Dy[at], ref Unsafe.NullRef<T>(), count, j.Features, ref *j.Mean,
            ref Coefficient(j.Scales), ref Coefficient(j.Shifts), ref Unsafe.NullRef<T>(), ref *sums, ref *squares);
    }

    /// <summary>The evaluation backward of row block <paramref name="b"/> with its gradient sums, in one pass.</summary>
    public static void EvalGradientBlock(void* job, int b)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Block(ref j, b, out nint first, out nint count, out double* sums, out double* squares);
        nint at = first * j.Features;
        ColumnSums.Gradients<T, TAct>(ref j.X[at], ref j.Dy[at], ref j.Dx[at], count, j.Features, ref *j.Mean,
            ref Coefficient(j.Scales), ref Coefficient(j.Shifts), ref *j.TermFactor, ref *sums, ref *squares);
    }

    /// <summary>y = act((x − center) · scale + shift) over the rows of block <paramref name="b"/>, per-feature coefficients.</summary>
    public static void NormalizeBlock(void* job, int b)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Rows(ref j, b, out nint first, out nint end);
        nint features = j.Layer.Features;
        Elementwise.AffineRows<T, TAct>(ref j.X[first * features], ref j.Y[first * features], end - first, features, ref *j.Centers,
            ref *j.Scales, ref *j.Shifts);
    }

    /// <summary>The training dx over the rows of block <paramref name="b"/>, per-feature terms in the Term arrays.</summary>
    public static void TrainingDxBlock(void* job, int b)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Rows(ref j, b, out nint first, out nint end);
        nint features = j.Layer.Features;
        var terms = new DxRows<T>
        {
            Mean = ref *j.TermMean, Offset = ref *j.TermOffset, NegK = ref *j.TermNegK, Factor = ref *j.TermFactor,
            Scale = ref Coefficient(j.Scales), Shift = ref Coefficient(j.Shifts),
        };
        nint at = first * features;
        Elementwise.TrainingDxRows<T, TAct>(ref j.X[at], ref j.Dy[at], ref j.Dx[at], end - first, features, terms);
    }

    /// <summary>dx = dy' · γ · invStd over the rows of block <paramref name="b"/> (evaluation, no gradient sums).</summary>
    public static void EvalDxBlock(void* job, int b)
    {
        ref Job<T, TLayer> j = ref Unsafe.AsRef<Job<T, TLayer>>(job);
        Rows(ref j, b, out nint first, out nint end);
        nint features = j.Layer.Features;
        nint at = first * features;
        Elementwise.EvalDxRows<T, TAct>(ref j.X[at], ref j.Dy[at], ref j.Dx[at], end - first, features, ref *j.TermFactor,
            ref Coefficient(j.Centers), ref Coefficient(j.Scales), ref Coefficient(j.Shifts));
    }

    /// <summary>The ReLU gate's coefficients exist only with ReLU; without, a null reference that is never read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T Coefficient(T* values) => ref TAct.Relu ? ref *values : ref Unsafe.NullRef<T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows(ref Job<T, TLayer> j, int b, out nint first, out nint end)
    {
        first = b * j.RowBlock;
        end = first + j.RowBlock;
        if (end > j.Rows)
        {
            end = j.Rows;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block(ref Job<T, TLayer> j, int b, out nint first, out nint count, out double* sums, out double* squares)
    {
        Rows(ref j, b, out first, out nint end);
        count = end - first;
        if (j.Partials == null)
        {
            // One thread, blocks in order: add straight to the totals.
            sums = j.Sums;
            squares = j.Squares;
        }
        else
        {
            sums = j.Partials + 2L * b * j.Features;
            squares = sums + j.Features;
        }
    }
}
