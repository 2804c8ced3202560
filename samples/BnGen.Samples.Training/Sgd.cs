using System.Collections.Generic;

namespace BnGen.Samples.Training;

/// <summary>SGD with momentum, PyTorch's formulation: v = μ·v + g; p = p − lr·v.</summary>
internal sealed class Sgd
{
    private readonly List<(float[] Param, float[] Grad, float[] Velocity)> _slots = new();

    public Sgd(double learningRate, double momentum)
    {
        LearningRate = (float)learningRate;
        Momentum = (float)momentum;
    }

    public float LearningRate { get; }
    public float Momentum { get; }

    public void Add(float[] parameter, float[] gradient) => _slots.Add((parameter, gradient, new float[parameter.Length]));

    public void Step()
    {
        foreach ((float[] p, float[] g, float[] v) in _slots)
        {
            for (int i = 0; i < p.Length; i++)
            {
                v[i] = Momentum * v[i] + g[i];
                p[i] -= LearningRate * v[i];
            }
        }
    }
}
