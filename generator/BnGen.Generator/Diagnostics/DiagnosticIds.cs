namespace BnGen.Generator;

/// <summary>The BNG diagnostic IDs. They are a contract: never renumber or reuse one.</summary>
internal static class DiagnosticIds
{
    public const string ClassNotPartial = "BNG0001";
    public const string FeaturesOutOfRange = "BNG0002";
    public const string LayoutUndefined = "BNG0003";
    public const string EpsilonInvalid = "BNG0004";
    public const string MomentumOutOfRange = "BNG0005";
    public const string ElementTypeUnsupported = "BNG0006";
    public const string CannotHoldLayer = "BNG0007";
    public const string SingleValuePerChannel = "BNG0008";
    public const string ShapeMismatch = "BNG0009";
    public const string MomentumLooksLikeKeras = "BNG0010";
    public const string ActivationUndefined = "BNG0011";
    public const string DimensionNotPositive = "BNG0012";
}
