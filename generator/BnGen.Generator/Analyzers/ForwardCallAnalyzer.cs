using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Numerics;
using BnGen.Generator.Model;
using BnGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace BnGen.Generator.Analyzers;

/// <summary>
/// Looks at calls to the generated methods of a layer, recognized by the signatures of <see cref="GeneratedApi"/>:
/// BNG0008 (a training-mode forward over a single value per channel), BNG0009 (a buffer whose length is known at compile
/// time and cannot fit the shape) and BNG0012 (a constant dimension that is not positive). The layer is found through the
/// <c>[BatchNormLayer]</c> attribute on the method's containing type, whose arguments give <c>Features</c>, the layout and
/// the options.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ForwardCallAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.SingleValuePerChannel,
        Descriptors.ShapeMismatch,
        Descriptors.ShapeNotMultiple,
        Descriptors.BuffersDisagree,
        Descriptors.DimensionNotPositive);

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
                return;
            }
            start.RegisterOperationAction(operationContext => AnalyzeInvocation(operationContext, attributeType), OperationKind.Invocation);
        });
    }

    /// <summary>One argument of a call to a generated method, with what its parameter holds.</summary>
    private readonly struct Slot
    {
        public Slot(string name, ApiParameterKind kind, IArgumentOperation argument)
        {
            Name = name;
            Kind = kind;
            Argument = argument;
        }

        public string Name { get; }

        public ApiParameterKind Kind { get; }

        public IArgumentOperation Argument { get; }

        /// <summary>The constant value of a dimension argument, or null.</summary>
        public int? Constant => Argument.Value.ConstantValue is { HasValue: true, Value: int value } ? value : null;

        /// <summary>The length of a span argument when it is known at compile time, or null.</summary>
        public long? Length => KnownLength(Argument.Value, depth: 0);
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;
        if (!GeneratedApi.MethodNames.Contains(method.Name) || method.ContainingType is not { } layerType
            || !LayerRules.IsGeneratedByBnGen(method.OriginalDefinition))
        {
            return;   // a user's own method of the same name is not the generated one
        }
        AttributeData? attribute = layerType.GetAttributes()
            .FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attributeType));
        if (attribute is null)
        {
            return;
        }
        LayerArguments args = LayerRules.Read(attribute);
        if (!args.Usable || LayerRules.ShapeOf(args) is not { } shape)
        {
            return;
        }
        ApiMethod? api = GeneratedApi.Methods(shape).FirstOrDefault(m => m.Name == method.Name && m.IsStatic == method.IsStatic
            && m.ParameterTypes.SequenceEqual(method.Parameters.Select(static p => p.Type.ToDisplayString())));
        if (api is null)
        {
            return;   // not a generated signature
        }

        // In parameter order, whatever the order of named arguments.
        var slots = new List<Slot>();
        foreach (IArgumentOperation argument in invocation.Arguments.OrderBy(static a => a.Parameter?.Ordinal ?? int.MaxValue))
        {
            if (argument.Parameter is { Ordinal: var ordinal } && ordinal < api.Parameters.Count)
            {
                ApiParameter parameter = api.Parameters[ordinal];
                slots.Add(new Slot(parameter.Name, GeneratedApi.KindOf(api, parameter, shape.Layout), argument));
            }
        }
        string callName = layerType.Name + "." + method.Name;
        int features = args.Features;

        // BNG0009, per-feature spans: their length does not depend on the shape.
        foreach (Slot slot in slots)
        {
            if (slot.Kind == ApiParameterKind.PerFeature && slot.Length is { } length && length != features)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShapeMismatch, ExpressionLocation(slot.Argument),
                    slot.Name, Text(length), GeneratedApi.Features, Text(features), callName));
            }
            else if (slot.Kind == ApiParameterKind.FeatureMultiple && slot.Length is { } multiple && (multiple <= 0 || multiple % features != 0))
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShapeNotMultiple, ExpressionLocation(slot.Argument),
                    slot.Name, Text(multiple), GeneratedApi.Features, Text(features), callName));
            }
        }

        // BNG0012: a constant dimension that is not positive; the shape is then meaningless for the other checks.
        List<Slot> dims = slots.Where(static s => s.Kind == ApiParameterKind.Dimension).ToList();
        bool positive = true;
        foreach (Slot dim in dims)
        {
            if (dim.Constant is { } value && value <= 0)
            {
                positive = false;
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.DimensionNotPositive, ExpressionLocation(dim.Argument),
                    dim.Name, Text(value), callName));
            }
        }
        if (!positive || dims.Count == 0)
        {
            return;
        }

        // BNG0008: every dimension the constant 1.
        if (method.Name is GeneratedApi.Forward or GeneratedApi.ForwardTraining && dims.All(static d => d.Constant == 1))
        {
            ReportSingleValue(context, invocation, dims, layerType, args);
        }

        CheckTensorLengths(context, slots, dims, shape.Layout, features, callName);
    }

    /// <summary>
    /// BNG0009 on the tensor buffers. With every dimension constant, each known length must equal the tensor's size; with
    /// some unknown, it must be a positive multiple of the known part, and the known lengths must agree with each other.
    /// </summary>
    private static void CheckTensorLengths(OperationAnalysisContext context, List<Slot> slots, List<Slot> dims,
        LayerLayout layout, int features, string callName)
    {
        var factorNames = new List<string>();
        var factorValues = new List<string>();
        BigInteger product = BigInteger.One;
        bool complete = true;
        foreach (string axis in GeneratedApi.TensorAxes(layout))
        {
            int? value = axis == GeneratedApi.Features ? features : dims.Where(d => d.Name == axis).Select(static d => d.Constant).FirstOrDefault();
            if (value is { } known)
            {
                factorNames.Add(axis);
                factorValues.Add(Text(known));
                product *= known;
            }
            else
            {
                complete = false;
            }
        }
        string described = factorNames.Count == 1
            ? factorNames[0]
            : string.Join(" × ", factorNames) + " = " + string.Join(" × ", factorValues);
        string productText = product.ToString(CultureInfo.InvariantCulture);

        Slot? first = null;
        long firstLength = 0;
        foreach (Slot tensor in slots.Where(static s => s.Kind == ApiParameterKind.Tensor))
        {
            if (tensor.Length is not { } length)
            {
                continue;
            }
            if (complete)
            {
                if (length != product)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShapeMismatch, ExpressionLocation(tensor.Argument),
                        tensor.Name, Text(length), described, productText, callName));
                }
            }
            else if (length <= 0 || !(length % product).IsZero)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShapeNotMultiple, ExpressionLocation(tensor.Argument),
                    tensor.Name, Text(length), described, productText, callName));
            }
            else if (first is null)
            {
                first = tensor;
                firstLength = length;
            }
            else if (length != firstLength)
            {
                context.ReportDiagnostic(Diagnostic.Create(Descriptors.BuffersDisagree, ExpressionLocation(tensor.Argument),
                    tensor.Name, Text(length), first.Value.Name, Text(firstLength), callName));
            }
        }
    }

    private static void ReportSingleValue(OperationAnalysisContext context, IInvocationOperation invocation, List<Slot> dims,
        INamedTypeSymbol layerType, LayerArguments args)
    {
        List<string> ones = dims.Select(static d => d.Name + " 1").ToList();
        string shape = ones.Count == 1 ? ones[0] : string.Join(", ", ones.Take(ones.Count - 1)) + " and " + ones[ones.Count - 1];
        bool instanceForward = invocation.TargetMethod.Name == GeneratedApi.Forward && !invocation.TargetMethod.IsStatic;
        string advice;
        bool trainingFalseHelps = false;
        if (!args.TrackRunningStats)
        {
            advice = "this layer keeps no running statistics (TrackRunningStats = false), so even Training = false normalizes with batch statistics: pass more than one value per channel";
        }
        else if (!instanceForward)
        {
            advice = "call ForwardInference with the running statistics for single-sample inference";
        }
        else
        {
            ReceiverKey? receiver = ReceiverKey.Of(invocation.Instance);
            if (receiver is not null && TrainingFlow.IsSurelyFalse(invocation, receiver))
            {
                return;
            }
            advice = "set Training = false before the call for single-sample inference";
            trainingFalseHelps = receiver is not null;   // the fix writes receiver.Training = false, which this analysis then sees
        }

        ImmutableDictionary<string, string?> properties = ImmutableDictionary<string, string?>.Empty;
        if (trainingFalseHelps)
        {
            properties = properties.Add(Descriptors.TrainingFalseHelps, "true");
        }
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.SingleValuePerChannel, ExpressionLocation(dims[0].Argument), properties,
            layerType.Name, invocation.TargetMethod.Name, shape, advice));
    }

    /// <summary>The argument's expression, without a <c>name:</c> prefix.</summary>
    private static Location ExpressionLocation(IArgumentOperation argument)
        => (argument.Syntax is ArgumentSyntax syntax ? syntax.Expression : argument.Syntax).GetLocation();

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The length of a buffer known at compile time: an array created with a constant size or an initializer, a
    /// collection expression without spreads, <c>stackalloc</c> of a constant, or a local initialized with one of those
    /// and never written again.
    /// </summary>
    private static long? KnownLength(IOperation operation, int depth)
    {
        while (operation is IConversionOperation or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }
        switch (operation)
        {
            case IArrayCreationOperation { DimensionSizes.Length: 1 } array
                when array.DimensionSizes[0].ConstantValue is { HasValue: true, Value: int size }:
                return size;
            case ICollectionExpressionOperation collection when !collection.Elements.Any(static e => e is ISpreadOperation):
                return collection.Elements.Length;
            case ILocalReferenceOperation local when depth == 0 && !local.Local.IsRef:
                return LocalInitializerLength(local, depth);
        }
        return StackAllocLength(operation);
    }

    private static long? StackAllocLength(IOperation operation)
    {
        SyntaxNode syntax = operation.Syntax;
        while (syntax is ParenthesizedExpressionSyntax parenthesized)
        {
            syntax = parenthesized.Expression;
        }
        switch (syntax)
        {
            case StackAllocArrayCreationExpressionSyntax { Type: ArrayTypeSyntax arrayType } stackAlloc:
                if (stackAlloc.Initializer is { } initializer)
                {
                    return initializer.Expressions.Count;
                }
                if (arrayType.RankSpecifiers.Count == 1 && arrayType.RankSpecifiers[0].Sizes.Count == 1
                    && operation.SemanticModel?.GetConstantValue(arrayType.RankSpecifiers[0].Sizes[0]) is { HasValue: true, Value: int size })
                {
                    return size;
                }
                return null;
            case ImplicitStackAllocArrayCreationExpressionSyntax implicitStackAlloc:
                return implicitStackAlloc.Initializer.Expressions.Count;
            default:
                return null;
        }
    }

    private static long? LocalInitializerLength(ILocalReferenceOperation reference, int depth)
    {
        ILocalSymbol local = reference.Local;
        if (local.DeclaringSyntaxReferences.Length != 1
            || local.DeclaringSyntaxReferences[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer.Value: { } value }
            || reference.SemanticModel is not { } model
            || value.SyntaxTree != model.SyntaxTree)
        {
            return null;
        }

        // Only a local that is never written after its declaration (no assignment, no ref/out) keeps its length.
        IOperation root = reference;
        while (root.Parent is { } parent)
        {
            root = parent;
        }
        foreach (IOperation operation in root.Descendants())
        {
            if (operation is ILocalReferenceOperation other && SymbolEqualityComparer.Default.Equals(other.Local, local)
                && IsWritten(other))
            {
                return null;
            }
        }

        IOperation? initializer = model.GetOperation(value);
        return initializer is null ? null : KnownLength(initializer, depth + 1);
    }

    private static bool IsWritten(ILocalReferenceOperation reference) => reference.Parent switch
    {
        IAssignmentOperation assignment => assignment.Target == reference,
        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } => true,
        ITupleOperation => true,
        _ => false,
    };
}
