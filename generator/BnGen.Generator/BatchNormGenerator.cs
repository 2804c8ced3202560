using System.Text;
using BnGen.Generator.Emitting;
using BnGen.Generator.Model;
using BnGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace BnGen.Generator;

/// <summary>
/// Emits a complete, shape-specialized batch-normalization layer for every partial class marked
/// <c>[BnGen.BatchNormLayer]</c>. One output file per layer, so editing one layer re-emits one file.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class BatchNormGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<LayerSpec> layers = context.SyntaxProvider
            .ForAttributeWithMetadataName(LayerRules.AttributeMetadataName,
                predicate: static (node, _) => node is ClassDeclarationSyntax or RecordDeclarationSyntax,
                transform: static (ctx, ct) => LayerParser.TryParse(ctx, ct))   // symbols end here
            .WithTrackingName(TrackingNames.Parse)
            .Where(static spec => spec is not null)
            .Select(static (spec, _) => spec!)
            .WithTrackingName(TrackingNames.ValidLayers);

        // No Collect(), no CompilationProvider: an unrelated edit leaves every layer cached.
        context.RegisterSourceOutput(layers, static (spc, spec) =>
            spc.AddSource(spec.HintName, SourceText.From(LayerEmitter.Emit(spec, spc.CancellationToken), Encoding.UTF8)));
    }
}
