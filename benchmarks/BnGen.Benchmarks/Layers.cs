using BnGen;

namespace BnGen.Benchmarks;

// Generated layers need their feature count, layout and element type at compile time: one class per combination the
// benchmark shapes use. Defaults otherwise (affine, running statistics, ε = 1e-5, momentum 0.1), as torch.nn.BatchNorm*d.

[BatchNormLayer(64)]
public sealed partial class Nc64Float { }

[BatchNormLayer(1024)]
public sealed partial class Nc1024Float { }

[BatchNormLayer(17)]
public sealed partial class Nc17Float { }

[BatchNormLayer(64, ElementType = typeof(double))]
public sealed partial class Nc64Double { }

[BatchNormLayer(64, BatchNormLayout.NCHW)]
public sealed partial class Nchw64Float { }

[BatchNormLayer(256, BatchNormLayout.NCHW)]
public sealed partial class Nchw256Float { }

[BatchNormLayer(16, BatchNormLayout.NCHW)]
public sealed partial class Nchw16Float { }

[BatchNormLayer(3, BatchNormLayout.NCHW)]
public sealed partial class Nchw3Float { }

[BatchNormLayer(64, BatchNormLayout.NCHW, ElementType = typeof(double))]
public sealed partial class Nchw64Double { }
