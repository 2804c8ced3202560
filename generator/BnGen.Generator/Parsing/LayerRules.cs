using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Threading;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>Which part of a <c>[BatchNormLayer]</c> declaration a problem is about; analyzers map it to a location.</summary>
internal enum LayerArgument
{
    /// <summary>The declaration itself (its identifier).</summary>
    Declaration,
    Features,
    Layout,
    Epsilon,
    Momentum,
    ElementType,
    Activation,
}

/// <summary>One thing wrong with a layer declaration, in terms of the diagnostic catalogue.</summary>
/// <param name="Id">The BNG diagnostic ID.</param>
/// <param name="Argument">The attribute argument at fault, or <see cref="LayerArgument.Declaration"/>.</param>
/// <param name="Symbol">For <see cref="LayerArgument.Declaration"/>: the type whose declaration is at fault.</param>
/// <param name="MessageArgs">Values for the descriptor's message format.</param>
internal sealed record LayerProblem(string Id, LayerArgument Argument, INamedTypeSymbol? Symbol, ImmutableArray<string> MessageArgs)
{
    public bool IsError => Id != DiagnosticIds.MomentumLooksLikeKeras;
}

/// <summary>The raw values of a <c>[BatchNormLayer]</c> attribute, with defaults filled in.</summary>
internal sealed class LayerArguments
{
    public bool Usable { get; set; } = true;   // false: the compiler already reports an error on the attribute
    public int Features { get; set; }
    public int LayoutValue { get; set; }
    public double Epsilon { get; set; } = 1e-5;
    public double Momentum { get; set; } = 0.1;
    public bool Affine { get; set; } = true;
    public bool TrackRunningStats { get; set; } = true;
    public bool CumulativeAverage { get; set; }
    public int ActivationValue { get; set; }
    public bool MomentumGiven { get; set; }
    public ITypeSymbol? ElementType { get; set; }   // null: not given (float)
    public bool ElementTypeGiven { get; set; }
}

/// <summary>
/// The validity rules of a layer declaration, shared by the generator (which emits nothing for an invalid
/// declaration) and the analyzers (which report each problem once, at the argument or identifier at fault).
/// </summary>
internal static class LayerRules
{
    public const string AttributeMetadataName = "BnGen.BatchNormLayerAttribute";

    /// <summary>Largest accepted feature count: 2^20. Beyond it a per-feature normalization is not a layer anyone trains.</summary>
    public const int MaxFeatures = 1 << 20;

    /// <summary>Momentum at or above this is almost surely a Keras/TensorFlow-style value (weight of the old statistic).</summary>
    public const double KerasMomentumThreshold = 0.5;

    public static LayerArguments Read(AttributeData attribute)
    {
        var args = new LayerArguments();
        if (attribute.AttributeClass is null || attribute.AttributeClass.TypeKind == TypeKind.Error
            || attribute.AttributeConstructor is null)
        {
            args.Usable = false;
            return args;
        }

        ImmutableArray<TypedConstant> ctorArgs = attribute.ConstructorArguments;
        if (ctorArgs.Length < 1 || ctorArgs.Any(static a => a.Kind == TypedConstantKind.Error))
        {
            args.Usable = false;
            return args;
        }
        if (ctorArgs[0].Value is int features)
        {
            args.Features = features;
        }
        else
        {
            args.Usable = false;
        }
        if (ctorArgs.Length > 1)
        {
            if (ctorArgs[1].Value is int layout)
            {
                args.LayoutValue = layout;
            }
            else
            {
                args.Usable = false;
            }
        }

        foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
        {
            TypedConstant value = named.Value;
            if (value.Kind == TypedConstantKind.Error)
            {
                args.Usable = false;
                continue;
            }
            switch (named.Key)
            {
                case "Epsilon" when value.Value is double eps:
                    args.Epsilon = eps;
                    break;
                case "Momentum" when value.Value is double momentum:
                    args.Momentum = momentum;
                    args.MomentumGiven = true;
                    break;
                case "Affine" when value.Value is bool affine:
                    args.Affine = affine;
                    break;
                case "TrackRunningStats" when value.Value is bool track:
                    args.TrackRunningStats = track;
                    break;
                case "CumulativeAverage" when value.Value is bool cumulative:
                    args.CumulativeAverage = cumulative;
                    break;
                case "Activation" when value.Value is int activation:
                    args.ActivationValue = activation;
                    break;
                case "ElementType":
                    args.ElementTypeGiven = true;
                    args.ElementType = value.Value as ITypeSymbol;   // null for typeof-less null
                    if (args.ElementType is { TypeKind: TypeKind.Error })
                    {
                        args.Usable = false;   // typeof(Missing): the compiler reports CS0246
                    }
                    break;
                default:
                    args.Usable = false;
                    break;
            }
        }
        return args;
    }

    /// <summary>Maps <c>typeof(float)</c>/<c>typeof(double)</c> (or no argument) to an element kind; null for anything else.</summary>
    public static ElementKind? ElementOf(LayerArguments args)
    {
        if (!args.ElementTypeGiven)
        {
            return ElementKind.Float;
        }
        return args.ElementType?.SpecialType switch
        {
            SpecialType.System_Single => ElementKind.Float,
            SpecialType.System_Double => ElementKind.Double,
            _ => null,
        };
    }

    /// <summary>The layout, or null when the value is not a defined <c>BatchNormLayout</c>.</summary>
    public static LayerLayout? LayoutOf(LayerArguments args)
        => Enum.IsDefined(typeof(LayerLayout), args.LayoutValue) ? (LayerLayout)args.LayoutValue : null;

    /// <summary>The fused activation, or null when the value is not a defined <c>BatchNormActivation</c>.</summary>
    public static ActivationKind? ActivationOf(LayerArguments args)
        => Enum.IsDefined(typeof(ActivationKind), args.ActivationValue) ? (ActivationKind)args.ActivationValue : null;

    /// <summary>What decides the generated API of a layer declared with <paramref name="args"/>, or null when an argument is undefined.</summary>
    public static ApiShape? ShapeOf(LayerArguments args)
        => LayoutOf(args) is { } layout && ElementOf(args) is { } element && ActivationOf(args) is { } activation
            ? new ApiShape(layout, element, args.Affine, args.TrackRunningStats, activation)
            : null;

    /// <summary>Every problem of the declaration of <paramref name="type"/> carrying <paramref name="attribute"/>.</summary>
    public static List<LayerProblem> Check(INamedTypeSymbol type, AttributeData attribute, LayerArguments args, CancellationToken cancellationToken)
    {
        var problems = new List<LayerProblem>();

        // BNG0001: the class and every containing type must be partial in every declaration.
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsPartialEverywhere(t, cancellationToken))
            {
                problems.Add(new LayerProblem(DiagnosticIds.ClassNotPartial, LayerArgument.Declaration, t,
                    ImmutableArray.Create(t.Name, type.Name)));
            }
        }

        if (!args.Usable)
        {
            return problems;   // the compiler reports the attribute's own errors
        }

        // BNG0002: a positive feature count within the documented bound.
        if (args.Features <= 0 || args.Features > MaxFeatures)
        {
            problems.Add(new LayerProblem(DiagnosticIds.FeaturesOutOfRange, LayerArgument.Features, null,
                ImmutableArray.Create(Format(args.Features), Format(MaxFeatures))));
        }

        // BNG0003: a defined layout.
        if (LayoutOf(args) is null)
        {
            problems.Add(new LayerProblem(DiagnosticIds.LayoutUndefined, LayerArgument.Layout, null,
                ImmutableArray.Create(Format(args.LayoutValue))));
        }

        // BNG0004: epsilon finite and positive.
        if (!(args.Epsilon > 0) || double.IsInfinity(args.Epsilon))
        {
            problems.Add(new LayerProblem(DiagnosticIds.EpsilonInvalid, LayerArgument.Epsilon, null,
                ImmutableArray.Create(Format(args.Epsilon))));
        }

        // BNG0005: momentum in [0, 1]; BNG0010: a Keras-style momentum.
        if (!(args.Momentum >= 0 && args.Momentum <= 1))
        {
            problems.Add(new LayerProblem(DiagnosticIds.MomentumOutOfRange, LayerArgument.Momentum, null,
                ImmutableArray.Create(Format(args.Momentum))));
        }
        else if (args.MomentumGiven && !args.CumulativeAverage && args.Momentum >= KerasMomentumThreshold)
        {
            problems.Add(new LayerProblem(DiagnosticIds.MomentumLooksLikeKeras, LayerArgument.Momentum, null,
                ImmutableArray.Create(Format(args.Momentum), Complement(args.Momentum))));
        }

        // BNG0006: float or double.
        if (ElementOf(args) is null)
        {
            string shown = args.ElementType?.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat) ?? "null";
            problems.Add(new LayerProblem(DiagnosticIds.ElementTypeUnsupported, LayerArgument.ElementType, null,
                ImmutableArray.Create(shown)));
        }

        // BNG0011: a defined activation.
        if (ActivationOf(args) is null)
        {
            problems.Add(new LayerProblem(DiagnosticIds.ActivationUndefined, LayerArgument.Activation, null,
                ImmutableArray.Create(Format(args.ActivationValue))));
        }

        // BNG0007: the declaration cannot hold a layer.
        string? reason = CannotHoldReason(type, args, cancellationToken);
        if (reason is not null)
        {
            problems.Add(new LayerProblem(DiagnosticIds.CannotHoldLayer, LayerArgument.Declaration, type,
                ImmutableArray.Create(type.Name, reason)));
        }

        return problems;
    }

    /// <summary>Whether every declaration of <paramref name="type"/> has the <c>partial</c> modifier.</summary>
    public static bool IsPartialEverywhere(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        if (type.DeclaringSyntaxReferences.Length == 0)
        {
            return false;
        }
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration
                || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return false;
            }
        }
        return true;
    }

    private static string? CannotHoldReason(INamedTypeSymbol type, LayerArguments args, CancellationToken cancellationToken)
    {
        if (type.TypeKind != TypeKind.Class)
        {
            return "it is not a class";
        }
        if (type.IsStatic)
        {
            return "a static class cannot have the layer's instance members";
        }
        if (type.TypeParameters.Length > 0)
        {
            return "a generic class cannot be specialized to one shape";
        }
        for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
            {
                return $"it is nested in the generic type '{outer.Name}'";
            }
        }
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal)
            {
                // The generated part lives in another file, where it would declare a second, unrelated type.
                return t.Equals(type, SymbolEqualityComparer.Default)
                    ? "a file-local type cannot be extended from the generated file"
                    : $"it is nested in the file-local type '{t.Name}', which cannot be extended from the generated file";
            }
        }

        IReadOnlyList<ApiMethod> generated = ShapeOf(args) is { } shape ? GeneratedApi.Methods(shape) : Array.Empty<ApiMethod>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.IsImplicitlyDeclared || member.DeclaringSyntaxReferences.Length == 0 || IsGeneratedByBnGen(member))
            {
                continue;   // analyzers see the generated members too: those are not collisions
            }
            switch (Collision(member, generated))
            {
                case CollisionKind.Name:
                    return $"it already declares a member named '{member.Name}'";
                case CollisionKind.Signature:
                    return $"it already declares a method '{member.Name}' with the signature the generator adds";
                case CollisionKind.Reserved:
                    return $"it declares '{member.Name}', but {ReservedText}";
            }
        }

        // A generated member with the name (and, for a method, the parameter types) of an inherited one would hide it
        // (CS0108/CS0114): calls through the base type would not reach the layer. Members the layer cannot see do not count.
        for (INamedTypeSymbol? baseType = type.BaseType; baseType is { SpecialType: not SpecialType.System_Object }; baseType = baseType.BaseType)
        {
            foreach (ISymbol member in baseType.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (member.IsImplicitlyDeclared || !IsVisibleToDerived(member, type))
                {
                    continue;
                }
                switch (Collision(member, generated))
                {
                    case CollisionKind.Name:
                        return $"the base class '{baseType.Name}' has a member named '{member.Name}', which the generated member would hide";
                    case CollisionKind.Signature:
                        return $"the base class '{baseType.Name}' has a method '{member.Name}' with the signature the generator adds, which the generated method would hide";
                    case CollisionKind.Reserved:
                        return $"the base class '{baseType.Name}' has '{member.Name}', but {ReservedText}";
                }
            }
        }
        return null;
    }

    private enum CollisionKind
    {
        None,
        Reserved,
        Name,
        Signature,
    }

    private static readonly string ReservedText = "names starting with "
        + string.Join(" or ", GeneratedApi.ReservedPrefixes.Select(static p => "'" + p + "'")) + " are reserved for the generated helpers";

    /// <summary>
    /// How <paramref name="member"/> collides with what the generator adds. Every generated member name is reserved whatever
    /// the options (switching <c>Affine</c> on must not break the class), and so is a generated method's name for anything
    /// but a method; a method collides only with a generated overload of the same parameter types (passed by value), so the
    /// user's own overloads stay legal.
    /// </summary>
    private static CollisionKind Collision(ISymbol member, IReadOnlyList<ApiMethod> generated)
    {
        string name = member.Name;
        if (GeneratedApi.ReservedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return CollisionKind.Reserved;
        }
        if (GeneratedApi.MemberNames.Contains(name) || (member is not IMethodSymbol && GeneratedApi.MethodNames.Contains(name)))
        {
            return CollisionKind.Name;
        }
        if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, Arity: 0 } method
            && generated.Any(api => api.Name == name && SameParameters(method, api)))
        {
            return CollisionKind.Signature;
        }
        return CollisionKind.None;
    }

    /// <summary>Whether a member of a base type is seen from <paramref name="derived"/> (and so would be hidden by a generated member).</summary>
    private static bool IsVisibleToDerived(ISymbol member, INamedTypeSymbol derived) => member.DeclaredAccessibility switch
    {
        Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal => true,
        Accessibility.Internal or Accessibility.ProtectedAndInternal
            => SymbolEqualityComparer.Default.Equals(member.ContainingAssembly, derived.ContainingAssembly)
               || member.ContainingAssembly.GivesAccessTo(derived.ContainingAssembly),
        _ => false,
    };

    /// <summary>Whether <paramref name="method"/> has exactly the parameter types of <paramref name="api"/>, passed by value.</summary>
    private static bool SameParameters(IMethodSymbol method, ApiMethod api)
    {
        if (method.Parameters.Length != api.Parameters.Count)
        {
            return false;
        }
        for (int i = 0; i < api.Parameters.Count; i++)
        {
            IParameterSymbol parameter = method.Parameters[i];
            if (parameter.RefKind != RefKind.None || parameter.Type.ToDisplayString() != api.Parameters[i].Type)
            {
                return false;   // ref/in/out makes another overload
            }
        }
        return true;
    }

    /// <summary>Whether <paramref name="member"/> is one BnGen emitted: it carries <c>[GeneratedCode("BnGen.Generator", …)]</c>.</summary>
    public static bool IsGeneratedByBnGen(ISymbol member)
    {
        foreach (AttributeData attribute in member.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "GeneratedCodeAttribute" }
                && attribute.ConstructorArguments.Length > 0
                && attribute.ConstructorArguments[0].Value is "BnGen.Generator")
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// 1 − <paramref name="momentum"/> as round-trip invariant text, computed in decimal from the shortest text of the
    /// value, so that 0.9 gives "0.1" (not 0.09999999999999998). The text parses back to the double nearest to the
    /// decimal result.
    /// </summary>
    public static string Complement(double momentum)
    {
        string text = momentum.ToString("R", CultureInfo.InvariantCulture);
        if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal exact))
        {
            string result = (1m - exact).ToString(CultureInfo.InvariantCulture);
            if (result.IndexOf('.') < 0)
            {
                result += ".0";   // stay a double literal: 1 − 1 is "0.0"
            }
            return result;
        }
        return Format(1 - momentum);
    }

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
