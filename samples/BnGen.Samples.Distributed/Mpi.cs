using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using MPI;

namespace BnGen.Samples.Distributed;

/// <summary>
/// BnGen's <see cref="IAllReduce"/> over MPI: <c>MPI_Allreduce</c> with <c>MPI_SUM</c> on doubles, through MPI.NET's
/// <c>Allreduce(T[], op, ref T[])</c> into existing arrays (one pair per length, kept), so that only arrays of doubles
/// cross the wire: MPI.NET would serialize other types with BinaryFormatter, which .NET 10 no longer has.
/// </summary>
internal sealed class MpiAllReduce(Intracommunicator communicator) : IAllReduce
{
    private readonly Dictionary<int, (double[] Send, double[] Receive)> _buffers = new();

    /// <summary>Rounds so far, and the doubles they carried.</summary>
    public long Calls { get; private set; }

    public long Values { get; private set; }

    public void SumInPlace(Span<double> values)
    {
        if (!_buffers.TryGetValue(values.Length, out (double[] Send, double[] Receive) buffers))
        {
            buffers = (new double[values.Length], new double[values.Length]);
            _buffers.Add(values.Length, buffers);
        }
        values.CopyTo(buffers.Send);
        double[] receive = buffers.Receive;
        // MPI forbids aliased send and receive buffers (without MPI_IN_PLACE): two arrays. The receive array has the
        // right length, so MPI.NET writes into it instead of allocating another.
        communicator.Allreduce(buffers.Send, Operation<double>.Add, ref receive);
        receive.CopyTo(values);
        Calls++;
        Values += values.Length;
    }
}

/// <summary>The reducer of a one-process run without MPI: the sum over one process is the values themselves.</summary>
internal sealed class OneProcess : IAllReduce
{
    public void SumInPlace(Span<double> values)
    {
    }
}

/// <summary>Starting MPI (MPICH through MPI.NET), or finding out that it cannot start.</summary>
internal static class MpiRuntime
{
    /// <summary>MPICH's shared library (Debian 12: package libmpich12, pulled in by <c>apt-get install mpich</c>).</summary>
    public const string Mpich = "libmpich.so.12";

    /// <summary>
    /// The environment variable that names another library with MPICH's ABI instead (a path or a name for dlopen): a
    /// cluster's own MPICH build, Intel MPI, Cray MPICH or MVAPICH (their <c>libmpi.so.12</c>).
    /// </summary>
    public const string LibraryVariable = "BNGEN_MPI_LIBRARY";

    /// <summary>The library in use: <see cref="LibraryVariable"/> when set, else <see cref="Mpich"/>.</summary>
    public static string Library => OperatingSystem.IsWindows() ? "msmpi.dll"
        : System.Environment.GetEnvironmentVariable(LibraryVariable) is { Length: > 0 } library ? library : Mpich;

    /// <summary>
    /// Makes MPI.NET's <c>msmpi.dll</c> imports load MPICH on Linux and macOS: MPI.NET 1.4.0 is built against MS-MPI, whose
    /// handle values (MPI_COMM_WORLD = 0x44000000, MPI_DOUBLE, MPI_SUM, …) are MPICH's, so the same calls work on MPICH.
    /// (Open MPI's handles are pointers: it does not work.) Returns false, with the reason, when MPICH is not installed.
    /// </summary>
    public static bool TryUseMpich(out string? problem)
    {
        problem = null;
        if (OperatingSystem.IsWindows())
        {
            return true; // msmpi.dll is MS-MPI's own name
        }
        if (!NativeLibrary.TryLoad(Library, out IntPtr handle))
        {
            problem = Library == Mpich ? $"MPICH's {Mpich} was not found" : $"{LibraryVariable}={Library} could not be loaded";
            return false;
        }
        NativeLibrary.SetDllImportResolver(typeof(MPI.Environment).Assembly,
            (name, _, _) => name == "msmpi.dll" ? handle : IntPtr.Zero);
        return true;
    }

    /// <summary>
    /// The process count the launcher meant, when a launcher started us: MPICH's Hydra sets PMI_SIZE, Open MPI's mpiexec
    /// OMPI_COMM_WORLD_SIZE (with MPICH loaded, each such process would then see a world of one).
    /// </summary>
    public static (int Size, string Launcher)? Launched()
    {
        if (int.TryParse(System.Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), out int ompi))
        {
            return (ompi, "Open MPI's mpiexec");
        }
        if (int.TryParse(System.Environment.GetEnvironmentVariable("PMI_SIZE"), out int pmi))
        {
            return (pmi, "mpiexec");
        }
        return null;
    }
}
