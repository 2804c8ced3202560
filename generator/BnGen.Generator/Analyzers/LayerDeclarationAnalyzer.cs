using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using BnGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace BnGen.Generator.Analyzers;

/// <summary>
/// Reports what is wrong with a <c>[BatchNormLayer]</c> declaration (BNG0001–BNG0007, BNG0010, BNG0011). The rules are
/// <see cref="LayerRules"/>, the same the generator applies, so a declaration gets generated code exactly when this
/// analyzer reports no error. Runs once per type symbol, so a problem is reported once however many partial
/// declarations the type has; each diagnostic sits on the argument or identifier at fault.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class LayerDeclarationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.ClassNotPartial,
        Descriptors.FeaturesOutOfRange,
        Descriptors.LayoutUndefined,
        Descriptors.EpsilonInvalid,
        Descriptors.MomentumOutOfRange,
        Descriptors.ElementTypeUnsupported,
        Descriptors.CannotHoldLayer,
        Descriptors.MomentumLooksLikeKeras,
        Descriptors.ActivationUndefined);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            INamedTypeSymbol? attributeType = start.Compilation.GetTypeByMetadataName(LayerRules.AttributeMetadataName);
            if (attributeType is null)
            {
                return;   // BnGen is not referenced: nothing to analyze
            }
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, attributeType), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        CancellationToken cancellationToken = context.CancellationToken;

        // BNG0001 on a containing type is reported while analyzing that type, so the diagnostic is local to the symbol
        // whose declaration is at fault (and is reported once however many layers it contains).
        if (FirstNestedLayer(type, attributeType) is { } nested && !LayerRules.IsPartialEverywhere(type, cancellationToken))
        {
            ReportNotPartial(context, type, nested.Name);
        }

        if (LayerAttribute(type, attributeType) is not { } attribute)
        {
            return;
        }

        AttributeSyntax? attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        LayerArguments args = LayerRules.Read(attribute);
        foreach (LayerProblem problem in LayerRules.Check(type, attribute, args, cancellationToken))
        {
            DiagnosticDescriptor descriptor = DescriptorOf(problem.Id);
            if (problem.Id == DiagnosticIds.ClassNotPartial)
            {
                if (SymbolEqualityComparer.Default.Equals(problem.Symbol, type))
                {
                    ReportNotPartial(context, type, type.Name);
                }
                continue;   // a containing type: reported by that type's own analysis, above
            }

            object[] messageArgs = problem.MessageArgs.Cast<object>().ToArray();
            Location location = problem.Argument == LayerArgument.Declaration
                ? IdentifierLocation(type, attributeSyntax, cancellationToken)
                : ArgumentLocation(attributeSyntax, problem.Argument) ?? IdentifierLocation(type, attributeSyntax, cancellationToken);
            ImmutableDictionary<string, string?>? properties = problem.Id switch
            {
                DiagnosticIds.MomentumLooksLikeKeras => ImmutableDictionary<string, string?>.Empty.Add(Descriptors.SuggestedMomentum, problem.MessageArgs[1]),
                DiagnosticIds.CannotHoldLayer when type.IsStatic => ImmutableDictionary<string, string?>.Empty.Add(Descriptors.StaticClass, "true"),
                _ => null,
            };
            context.ReportDiagnostic(Diagnostic.Create(descriptor, location, properties, messageArgs));
        }
    }

    /// <summary>
    /// The attribute of a type that can be analyzed as a layer, or null. Applied twice (CS0579), or on a struct,
    /// interface or enum (CS0592): the compiler already reports an error and the generator emits nothing; another
    /// diagnostic would only repeat it.
    /// </summary>
    private static AttributeData? LayerAttribute(INamedTypeSymbol type, INamedTypeSymbol attributeType)
    {
        if (type.TypeKind != TypeKind.Class)
        {
            return null;
        }
        AttributeData? attribute = null;
        foreach (AttributeData candidate in type.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(candidate.AttributeClass, attributeType))
            {
                if (attribute is not null)
                {
                    return null;
                }
                attribute = candidate;
            }
        }
        return attribute;
    }

    /// <summary>A layer declared anywhere inside <paramref name="type"/>, or null.</summary>
    private static INamedTypeSymbol? FirstNestedLayer(INamedTypeSymbol type, INamedTypeSymbol attributeType)
    {
        foreach (INamedTypeSymbol member in type.GetTypeMembers())
        {
            if (LayerAttribute(member, attributeType) is not null)
            {
                return member;
            }
            if (FirstNestedLayer(member, attributeType) is { } deeper)
            {
                return deeper;
            }
        }
        return null;
    }

    /// <summary>BNG0001 on every declaration of <paramref name="type"/> that lacks <c>partial</c>, each on its identifier.</summary>
    private static void ReportNotPartial(SymbolAnalysisContext context, INamedTypeSymbol type, string layerName)
    {
        foreach (TypeDeclarationSyntax declaration in DeclarationsLackingPartial(type, context.CancellationToken))
        {
            context.ReportDiagnostic(Diagnostic.Create(Descriptors.ClassNotPartial, declaration.Identifier.GetLocation(), type.Name, layerName));
        }
    }

    private static DiagnosticDescriptor DescriptorOf(string id) => id switch
    {
        DiagnosticIds.ClassNotPartial => Descriptors.ClassNotPartial,
        DiagnosticIds.FeaturesOutOfRange => Descriptors.FeaturesOutOfRange,
        DiagnosticIds.LayoutUndefined => Descriptors.LayoutUndefined,
        DiagnosticIds.EpsilonInvalid => Descriptors.EpsilonInvalid,
        DiagnosticIds.MomentumOutOfRange => Descriptors.MomentumOutOfRange,
        DiagnosticIds.ElementTypeUnsupported => Descriptors.ElementTypeUnsupported,
        DiagnosticIds.CannotHoldLayer => Descriptors.CannotHoldLayer,
        DiagnosticIds.ActivationUndefined => Descriptors.ActivationUndefined,
        _ => Descriptors.MomentumLooksLikeKeras,
    };

    private static IEnumerable<TypeDeclarationSyntax> DeclarationsLackingPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax declaration
                && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                yield return declaration;
            }
        }
    }

    /// <summary>
    /// The identifier of <paramref name="type"/>'s declaration that carries the attribute, else its first
    /// declaration.
    /// </summary>
    private static Location IdentifierLocation(INamedTypeSymbol type, AttributeSyntax? attributeSyntax, CancellationToken cancellationToken)
    {
        TypeDeclarationSyntax? first = null;
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration)
            {
                continue;
            }
            first ??= declaration;
            if (attributeSyntax is not null && declaration.SyntaxTree == attributeSyntax.SyntaxTree
                && declaration.Span.Contains(attributeSyntax.Span))
            {
                return declaration.Identifier.GetLocation();
            }
        }
        return first?.Identifier.GetLocation() ?? type.Locations.FirstOrDefault() ?? Location.None;
    }

    /// <summary>The expression of the attribute argument for <paramref name="argument"/>, if it is written.</summary>
    internal static Location? ArgumentLocation(AttributeSyntax? attribute, LayerArgument argument)
    {
        if (attribute?.ArgumentList is not { } list)
        {
            return null;
        }
        (string name, int position) = argument switch
        {
            LayerArgument.Features => ("features", 0),
            LayerArgument.Layout => ("layout", 1),
            LayerArgument.Epsilon => ("Epsilon", -1),
            LayerArgument.Momentum => ("Momentum", -1),
            LayerArgument.ElementType => ("ElementType", -1),
            LayerArgument.Activation => ("Activation", -1),
            _ => (string.Empty, -1),
        };
        int positional = 0;
        foreach (AttributeArgumentSyntax candidate in list.Arguments)
        {
            if (candidate.NameEquals is { } nameEquals)
            {
                if (position < 0 && nameEquals.Name.Identifier.ValueText == name)
                {
                    return candidate.Expression.GetLocation();
                }
                continue;
            }
            if (candidate.NameColon is { } nameColon)
            {
                if (position >= 0 && nameColon.Name.Identifier.ValueText == name)
                {
                    return candidate.Expression.GetLocation();
                }
            }
            else if (position >= 0 && positional == position)
            {
                return candidate.Expression.GetLocation();
            }
            positional++;
        }
        return null;
    }
}
