using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace BnGen.Internal;

/// <summary>
/// A small fork-join over the thread pool that allocates nothing per call: the calling thread and up to
/// <c>degree − 1</c> pool threads take numbered parts of one job until none is left. Which thread runs a part never
/// matters: every part writes its own outputs, and sums are combined afterwards in part order by the caller.
/// </summary>
internal static unsafe class ForkJoin
{
    /// <summary>The degree a caller asked for, resolved: -1 is every core.</summary>
    public static int Resolve(int maxDegreeOfParallelism)
        => maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;

    /// <summary>Runs <paramref name="body"/>(job, p) for p = 0 … parts − 1, on up to <paramref name="degree"/> threads.</summary>
    public static void Run(void* job, delegate*<void*, int, void> body, int parts, int degree)
    {
        if (degree <= 1 || parts <= 1)
        {
            for (int p = 0; p < parts; p++)
            {
                body(job, p);
            }
            return;
        }
        (t_batch ??= new Batch()).Run(job, body, parts, Math.Min(degree, parts) - 1);
    }

    [ThreadStatic]
    private static Batch? t_batch;

    /// <summary>
    /// One calling thread's reusable fork-join state. It is itself the work item queued for the helpers; a helper that
    /// runs late (after the call it was queued for has returned) finds the batch closed, or helps whichever call is
    /// open, and never touches a finished call's job.
    /// </summary>
    private sealed class Batch : IThreadPoolWorkItem
    {
        private void* _job;
        private delegate*<void*, int, void> _body;
        private int _parts;
        private int _next;
        private int _open;
        private int _active;

        // Helpers queued and not yet started, and helpers that finished a call and linger for the next one. A call
        // queues only the helpers it misses: those still queued from earlier calls, and those lingering, will help it
        // (or whichever call is open when they start), so however slowly the pool runs them, this thread never has more
        // than one call's worth in the pool's queue, and the queue never grows (and allocates).
        private int _queued;
        private int _lingering;
        private Exception? _error;

        public void Run(void* job, delegate*<void*, int, void> body, int parts, int helpers)
        {
            _job = job;
            _body = body;
            _parts = parts;
            _next = 0;
            _error = null;
            // Open with a full fence before counting the helpers still queued: one that is counted here has not yet
            // decremented _queued, so (its decrement being a full fence too) it will find this call open.
            Interlocked.Exchange(ref _open, 1);
            for (int queued = Volatile.Read(ref _queued) + Volatile.Read(ref _lingering); queued < helpers; queued++)
            {
                Interlocked.Increment(ref _queued);
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
            Work();
            // Close (a full fence: a helper that counted itself active before this either sees the batch closed or is
            // waited for), then wait for the helpers still inside a part. Late helpers find the batch closed.
            Interlocked.Exchange(ref _open, 0);
            var spin = default(SpinWait);
            while (Volatile.Read(ref _active) != 0)
            {
                spin.SpinOnce();
            }
            Exception? error = _error;
            _job = null;
            if (error is not null)
            {
                _error = null;
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }

        /// <summary>
        /// How long a helper waits for this thread's next call before it returns to the pool. A pool thread that has gone
        /// to sleep takes tens of microseconds or more to wake (more on a virtual machine), as long as a whole pass over
        /// a mid-sized tensor: without the wait the second core would rarely join the passes of one call (statistics,
        /// then normalize) or of a training step. The wait spins on one flag, at most this long after each call.
        /// </summary>
        private static readonly long LingerTicks = System.Diagnostics.Stopwatch.Frequency / 5000;   // 200 µs

        public void Execute()
        {
            Interlocked.Increment(ref _lingering);
            Interlocked.Decrement(ref _queued);
            while (true)
            {
                Help();
                // Linger: wait for the call after this one (or for the rest of this one, if it is still open). Counted in
                // _lingering, so that Run queues no helper for it.
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + LingerTicks;
                while (Volatile.Read(ref _open) == 0 || Volatile.Read(ref _next) >= Volatile.Read(ref _parts))
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() > deadline)
                    {
                        Interlocked.Decrement(ref _lingering);
                        // A call that opened while this helper left counted it: help once more if one is open.
                        Help();
                        return;
                    }
                    Thread.SpinWait(20);
                }
            }
        }

        /// <summary>Takes parts of the open call, if one is open, counted in <c>_active</c> so that its caller waits for them.</summary>
        private void Help()
        {
            Interlocked.Increment(ref _active);
            try
            {
                if (Volatile.Read(ref _open) == 1)
                {
                    Work();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _active);
            }
        }

        private void Work()
        {
            int p;
            while ((p = Interlocked.Increment(ref _next) - 1) < _parts)
            {
                try
                {
                    _body(_job, p);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
            }
        }
    }
}
