using Microsoft.CodeAnalysis;

namespace BnGen.Generator;

/// <summary>
/// The BNG diagnostic catalogue. The IDs are a contract (see <see cref="DiagnosticIds"/>); every one is listed in
/// <c>AnalyzerReleases.Unshipped.md</c> and documented in <c>docs/diagnostics/BNGxxxx.md</c>.
/// </summary>
internal static class Descriptors
{
    public const string Category = "BnGen";

    /// <summary>Root of the help links: each ID's page is <c>{DocsRoot}/docs/diagnostics/{id}.md</c>.</summary>
    public const string DocsRoot = "https://github.com/bngen/bngen/blob/main";

    /// <summary>Diagnostic property set by BNG0008 when setting <c>Training = false</c> would avoid the problem.</summary>
    public const string TrainingFalseHelps = "TrainingFalseHelps";

    /// <summary>Diagnostic property set by BNG0007 when the only reason is that the class is static.</summary>
    public const string StaticClass = "StaticClass";

    /// <summary>Diagnostic property set by BNG0010: the momentum PyTorch means, as round-trip invariant text (1 − m).</summary>
    public const string SuggestedMomentum = "SuggestedMomentum";

    public static readonly DiagnosticDescriptor ClassNotPartial = Error(DiagnosticIds.ClassNotPartial,
        title: "Layer class must be partial",
        message: "'{0}' must be declared partial so that BnGen can add the members of the layer '{1}'");

    public static readonly DiagnosticDescriptor FeaturesOutOfRange = Error(DiagnosticIds.FeaturesOutOfRange,
        title: "Feature count must be positive and at most 1048576",
        message: "The feature count is {0}; it must be within 1 to {1}");

    public static readonly DiagnosticDescriptor LayoutUndefined = Error(DiagnosticIds.LayoutUndefined,
        title: "Layout must be a defined BatchNormLayout value",
        message: "The layout is {0}, which is not a defined BatchNormLayout value (NC = 0, NCHW = 1, NHWC = 2, NCL = 3)");

    public static readonly DiagnosticDescriptor EpsilonInvalid = Error(DiagnosticIds.EpsilonInvalid,
        title: "Epsilon must be finite and greater than 0",
        message: "Epsilon is {0}; it must be finite and greater than 0 (PyTorch's default is 1E-05)");

    public static readonly DiagnosticDescriptor MomentumOutOfRange = Error(DiagnosticIds.MomentumOutOfRange,
        title: "Momentum must be within [0, 1]",
        message: "Momentum is {0}; it must be a finite value within [0, 1] (PyTorch's default is 0.1)");

    public static readonly DiagnosticDescriptor ElementTypeUnsupported = Error(DiagnosticIds.ElementTypeUnsupported,
        title: "ElementType must be float or double",
        message: "ElementType is '{0}'; only typeof(float) and typeof(double) are supported");

    public static readonly DiagnosticDescriptor CannotHoldLayer = Error(DiagnosticIds.CannotHoldLayer,
        title: "The declaration cannot hold a batch-norm layer",
        message: "'{0}' cannot hold a batch-norm layer: {1}");

    public static readonly DiagnosticDescriptor SingleValuePerChannel = Warning(DiagnosticIds.SingleValuePerChannel,
        title: "Training-mode Forward with a single value per channel",
        message: "'{0}.{1}' is called with {2}, a single value per channel: the batch variance is zero, every output equals Bias and the gradient vanishes (the call throws at run time); {3}");

    public static readonly DiagnosticDescriptor ShapeMismatch = Warning(DiagnosticIds.ShapeMismatch,
        title: "Buffer length cannot match the constant shape",
        message: "'{0}' has length {1}, but {2} = {3}: the call to '{4}' always throws");

    /// <summary>BNG0009 when only part of the shape is constant: the length must be a positive multiple of the known part.</summary>
    public static readonly DiagnosticDescriptor ShapeNotMultiple = Warning(DiagnosticIds.ShapeMismatch,
        title: "Buffer length cannot match the constant shape",
        message: "'{0}' has length {1}, which is not a positive multiple of {2} = {3}: the call to '{4}' always throws");

    /// <summary>BNG0009 when the shape is not constant but two tensor buffers of the call have different known lengths.</summary>
    public static readonly DiagnosticDescriptor BuffersDisagree = Warning(DiagnosticIds.ShapeMismatch,
        title: "Buffer length cannot match the constant shape",
        message: "'{0}' has length {1}, but '{2}' has length {3}: the tensors of a call to '{4}' all have the same length, so the call always throws");

    public static readonly DiagnosticDescriptor MomentumLooksLikeKeras = Warning(DiagnosticIds.MomentumLooksLikeKeras,
        title: "Momentum looks like a Keras/TensorFlow value",
        message: "Momentum is {0}, which looks like a Keras/TensorFlow/ONNX value (the weight of the old statistic); BnGen follows PyTorch, where Momentum is the weight of the new batch statistic, so the equivalent is {1}");

    public static readonly DiagnosticDescriptor ActivationUndefined = Error(DiagnosticIds.ActivationUndefined,
        title: "Activation must be a defined BatchNormActivation value",
        message: "The activation is {0}, which is not a defined BatchNormActivation value (None = 0, ReLU = 1)");

    public static readonly DiagnosticDescriptor DimensionNotPositive = Warning(DiagnosticIds.DimensionNotPositive,
        title: "Dimension argument is not positive",
        message: "'{0}' is {1}, but every dimension must be positive: the call to '{2}' always throws ArgumentOutOfRangeException");

    private static DiagnosticDescriptor Error(string id, string title, string message)
        => Create(id, title, message, DiagnosticSeverity.Error);

    private static DiagnosticDescriptor Warning(string id, string title, string message)
        => Create(id, title, message, DiagnosticSeverity.Warning);

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity)
        => new(id, title, message, Category, severity, isEnabledByDefault: true,
            helpLinkUri: DocsRoot + "/docs/diagnostics/" + id + ".md");
}
