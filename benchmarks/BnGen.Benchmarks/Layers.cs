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

[BatchNormLayer(64, BatchNormLayout.NHWC)]
public sealed partial class Nhwc64Float { }

// Checked by the smoke run only (not timed): other options, ragged feature counts and planes shorter than a vector.

[BatchNormLayer(5, Affine = false)]
public sealed partial class Nc5FloatPlain { }

[BatchNormLayer(37, ElementType = typeof(double), Affine = false)]
public sealed partial class Nc37DoublePlain { }

[BatchNormLayer(300)]
public sealed partial class Nc300Float { }

[BatchNormLayer(3, BatchNormLayout.NCHW, Affine = false)]
public sealed partial class Nchw3FloatPlain { }

[BatchNormLayer(5, BatchNormLayout.NCHW, ElementType = typeof(double))]
public sealed partial class Nchw5Double { }
