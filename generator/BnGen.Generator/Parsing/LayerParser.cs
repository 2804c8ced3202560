using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BnGen.Generator.Parsing;

/// <summary>Turns an attributed declaration into a <see cref="LayerSpec"/>, or null when it cannot hold a layer.</summary>
/// <remarks>
/// Symbols end here: the spec holds only values. An invalid declaration gives null and no diagnostic: the analyzers
/// report it, once. Nothing here throws for bad input.
/// </remarks>
internal static class LayerParser
{
    public static LayerSpec? TryParse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length != 1)
        {
            return null;
        }

        // The attribute may (through a user error) sit on two parts of one partial class, or twice on one: the compiler
        // reports CS0579 and the layer is skipped, so that no two outputs ever share a hint name.
        int count = type.GetAttributes().Count(static a =>
            a.AttributeClass?.ToDisplayString() == LayerRules.AttributeMetadataName);
        if (count != 1)
        {
            return null;
        }

        AttributeData attribute = context.Attributes[0];
        LayerArguments args = LayerRules.Read(attribute);
        if (!args.Usable)
        {
            return null;
        }
        List<LayerProblem> problems = LayerRules.Check(type, attribute, args, cancellationToken);
        if (problems.Any(static p => p.IsError))
        {
            return null;
        }
        ElementKind element = LayerRules.ElementOf(args) ?? ElementKind.Float;
        if (args.ActivationValue is not (0 or 1))
        {
            return null;   // an undefined BatchNormActivation: the analyzer reports it
        }

        var containing = new List<string>();
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            containing.Insert(0, "partial " + KeywordOf(outer) + " " + Escape(outer.Name));
        }

        string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n
            ? string.Join(".", n.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)
                .Replace("global::", string.Empty).Split('.').Select(Escape))
            : null;

        string fullName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty).Replace("@", string.Empty);

        return new LayerSpec(
            FullName: fullName,
            Namespace: ns,
            ContainingTypes: new EquatableArray<string>(containing),
            ClassName: Escape(type.Name),
            Keyword: KeywordOf(type),
            Features: args.Features,
            Layout: (LayerLayout)args.LayoutValue,
            Element: element,
            Epsilon: args.Epsilon,
            Momentum: args.Momentum,
            Affine: args.Affine,
            TrackRunningStats: args.TrackRunningStats,
            CumulativeAverage: args.CumulativeAverage,
            Activation: (ActivationKind)args.ActivationValue);
    }

    private static string KeywordOf(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    private static string Escape(string identifier)
        => SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;
}
