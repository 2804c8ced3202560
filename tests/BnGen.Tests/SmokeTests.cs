using Xunit;

namespace BnGen.Tests;

[BnGen.BatchNormLayer(2)]
public partial class SmokeNorm { }

public class SmokeTests
{
    [Fact]
    public void Textbook_NC_3x2_BatchMeanAndBiasedVariance()
    {
        // [[1,2],[3,4],[5,6]]: mean [3, 4], biased variance [8/3, 8/3].
        var layer = new SmokeNorm();
        float[] x = [1, 2, 3, 4, 5, 6];
        float[] y = new float[6];
        layer.Forward(x, y, 3);
        double invStd = 1 / System.Math.Sqrt(8.0 / 3.0 + 1e-5);
        Assert.Equal((1 - 3) * invStd, y[0], 1e-6);
        Assert.Equal((6 - 4) * invStd, y[5], 1e-6);
        // running mean 0.9·0 + 0.1·3; running var 0.9·1 + 0.1·(8/3·3/2 = 4)
        Assert.Equal(0.3f, layer.RunningMean[0], 1e-6f);
        Assert.Equal(0.9f + 0.4f, layer.RunningVar[1], 1e-6f);
    }
}
