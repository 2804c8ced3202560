namespace BnGen.Generator;

/// <summary>Names of the generator's pipeline steps, so that tests can check which steps ran and which were cached.</summary>
internal static class TrackingNames
{
    /// <summary>The transform of each attributed declaration into a <see cref="Model.LayerSpec"/> (or null).</summary>
    public const string Parse = nameof(Parse);

    /// <summary>The valid layers, one per attributed symbol.</summary>
    public const string ValidLayers = nameof(ValidLayers);
}
