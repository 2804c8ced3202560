using System;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace BnGen.Tests.Accuracy;

/// <summary>
/// The places where ATen's kernels (<c>native/cpu</c>, built with AVX2/AVX-512 flags) write a·b + c in one expression,
/// which the compiler may fuse into one multiply-add.
/// </summary>
[Flags]
public enum AtenFma
{
    None = 0,

    /// <summary><c>beta[c] = bias_v - mean * alpha[c]</c> (batch_norm_cpu_collect_linear_and_constant_terms).</summary>
    Beta = 1,

    /// <summary><c>data_vec * alpha_vec + beta_vec</c>: y.</summary>
    Output = 2,

    /// <summary><c>y + (x - mean) * (x - mean)</c>: the NC statistics' scalar_t buffer.</summary>
    RowSquares = 4,

    /// <summary><c>dotp + (x - mean) * dy</c>: the NC backward's scalar_t buffer.</summary>
    RowDot = 8,

    /// <summary><c>acc + (x - mean) * dy</c> inside <c>vec::map2_reduce_all</c>: the NCHW backward's per-plane dot product.</summary>
    PlaneDot = 16,

    /// <summary><c>(dy - grad_mean) - (x - mean) * k</c>: the training gradInput, in full vectors.</summary>
    GradInput = 32,

    /// <summary>
    /// The same in the last <c>C % Vec::size()</c> channels of an NC row: the scalar-count tail of
    /// <c>batch_norm_cpu_backward_channels_last_impl</c>, which the build compiled differently for double.
    /// </summary>
    RowGradInputTail = 64,

    /// <summary>
    /// <c>_var_sum += (x - mean) * (x - mean)</c> in double (scalar_t = double): the compiler vectorizes blocks of
    /// <c>Vec::size()</c> values of each plane in order without fusing, and fuses the scalar remainder (and all of the
    /// strided loop over the rows that NC inputs with at least as many threads as rows take).
    /// </summary>
    SquaresRemainder = 128,
}

/// <summary>
/// How the simulated libtorch was built and run. The defaults are libtorch 2.10 as TorchSharp-cpu 0.107.0 ships it for
/// linux-x64, on one thread: its AVX2 kernels (also on AVX-512 machines), and the multiply-adds its compiler fused.
/// </summary>
/// <param name="FloatLanes">
/// Lanes of <c>at::vec::Vectorized&lt;float&gt;</c>: 8 for ATen's AVX2 kernels, 16 for its AVX-512 kernels
/// (<c>Vectorized&lt;double&gt;</c> has half as many). Decides the order of the float sums over a plane in the backward pass.
/// </param>
/// <param name="Threads">
/// <c>at::get_num_threads()</c>. Only the NC (plane 1 × 1) statistics and backward sums depend on it: ATen splits the
/// rows into that many chunks, sums each chunk in a <c>scalar_t</c> buffer and adds the chunks in double. With at
/// least as many threads as rows the statistics instead sum in <c>scalar_t</c> over all rows (C ≤ 16 or C > 2048) or in
/// double (16 &lt; C ≤ 2048).
/// </param>
/// <param name="Fused">Which a·b + c were fused; null: those libtorch 2.10's build fuses for this element type.</param>
public sealed record AtenOptions(int FloatLanes = 8, int Threads = 1, AtenFma? Fused = null)
{
    public static readonly AtenOptions Default = new();

    /// <summary>
    /// What libtorch 2.10 (TorchSharp-cpu 0.107.0, linux-x64) fuses, found by comparing bit for bit (docs/testing.md):
    /// every site of the float kernels; in the double kernels the same except the NC gradInput's tail channels, plus the
    /// scalar remainder of each plane's Σ (x − mean)².
    /// </summary>
    public static AtenFma Libtorch(bool isDouble)
    {
        const AtenFma common = AtenFma.Beta | AtenFma.Output | AtenFma.RowSquares | AtenFma.RowDot | AtenFma.PlaneDot | AtenFma.GradInput;
        return isDouble ? common | AtenFma.SquaresRemainder : common | AtenFma.RowGradInputTail;
    }

    public AtenFma FusedFor(bool isDouble) => Fused ?? Libtorch(isDouble);

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"lanes {FloatLanes}, threads {Threads}, fused {(Fused is null ? "as libtorch" : Fused.ToString())}");
}

/// <summary>
/// ATen's CPU batch normalization (libtorch 2.10) for <c>scalar_t</c> = <typeparamref name="T"/> (float or double),
/// operation by operation: which values are <c>scalar_t</c>, which are double (<c>accscalar_t = at::acc_type&lt;T, false&gt;</c>,
/// double for both), in ATen's order. Sources (pytorch/pytorch, <c>aten/src/ATen/native/</c>):
/// <list type="bullet">
/// <item><c>Normalization.cpp</c>: <c>batch_norm_cpu_update_stats_template</c> (saved statistics, running updates),
/// <c>batch_norm_cpu_transform_input_template</c>, <c>batch_norm_backward_cpu_template</c>, which hand contiguous
/// tensors to the kernels below;</item>
/// <item><c>cpu/batch_norm_kernel.cpp</c>: <c>batch_norm_cpu_collect_stats_contiguous_impl</c> and
/// <c>..._channels_last_impl</c> (the statistics), <c>batch_norm_cpu_collect_linear_and_constant_terms</c> and
/// <c>batch_norm_cpu_contiguous_impl</c> / <c>..._channels_last_impl</c> (y = x·α + β),
/// <c>batch_norm_cpu_backward_contiguous_impl</c> / <c>..._channels_last_impl</c>. An NC input (and any input whose
/// plane is 1 × 1) takes the channels-last functions ("NC11 is also channels last"), any other NCHW input the
/// contiguous ones;</item>
/// <item><c>aten/src/ATen/cpu/vec/functional_base.h</c>: <c>reduce_all</c>, <c>map2_reduce_all</c>, <c>vec_reduce_all</c>
/// and <c>VecReduceAllSIMD</c> (the order of the float sums in the contiguous backward).</item>
/// </list>
/// Tensors are NCHW with a plane of <c>plane</c> values (NC is plane 1). Saved statistics are <typeparamref name="T"/>,
/// as libtorch saves them for a <typeparamref name="T"/> input.
/// </summary>
public static class AtenBatchNorm<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private static double D(T value) => double.CreateTruncating(value);

    // double → scalar_t rounds to nearest, as a C++ conversion does.
    private static T S(double value) => T.CreateTruncating(value);

    // A count as C++ converts int64_t to scalar_t in `scalar_t / n` or `Vec(N)`.
    private static T Count(long n) => T.CreateTruncating(n);

    private static int Lanes(AtenOptions options) => typeof(T) == typeof(float) ? options.FloatLanes : options.FloatLanes / 2;

    private static bool IsFused(AtenFma site, AtenOptions options) => (options.FusedFor(typeof(T) == typeof(double)) & site) != 0;

    // a·b + c where the kernel writes it as one expression: fused where the build fused it.
    private static T MulAdd(T a, T b, T c, AtenFma site, AtenOptions options)
        => IsFused(site, options) ? T.FusedMultiplyAdd(a, b, c) : a * b + c;

    private static int Index(int features, int plane, int n, int c, int s) => (n * features + c) * plane + s;

    /// <summary>
    /// Training forward (<c>batch_norm_cpu</c> with train = true): statistics, then the saved statistics and running
    /// updates (<c>batch_norm_cpu_update_stats_template</c> with <c>InvStd</c>), then y = x·α + β.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardTraining(ReadOnlySpan<T> x, Span<T> y, int features, int batch, int plane, T[]? weight, T[]? bias,
        double eps, double momentum, T[]? runningMean, T[]? runningVar, T[] saveMean, T[] saveInvStd, AtenOptions options)
    {
        long n = (long)batch * plane;
        var mean = new T[features];
        var varSum = new T[features];
        CollectStats(x, features, batch, plane, mean, varSum, options);

        // batch_norm_cpu_update_stats_template, contiguous branch (Normalization.cpp, compiled without FMA flags):
        //   save_mean_a[f] = _mean_a[f];
        //   save_var_transform_a[f] = InvStd<accscalar_t>{}(_var_sum_a[f] / n, eps);      // scalar_t / int64_t: in scalar_t
        //   running_mean_a[f] = momentum_ * _mean_a[f] + (1 - momentum_) * running_mean_a[f];   // momentum_ = (param_t) momentum
        //   accscalar_t unbiased_var = _var_sum_a[f] / (n - 1);                               // in scalar_t, then widened
        //   running_var_a[f] = momentum_ * unbiased_var + (1 - momentum_) * running_var_a[f]; // double + (scalar_t product)
        T momentumT = S(momentum);
        for (int c = 0; c < features; c++)
        {
            saveMean[c] = mean[c];
            saveInvStd[c] = S(InvStd(D(varSum[c] / Count(n)), eps));
            if (runningMean is not null)
            {
                runningMean[c] = momentumT * mean[c] + (T.One - momentumT) * runningMean[c];
            }
            if (runningVar is not null)
            {
                double unbiased = D(varSum[c] / Count(n - 1));
                runningVar[c] = S(D(momentumT) * unbiased + D((T.One - momentumT) * runningVar[c]));
            }
        }
        Transform(x, y, features, batch, plane, weight, bias, saveMean, saveInvStd, train: true, eps, options);
    }

    /// <summary>Evaluation forward (<c>batch_norm_cpu</c> with train = false): y = x·α + β from the running statistics.</summary>
    public static void ForwardInference(ReadOnlySpan<T> x, Span<T> y, int features, int batch, int plane, T[]? weight, T[]? bias,
        double eps, T[] runningMean, T[] runningVar, AtenOptions options)
        => Transform(x, y, features, batch, plane, weight, bias, runningMean, runningVar, train: false, eps, options);

    /// <summary>
    /// <c>batch_norm_backward_cpu</c>: with train = true the statistics are <paramref name="saveMean"/> and
    /// <paramref name="saveInvStd"/>, otherwise the running statistics. Writes dx, and dγ = Σ dy·(x − mean)·invstd and
    /// dβ = Σ dy when their spans are given.
    /// </summary>
    public static void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int features, int batch, int plane, T[]? weight,
        bool train, double eps, T[]? runningMean, T[]? runningVar, T[]? saveMean, T[]? saveInvStd, T[]? gradWeight, T[]? gradBias,
        AtenOptions options)
    {
        if (plane == 1)
        {
            BackwardChannelsLast(x, dy, dx, features, batch, weight, train, eps, runningMean, runningVar, saveMean, saveInvStd,
                gradWeight, gradBias, options);
        }
        else
        {
            BackwardContiguous(x, dy, dx, features, batch, plane, weight, train, eps, runningMean, runningVar, saveMean, saveInvStd,
                gradWeight, gradBias, options);
        }
    }

    /// <summary>Normalization.cpp, <c>InvStd&lt;double&gt;</c>: 1 / sqrt(var + ε), or 0 when both are 0.</summary>
    private static double InvStd(double variance, double epsilon)
        => variance != 0 || epsilon != 0 ? 1d / Math.Sqrt(variance + epsilon) : 0d;

    /// <summary><c>batch_norm_cpu_collect_stats_kernel</c>: the mean and Σ (x − mean)², both stored as scalar_t.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CollectStats(ReadOnlySpan<T> x, int features, int batch, int plane, Span<T> mean, Span<T> varSum, AtenOptions options)
    {
        long n = (long)batch * plane;
        if (plane != 1)
        {
            // batch_norm_cpu_collect_stats_contiguous_impl:
            //   accscalar_t sum = 0; ... sum += input_data[offset];      scalar_t mean = sum / N;
            //   accscalar_t _var_sum = 0; ... auto x = input_data[offset]; _var_sum += (x - mean) * (x - mean);
            // The square is a scalar_t product added to a double (for double the same type: contracted when the build does).
            for (int c = 0; c < features; c++)
            {
                double sum = 0;
                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < plane; s++)
                    {
                        sum += D(x[Index(features, plane, b, c, s)]);
                    }
                }
                T m = S(sum / n);
                mean[c] = m;
                double squares = 0;
                int vectorized = plane - plane % Lanes(options);
                bool fuseRemainder = typeof(T) == typeof(double) && IsFused(AtenFma.SquaresRemainder, options);
                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < plane; s++)
                    {
                        T d = x[Index(features, plane, b, c, s)] - m;
                        squares = fuseRemainder && s >= vectorized ? Math.FusedMultiplyAdd(D(d), D(d), squares) : AccumulateSquare(squares, d);
                    }
                }
                varSum[c] = S(squares);
            }
            return;
        }

        // batch_norm_cpu_collect_stats_channels_last_impl over rows of `features` values.
        int threads = options.Threads;
        if (n > threads)
        {
            // Two-path reduction: a {num_threads, C} scalar_t buffer, at::parallel_for over the rows (each thread adds its
            // chunk of rows into its buffer row with vec::map2 / vec::map3), then each channel's buffer rows in double.
            var buffer = new T[threads * features];
            for (int t = 0; t < threads; t++)
            {
                var (begin, end) = Chunk(n, threads, t);
                for (long i = begin; i < end; i++)
                {
                    for (int c = 0; c < features; c++)
                    {
                        buffer[t * features + c] = x[(int)i * features + c] + buffer[t * features + c];   // [](Vec x, Vec y) { return x + y; }
                    }
                }
            }
            for (int c = 0; c < features; c++)
            {
                double sum = 0;
                for (int t = 0; t < threads; t++)
                {
                    sum += D(buffer[t * features + c]);
                }
                mean[c] = S(sum / n);
            }
            Array.Clear(buffer);
            for (int t = 0; t < threads; t++)
            {
                var (begin, end) = Chunk(n, threads, t);
                for (long i = begin; i < end; i++)
                {
                    for (int c = 0; c < features; c++)
                    {
                        // [](Vec x, Vec y, Vec mean) { return y + (x - mean) * (x - mean); }
                        T d = x[(int)i * features + c] - mean[c];
                        buffer[t * features + c] = MulAdd(d, d, buffer[t * features + c], AtenFma.RowSquares, options);
                    }
                }
            }
            for (int c = 0; c < features; c++)
            {
                double squares = 0;
                for (int t = 0; t < threads; t++)
                {
                    squares += D(buffer[t * features + c]);
                }
                varSum[c] = S(squares);
            }
        }
        else if (threads == 1 || features <= 16 || features > 2048)
        {
            // N <= num_threads, "Method 2": channels in tiles of 16, each tile's sums in scalar_t over the rows
            // (vec::map2 x + y into mean_data, then x / Vec(N); vec::map3 y + (x - mean) * (x - mean) into var_sum_data).
            for (int c = 0; c < features; c++)
            {
                T sum = T.Zero;
                for (int t = 0; t < n; t++)
                {
                    sum = x[t * features + c] + sum;
                }
                mean[c] = sum / Count(n);
            }
            for (int c = 0; c < features; c++)
            {
                T squares = T.Zero;
                for (int t = 0; t < n; t++)
                {
                    T d = x[t * features + c] - mean[c];
                    squares = MulAdd(d, d, squares, AtenFma.RowSquares, options);
                }
                varSum[c] = squares;
            }
        }
        else
        {
            // N <= num_threads, "Method 1" (16 < C <= 2048): per channel an accscalar_t sum over the rows; then
            //   _var_sum += (input_data[t * n_channel + c] - mean_data[c]) * (input_data[t * n_channel + c] - mean_data[c]);
            for (int c = 0; c < features; c++)
            {
                double sum = 0;
                for (int t = 0; t < n; t++)
                {
                    sum += D(x[t * features + c]);
                }
                mean[c] = S(sum / n);
            }
            // This strided loop is not vectorized: for double all of it is "remainder" (fused).
            bool fuse = typeof(T) == typeof(double) && IsFused(AtenFma.SquaresRemainder, options);
            for (int c = 0; c < features; c++)
            {
                double squares = 0;
                for (int t = 0; t < n; t++)
                {
                    T d = x[t * features + c] - mean[c];
                    squares = fuse ? Math.FusedMultiplyAdd(D(d), D(d), squares) : AccumulateSquare(squares, d);
                }
                varSum[c] = S(squares);
            }
        }
    }

    /// <summary>
    /// <c>_var_sum += d * d</c> with a double accumulator, unfused: for float the float square is rounded, then widened;
    /// for double see <see cref="AtenFma.SquaresRemainder"/>.
    /// </summary>
    private static double AccumulateSquare(double sum, T d) => sum + D(d * d);

    /// <summary>
    /// <c>batch_norm_cpu_collect_linear_and_constant_terms</c> and the y = x·α + β loops of
    /// <c>batch_norm_cpu_contiguous_impl</c> / <c>batch_norm_cpu_channels_last_impl</c> (opmath_t = scalar_t for float
    /// and double).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transform(ReadOnlySpan<T> x, Span<T> y, int features, int batch, int plane, T[]? weight, T[]? bias,
        T[] meanOrRunningMean, T[] invStdOrRunningVar, bool train, double eps, AtenOptions options)
    {
        for (int c = 0; c < features; c++)
        {
            // if (train) { mean = save_mean_a[c]; invstd = save_invstd_a[c]; }
            // else { mean = running_mean_a[c]; invstd = 1 / std::sqrt(running_var_a[c] + static_cast<opmath_t>(eps)); }
            T mean, invStd;
            if (train)
            {
                mean = meanOrRunningMean[c];
                invStd = invStdOrRunningVar[c];
            }
            else
            {
                mean = meanOrRunningMean[c];
                invStd = T.One / T.Sqrt(invStdOrRunningVar[c] + S(eps));
            }
            T w = weight is null ? T.One : weight[c];
            T b = bias is null ? T.Zero : bias[c];
            T alpha = invStd * w;                               // alpha[c] = invstd * weight_v;
            T beta = MulAdd(-mean, alpha, b, AtenFma.Beta, options);          // beta[c] = bias_v - mean * alpha[c];
            for (int n = 0; n < batch; n++)
            {
                for (int s = 0; s < plane; s++)
                {
                    int i = Index(features, plane, n, c, s);
                    y[i] = MulAdd(x[i], alpha, beta, AtenFma.Output, options);  // data_vec * alpha_vec + beta_vec
                }
            }
        }
    }

    /// <summary><c>batch_norm_cpu_backward_contiguous_impl</c> (plane &gt; 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardContiguous(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int features, int batch, int plane, T[]? weight,
        bool train, double eps, T[]? runningMean, T[]? runningVar, T[]? saveMean, T[]? saveInvStd, T[]? gradWeight, T[]? gradBias,
        AtenOptions options)
    {
        long n = (long)batch * plane;
        int lanes = Lanes(options);
        var products = new T[plane];
        for (int c = 0; c < features; c++)
        {
            T w = weight is null ? T.One : weight[c];
            T mean, invStd;
            if (train)
            {
                mean = saveMean![c];
                invStd = saveInvStd![c];
            }
            else
            {
                // invstd = 1 / std::sqrt(running_var_a[c] + eps);   eps is double: computed in double, stored as scalar_t
                mean = runningMean![c];
                invStd = S(1d / Math.Sqrt(D(runningVar![c]) + eps));
            }

            // Per (sample, channel) plane: sum += vec::reduce_all(dy) and dotp += vec::map2_reduce_all((x - mean) * dy),
            // each a scalar_t reduction, added to a double.
            double sum = 0, dot = 0;
            for (int b = 0; b < batch; b++)
            {
                int start = Index(features, plane, b, c, 0);
                sum += D(ReduceAll(dy.Slice(start, plane), lanes));
                dot += D(DotReduceAll(x.Slice(start, plane), dy.Slice(start, plane), mean, products, lanes, options));
            }

            if (train)
            {
                // scalar_t k = (scalar_t) dotp * invstd * invstd / N;   (the cast binds to dotp: all in scalar_t)
                // scalar_t grad_mean = sum / N;                          (in double, then stored)
                T k = S(dot) * invStd * invStd / Count(n);
                T gradMean = S(sum / n);
                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < plane; s++)
                    {
                        int i = Index(features, plane, b, c, s);
                        dx[i] = TrainingGradInput(x[i], dy[i], mean, k, gradMean, invStd, w, rowTail: false, options);
                    }
                }
            }
            else
            {
                for (int b = 0; b < batch; b++)
                {
                    for (int s = 0; s < plane; s++)
                    {
                        int i = Index(features, plane, b, c, s);
                        dx[i] = dy[i] * invStd * w;                     // dy * Vec(invstd) * Vec(w)
                    }
                }
            }
            if (gradWeight is not null)
            {
                gradWeight[c] = S(dot * D(invStd));                      // grad_weight_data[c] = dotp * invstd;
            }
            if (gradBias is not null)
            {
                gradBias[c] = S(sum);                                   // grad_bias_data[c] = sum;
            }
        }
    }

    /// <summary>
    /// <c>Vec dx = (x - Vec(mean)) * Vec(k); return (dy - Vec(grad_mean) - dx) * Vec(invstd) * Vec(w);</c>
    /// A fused build turns (dy − grad_mean) − (x − mean)·k into one negative multiply-add.
    /// </summary>
    private static T TrainingGradInput(T x, T dy, T mean, T k, T gradMean, T invStd, T w, bool rowTail, AtenOptions options)
    {
        T centered = x - mean;
        T difference = MulAdd(-centered, k, dy - gradMean, rowTail ? AtenFma.RowGradInputTail : AtenFma.GradInput, options);
        return difference * invStd * w;
    }

    /// <summary><c>batch_norm_cpu_backward_channels_last_impl</c> (plane 1: NC and 1 × 1 planes), rows of <c>features</c> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardChannelsLast(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, int features, int batch, T[]? weight,
        bool train, double eps, T[]? runningMean, T[]? runningVar, T[]? saveMean, T[]? saveInvStd, T[]? gradWeight, T[]? gradBias,
        AtenOptions options)
    {
        long n = batch;
        var mean = new T[features];
        var invStd = new T[features];
        var w = new T[features];
        for (int c = 0; c < features; c++)
        {
            w[c] = weight is null ? T.One : weight[c];        // weight_ = weight.defined() ? weight : at::ones(...)
            if (train)
            {
                mean[c] = saveMean![c];
                invStd[c] = saveInvStd![c];
            }
            else
            {
                // invstd_ptr[c] = 1 / std::sqrt(running_var_data[c] + eps);
                mean[c] = runningMean![c];
                invStd[c] = S(1d / Math.Sqrt(D(runningVar![c]) + eps));
            }
        }

        // A {2, num_threads, C} scalar_t buffer: each thread adds its chunk of rows (sum + dy; dotp + (x - mean) * dy),
        // then each channel's thread rows are added in double and stored back as scalar_t.
        int threads = (int)Math.Min(options.Threads, n);
        var sums = new T[threads * features];
        var dots = new T[threads * features];
        for (int t = 0; t < threads; t++)
        {
            var (begin, end) = Chunk(n, threads, t);
            for (long i = begin; i < end; i++)
            {
                for (int c = 0; c < features; c++)
                {
                    int r = (int)i * features + c;
                    sums[t * features + c] = sums[t * features + c] + dy[r];      // [](Vec sum, Vec dy) { return sum + dy; }
                    dots[t * features + c] = MulAdd(x[r] - mean[c], dy[r], dots[t * features + c], AtenFma.RowDot, options);   // dotp + (x - mean) * dy
                }
            }
        }
        // Threads beyond the number of rows hold zeros: adding them changes nothing, so only `threads` rows are summed.
        var sum = new T[features];
        var dot = new T[features];
        for (int c = 0; c < features; c++)
        {
            double s = 0, d = 0;
            for (int t = 0; t < threads; t++)
            {
                s += D(sums[t * features + c]);
            }
            for (int t = 0; t < threads; t++)
            {
                d += D(dots[t * features + c]);
            }
            sum[c] = S(s);
            dot[c] = S(d);
        }

        T count = Count(n);
        int vectorized = features - features % Lanes(options);
        for (int i = 0; i < batch; i++)
        {
            for (int c = 0; c < features; c++)
            {
                int r = i * features + c;
                if (train)
                {
                    // Vec k = dotp * invstd * invstd / Vec(N); Vec grad_mean = sum / Vec(N); all in scalar_t
                    T k = dot[c] * invStd[c] * invStd[c] / count;
                    T gradMean = sum[c] / count;
                    dx[r] = TrainingGradInput(x[r], dy[r], mean[c], k, gradMean, invStd[c], w[c], rowTail: c >= vectorized, options);
                }
                else
                {
                    dx[r] = dy[r] * invStd[c] * w[c];
                }
            }
        }
        for (int c = 0; c < features; c++)
        {
            if (gradWeight is not null)
            {
                gradWeight[c] = dot[c] * invStd[c];                 // [](Vec dotp, Vec invstd) { return dotp * invstd; }
            }
            if (gradBias is not null)
            {
                gradBias[c] = sum[c];
            }
        }
    }

    /// <summary>
    /// The rows thread t handles in <c>at::parallel_for(0, N, 1, f)</c> (OpenMP, <c>invoke_parallel</c>): with one
    /// thread all of them; otherwise min(threads, N) chunks of ceil(N / chunks) rows, chunk t on thread t (its buffer
    /// row). A thread past the end gets none.
    /// </summary>
    private static (long Begin, long End) Chunk(long n, int threads, int t)
    {
        long chunks = Math.Min(threads, n);
        long size = (n + chunks - 1) / chunks;
        long begin = t * size;
        return begin < n ? (begin, Math.Min(n, begin + size)) : (n, n);
    }

    /// <summary>
    /// <c>vec::reduce_all&lt;scalar_t&gt;([](Vec&amp; x, Vec&amp; y) { return x + y; }, data, size)</c>: lane j sums
    /// elements j, j + lanes, ...; a short input is summed lane by lane in order (the slow <c>vec_reduce_all</c>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T ReduceAll(ReadOnlySpan<T> data, int lanes)
    {
        int size = data.Length;
        if (size < lanes)
        {
            return SequentialLanes(data);
        }
        Span<T> acc = stackalloc T[lanes];
        data.Slice(0, lanes).CopyTo(acc);
        int d = lanes;
        for (; d < size - size % lanes; d += lanes)
        {
            for (int j = 0; j < lanes; j++)
            {
                acc[j] = acc[j] + data[d + j];
            }
        }
        // Vec::set(acc_vec, vec_fun(acc_vec, data_vec), size - d): the first size - d lanes take the sum.
        for (int j = 0; j < size - d; j++)
        {
            acc[j] = acc[j] + data[d + j];
        }
        return ReduceLanes(acc);
    }

    /// <summary>
    /// <c>vec::map2_reduce_all&lt;scalar_t&gt;([mean](Vec x, Vec dy) { return (x - Vec(mean)) * dy; }, [](Vec x, Vec y)
    /// { return x + y; }, x, dy, size)</c>. With contraction, acc + (x − mean)·dy is one FMA per lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static T DotReduceAll(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, T mean, T[] products, int lanes, AtenOptions options)
    {
        int size = x.Length;
        if (size < lanes)
        {
            Span<T> mapped = products.AsSpan(0, size);
            for (int j = 0; j < size; j++)
            {
                mapped[j] = (x[j] - mean) * dy[j];
            }
            return SequentialLanes(mapped);
        }
        Span<T> acc = stackalloc T[lanes];
        for (int j = 0; j < lanes; j++)
        {
            acc[j] = (x[j] - mean) * dy[j];
        }
        int d = lanes;
        for (; d < size - size % lanes; d += lanes)
        {
            for (int j = 0; j < lanes; j++)
            {
                acc[j] = MulAdd(x[d + j] - mean, dy[d + j], acc[j], AtenFma.PlaneDot, options);
            }
        }
        for (int j = 0; j < size - d; j++)
        {
            acc[j] = MulAdd(x[d + j] - mean, dy[d + j], acc[j], AtenFma.PlaneDot, options);
        }
        return ReduceLanes(acc);
    }

    /// <summary>The slow <c>vec_reduce_all(vec_fun, acc_vec, size)</c>: lane 0 adds lanes 1, 2, ... in order.</summary>
    private static T SequentialLanes(ReadOnlySpan<T> lanes)
    {
        T acc = lanes.Length == 0 ? T.Zero : lanes[0];
        for (int i = 1; i < lanes.Length; i++)
        {
            acc += lanes[i];
        }
        return acc;
    }

    /// <summary>
    /// <c>vec_reduce_all(vec_fun, acc_vec)</c> over a full vector. For float, <c>VecReduceAllSIMD</c> is a butterfly:
    /// AVX2 adds the 128-bit halves, then pairs 2 apart, then neighbours (lane i meets i ^ 4, i ^ 2, i ^ 1); AVX-512
    /// starts with i ^ 8. For double there is no specialization: lane 0 adds lanes 1 … W−1 in order.
    /// </summary>
    private static T ReduceLanes(Span<T> acc)
    {
        if (typeof(T) != typeof(float))
        {
            return SequentialLanes(acc);
        }
        Span<T> next = stackalloc T[acc.Length];
        for (int distance = acc.Length / 2; distance >= 1; distance /= 2)
        {
            for (int i = 0; i < acc.Length; i++)
            {
                next[i] = acc[i] + acc[i ^ distance];
            }
            next.CopyTo(acc);
        }
        return acc[0];
    }
}
