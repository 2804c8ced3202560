using BnGen;

namespace BnGen.Benchmarks.Peers;

// One generated layer per feature count and layout the shapes use (Shapes.cs), float, with the defaults of
// torch.nn.BatchNorm1d/2d: affine, running statistics, ε = 1e-5, momentum 0.1. The contender binds their static kernels.

[BatchNormLayer(64)]
public sealed partial class Nc64Float { }

[BatchNormLayer(1024)]
public sealed partial class Nc1024Float { }

[BatchNormLayer(17)]
public sealed partial class Nc17Float { }

[BatchNormLayer(64, BatchNormLayout.NCHW)]
public sealed partial class Nchw64Float { }

[BatchNormLayer(256, BatchNormLayout.NCHW)]
public sealed partial class Nchw256Float { }

[BatchNormLayer(16, BatchNormLayout.NCHW)]
public sealed partial class Nchw16Float { }

[BatchNormLayer(3, BatchNormLayout.NCHW)]
public sealed partial class Nchw3Float { }

// The NHWC shapes (Shapes.cs).
[BatchNormLayer(64, BatchNormLayout.NHWC)] public sealed partial class Nhwc64Float { }
