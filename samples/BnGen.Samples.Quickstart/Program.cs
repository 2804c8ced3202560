using System;
using BnGen.Samples.Quickstart;

var norm = new HiddenNorm();
float[] x = new float[4 * HiddenNorm.Features];
for (int i = 0; i < x.Length; i++) x[i] = i * 0.5f + (i % 3);
float[] y = new float[x.Length];
norm.Forward(x, y, 4);
Console.WriteLine(string.Join(", ", y));
Console.WriteLine(string.Join(", ", norm.RunningMean));
Console.WriteLine(string.Join(", ", norm.RunningVar));
