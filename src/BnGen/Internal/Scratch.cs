using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BnGen.Internal;

/// <summary>
/// Per-thread working memory for the kernels that need more than a few values per feature (NC sums, per-feature
/// coefficients, partial sums of row blocks for parallel calls). It lives on the pinned object heap, so pool threads
/// helping a parallel call can read it through a pointer, and it is allocated once per thread and size: a call in the
/// steady state allocates nothing.
/// </summary>
internal static unsafe class Scratch
{
    [ThreadStatic]
    private static double[]? t_doubles;

    /// <summary>At least <paramref name="count"/> doubles of this thread's scratch (contents undefined).</summary>
    public static double* Doubles(long count) => Doubles(ref t_doubles, count);

    /// <summary>
    /// At least <paramref name="count"/> doubles of <paramref name="array"/>, which is replaced by a larger pinned array when
    /// too small (contents undefined). A synchronized layer owns its array: its calls run user code (the all-reduce)
    /// between passes, and that code may call other layers on the same thread, which must not take this memory from it.
    /// </summary>
    public static double* Doubles(ref double[]? array, long count)
    {
        double[]? current = array;
        if (current is null || current.Length < count)
        {
            long size = Math.Max(count, current is null ? 256 : 2L * current.Length);
            current = GC.AllocateUninitializedArray<double>((int)Math.Min(size, Array.MaxLength), pinned: true);
            array = current;
        }
        return (double*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(current));
    }
}
