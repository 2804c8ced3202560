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
    public static double* Doubles(long count)
    {
        double[]? array = t_doubles;
        if (array is null || array.Length < count)
        {
            long size = Math.Max(count, array is null ? 256 : 2L * array.Length);
            array = GC.AllocateUninitializedArray<double>((int)Math.Min(size, Array.MaxLength), pinned: true);
            t_doubles = array;
        }
        return (double*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
    }
}
