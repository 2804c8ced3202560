using System;
using System.Numerics;

namespace BnGen.Benchmarks;

/// <summary>
/// The plain scalar implementation anyone would write first: channel by channel, two passes in double for the
/// statistics, then one pass for the output. Also the reference the smoke run checks the generated layers against.
/// </summary>
public static class Naive
{
    private static int Index(Case c, int n, int ch, int s) => (n * c.Features + ch) * c.Plane + s;

    public static void ForwardTraining<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)k.Batch * k.Plane;
        for (int c = 0; c < k.Features; c++)
        {
            double sum = 0;
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    sum += double.CreateTruncating(k.X[Index(k, n, c, s)]);
                }
            }
            double mean = sum / count;
            double squares = 0;
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    double d = double.CreateTruncating(k.X[Index(k, n, c, s)]) - mean;
                    squares += d * d;
                }
            }
            double invStd = 1.0 / Math.Sqrt(squares / count + Case<T>.Epsilon);
            k.SavedMean[c] = mean;
            k.SavedInvStd[c] = invStd;
            k.RunningMean[c] = T.CreateTruncating((1 - Case<T>.Factor) * double.CreateTruncating(k.RunningMean[c]) + Case<T>.Factor * mean);
            k.RunningVar[c] = T.CreateTruncating((1 - Case<T>.Factor) * double.CreateTruncating(k.RunningVar[c]) + Case<T>.Factor * squares / (count - 1));
            double w = double.CreateTruncating(k.Weight[c]);
            double b = double.CreateTruncating(k.Bias[c]);
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    int i = Index(k, n, c, s);
                    k.Y[i] = T.CreateTruncating((double.CreateTruncating(k.X[i]) - mean) * invStd * w + b);
                }
            }
        }
    }

    public static void ForwardInference<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < k.Features; c++)
        {
            double mean = double.CreateTruncating(k.RunningMean[c]);
            double invStd = 1.0 / Math.Sqrt(double.CreateTruncating(k.RunningVar[c]) + Case<T>.Epsilon);
            double w = double.CreateTruncating(k.Weight[c]);
            double b = double.CreateTruncating(k.Bias[c]);
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    int i = Index(k, n, c, s);
                    k.Y[i] = T.CreateTruncating((double.CreateTruncating(k.X[i]) - mean) * invStd * w + b);
                }
            }
        }
    }

    public static void BackwardTraining<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)k.Batch * k.Plane;
        for (int c = 0; c < k.Features; c++)
        {
            double mean = k.SavedMean[c];
            double invStd = k.SavedInvStd[c];
            double sumDy = 0, dot = 0;
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    int i = Index(k, n, c, s);
                    double g = double.CreateTruncating(k.Dy[i]);
                    sumDy += g;
                    dot += g * (double.CreateTruncating(k.X[i]) - mean);
                }
            }
            double w = double.CreateTruncating(k.Weight[c]);
            k.WeightGrad[c] = T.CreateTruncating(dot * invStd);
            k.BiasGrad[c] = T.CreateTruncating(sumDy);
            double meanDy = sumDy / count;
            double projection = dot * invStd * invStd / count;
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    int i = Index(k, n, c, s);
                    double xc = double.CreateTruncating(k.X[i]) - mean;
                    double g = double.CreateTruncating(k.Dy[i]);
                    k.Dx[i] = T.CreateTruncating((g - meanDy - xc * projection) * invStd * w);
                }
            }
        }
    }

    public static void BackwardInference<T>(Case<T> k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < k.Features; c++)
        {
            double mean = double.CreateTruncating(k.RunningMean[c]);
            double invStd = 1.0 / Math.Sqrt(double.CreateTruncating(k.RunningVar[c]) + Case<T>.Epsilon);
            double a = double.CreateTruncating(k.Weight[c]) * invStd;
            double sumDy = 0, dot = 0;
            for (int n = 0; n < k.Batch; n++)
            {
                for (int s = 0; s < k.Plane; s++)
                {
                    int i = Index(k, n, c, s);
                    double g = double.CreateTruncating(k.Dy[i]);
                    sumDy += g;
                    dot += g * (double.CreateTruncating(k.X[i]) - mean);
                    k.Dx[i] = T.CreateTruncating(g * a);
                }
            }
            k.WeightGrad[c] = T.CreateTruncating(dot * invStd);
            k.BiasGrad[c] = T.CreateTruncating(sumDy);
        }
    }
}
