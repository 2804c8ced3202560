using System;

namespace BnGen.Samples.Mnist;

/// <summary>
/// Counts of (true class, predicted class) over a data set, and the scores derived from them. Per class c:
/// precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·TP / (2·TP + FP + FN) (0 when the class never occurs and
/// is never predicted); macro-F1 is the unweighted mean over the classes, as scikit-learn's
/// <c>f1_score(average="macro")</c> and Keras' <c>F1Score(average="macro")</c> compute it.
/// </summary>
public sealed class ConfusionMatrix(int classes)
{
    private readonly int[] _counts = new int[classes * classes];

    public int Classes { get; } = classes;
    public int Total { get; private set; }

    /// <summary>How often class <paramref name="actual"/> was predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => _counts[actual * Classes + predicted];

    public void Add(int actual, int predicted)
    {
        _counts[actual * Classes + predicted]++;
        Total++;
    }

    /// <summary>Adds one batch: the true labels and the arg-max of each row of the logits.</summary>
    public void AddBatch(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels)
    {
        for (int n = 0; n < labels.Length; n++) Add(labels[n], ArgMax(logits.Slice(n * Classes, Classes)));
    }

    public double Accuracy
    {
        get
        {
            int correct = 0;
            for (int c = 0; c < Classes; c++) correct += this[c, c];
            return Total == 0 ? 0 : (double)correct / Total;
        }
    }

    public double F1(int c)
    {
        int truePositive = this[c, c], predicted = 0, actual = 0;
        for (int k = 0; k < Classes; k++)
        {
            predicted += this[k, c];
            actual += this[c, k];
        }
        int denominator = predicted + actual; // = 2·TP + FP + FN
        return denominator == 0 ? 0 : 2.0 * truePositive / denominator;
    }

    public double MacroF1
    {
        get
        {
            double sum = 0;
            for (int c = 0; c < Classes; c++) sum += F1(c);
            return sum / Classes;
        }
    }

    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[best]) best = k;
        return best;
    }
}
