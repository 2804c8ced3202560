using System;

namespace BnGen;

/// <summary>
/// An element-wise sum across the processes of a data-parallel job (<c>MPI_Allreduce</c> with <c>MPI_SUM</c>, an NCCL
/// all-reduce, or an in-process test double). A layer whose <c>SyncStatistics</c> is set calls it to normalize with the
/// statistics of the global batch.
/// </summary>
public interface IAllReduce
{
    /// <summary>
    /// Replaces every element of <paramref name="values"/> with its sum over all participating processes. Every process
    /// calls it with the same length, in the same order, and must receive the same bits (MPICH's <c>MPI_Allreduce</c>
    /// does): the layers decide from the sums whether to run another round. An exception (a peer died, a timeout)
    /// propagates to the layer's caller; the layer then leaves its state as it was before the call. It must not call
    /// BnGen layers or kernels on the calling thread: the calling layer's working memory is that thread's.
    /// </summary>
    /// <param name="values">This process's contribution on entry; the global sum on return.</param>
    void SumInPlace(Span<double> values);
}
