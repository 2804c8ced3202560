using System;

namespace BnGen.Samples.Training;

/// <summary>The classification loss shared by the samples.</summary>
internal static class Loss
{
    /// <summary>Mean softmax cross-entropy; writes dLoss/dLogits = (softmax − onehot) / batch.</summary>
    public static double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, Span<float> grad,
        int batch, int classes, out int correct)
        => SoftmaxCrossEntropy(logits, labels, grad, batch, classes, batch, out correct);

    /// <summary>
    /// Σ cross-entropy / <paramref name="divisor"/> over these <paramref name="batch"/> rows; writes dLoss/dLogits =
    /// (softmax − onehot) / divisor. With the global batch size as divisor, the processes of a data-parallel job each hold
    /// their slice's share of the global mean loss and of its gradient.
    /// </summary>
    public static double SoftmaxCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, Span<float> grad,
        int batch, int classes, int divisor, out int correct)
    {
        double loss = 0;
        correct = 0;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            Span<float> gradRow = grad.Slice(n * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
            if (best == labels[n]) correct++;
            // Subtract the maximum so that exp never overflows.
            double max = row[best], sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.Exp(row[k] - max);
            loss += Math.Log(sum) - (row[labels[n]] - max);
            for (int k = 0; k < classes; k++)
            {
                double p = Math.Exp(row[k] - max) / sum;
                gradRow[k] = (float)((p - (k == labels[n] ? 1 : 0)) / divisor);
            }
        }
        return loss / divisor;
    }
}
