using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using BnGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace BnGen.Generator.Analyzers;

/// <summary>
/// Looks at calls to the generated methods of a layer: BNG0008 (training-mode <c>Forward</c> over a single value per
/// channel) and BNG0009 (constant dimensions with a buffer whose length is known at compile time and differs).
/// The layer is found through the <c>[BatchNormLayer]</c> attribute on the method's containing type, whose arguments
/// give <c>Features</c>, the layout and whether running statistics are kept.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ForwardCallAnalyzer : DiagnosticAnalyzer
{
    private static readonly ImmutableHashSet<string> GeneratedMethods = ImmutableHashSet.Create(
        "Forward", "Backward", "ForwardTraining", "ForwardInference", "BackwardTraining", "BackwardInference");

    private static readonly ImmutableHashSet<string> BufferParameters = ImmutableHashSet.Create(
        "input", "output", "gradOutput", "gradInput");

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        Descriptors.SingleValuePerChannel,
        Descriptors.ShapeMismatch);

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

    private static void AnalyzeInvocation(OperationAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var invocation = (IInvocationOperation)context.Operation;
        IMethodSymbol method = invocation.TargetMethod;
        if (!GeneratedMethods.Contains(method.Name) || method.ContainingType is not { } layerType
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
        if (!args.Usable || args.LayoutValue is not (0 or 1))
        {
            return;
        }
        bool nchw = args.LayoutValue == 1;

        // The generated methods take the dimensions as int parameters named batch (, height, width).
        var dims = new Dictionary<string, IArgumentOperation>();
        var buffers = new List<IArgumentOperation>();
        foreach (IArgumentOperation argument in invocation.Arguments)
        {
            if (argument.Parameter is not { } parameter)
            {
                continue;
            }
            if (parameter.Name is "batch" or "height" or "width" && parameter.Type.SpecialType == SpecialType.System_Int32)
            {
                dims[parameter.Name] = argument;
            }
            else if (BufferParameters.Contains(parameter.Name) && IsSpan(parameter.Type))
            {
                buffers.Add(argument);
            }
        }
        if (!dims.TryGetValue("batch", out IArgumentOperation? batchArgument)
            || (nchw && !(dims.ContainsKey("height") && dims.ContainsKey("width")))
            || buffers.Count == 0)
        {
            return;   // not a generated signature
        }

        int? batch = ConstantInt(batchArgument);
        int? height = nchw ? ConstantInt(dims["height"]) : 1;
        int? width = nchw ? ConstantInt(dims["width"]) : 1;
        if (batch is not { } n || height is not { } h || width is not { } w)
        {
            return;
        }

        if (method.Name is "Forward" or "ForwardTraining" && n == 1 && h == 1 && w == 1)
        {
            ReportSingleValue(context, invocation, batchArgument, layerType, args, nchw);
        }

        if (n > 0 && h > 0 && w > 0)
        {
            long expected = (long)n * args.Features * h * w;
            string formula = nchw ? "batch × Features × height × width" : "batch × Features";
            string values = nchw
                ? $"{Text(n)} × {Text(args.Features)} × {Text(h)} × {Text(w)}"
                : $"{Text(n)} × {Text(args.Features)}";
            foreach (IArgumentOperation buffer in buffers)
            {
                long? length = KnownLength(buffer.Value, depth: 0);
                if (length is { } actual && actual != expected)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.ShapeMismatch, ExpressionLocation(buffer),
                        buffer.Parameter!.Name, Text(actual), formula + " = " + values, Text(expected), layerType.Name + "." + method.Name));
                }
            }
        }
    }

    private static void ReportSingleValue(OperationAnalysisContext context, IInvocationOperation invocation,
        IArgumentOperation batchArgument, INamedTypeSymbol layerType, LayerArguments args, bool nchw)
    {
        string shape = nchw ? "batch 1, height 1 and width 1" : "batch 1";
        bool instanceForward = invocation.TargetMethod.Name == "Forward" && !invocation.TargetMethod.IsStatic;
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
            if (ReceiverKey.Of(invocation.Instance) is { } receiver && TrainingSetFalseBefore(invocation, receiver))
            {
                return;
            }
            advice = "set Training = false before the call for single-sample inference";
            trainingFalseHelps = true;
        }

        ImmutableDictionary<string, string?> properties = ImmutableDictionary<string, string?>.Empty;
        if (trainingFalseHelps)
        {
            properties = properties.Add(Descriptors.TrainingFalseHelps, "true");
        }
        context.ReportDiagnostic(Diagnostic.Create(Descriptors.SingleValuePerChannel, ExpressionLocation(batchArgument), properties,
            layerType.Name, invocation.TargetMethod.Name, shape, advice));
    }

    /// <summary>Whether <c>receiver.Training = false</c> is written before <paramref name="invocation"/> in the same body.</summary>
    private static bool TrainingSetFalseBefore(IInvocationOperation invocation, ReceiverKey receiver)
    {
        IOperation root = invocation;
        while (root.Parent is { } parent)
        {
            root = parent;
        }
        int callStart = invocation.Syntax.SpanStart;
        foreach (IOperation operation in root.Descendants())
        {
            if (operation is not ISimpleAssignmentOperation
                {
                    Target: IPropertyReferenceOperation { Property.Name: "Training" } target,
                    Value.ConstantValue: { HasValue: true, Value: false },
                } assignment
                || assignment.Syntax.SpanStart >= callStart
                || !SymbolEqualityComparer.Default.Equals(target.Property.ContainingType, invocation.TargetMethod.ContainingType))
            {
                continue;
            }
            if (ReceiverKey.Of(target.Instance) is { } assigned && assigned.SameAs(receiver))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The argument's expression, without a <c>name:</c> prefix.</summary>
    private static Location ExpressionLocation(IArgumentOperation argument)
        => (argument.Syntax is ArgumentSyntax syntax ? syntax.Expression : argument.Syntax).GetLocation();

    private static bool IsSpan(ITypeSymbol type)
        => type is INamedTypeSymbol { Name: "Span" or "ReadOnlySpan", ContainingNamespace.Name: "System", Arity: 1 };

    private static int? ConstantInt(IArgumentOperation argument)
        => argument.Value.ConstantValue is { HasValue: true, Value: int value } ? value : null;

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

/// <summary>
/// What a receiver expression designates, for "the same receiver": a local, a parameter, <c>this</c>, or a chain of
/// fields and properties on one of those. A local initialized with <c>new Layer { Training = false }</c> is found through
/// the initializer's implicit receiver.
/// </summary>
internal sealed class ReceiverKey
{
    private readonly ImmutableArray<ISymbol?> _path;   // null element: this

    private ReceiverKey(ImmutableArray<ISymbol?> path) => _path = path;

    public static ReceiverKey? Of(IOperation? operation)
    {
        var path = new List<ISymbol?>();
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    continue;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    continue;
                case ILocalReferenceOperation local:
                    path.Add(local.Local);
                    return Done(path);
                case IParameterReferenceOperation parameter:
                    path.Add(parameter.Parameter);
                    return Done(path);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                    path.Add(null);
                    return Done(path);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } implicitReceiver:
                    return OfInitializedObject(implicitReceiver, path);
                case IFieldReferenceOperation field:
                    path.Add(field.Field);
                    if (field.Field.IsStatic)
                    {
                        return Done(path);
                    }
                    operation = field.Instance;
                    continue;
                case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                    path.Add(property.Property);
                    if (property.Property.IsStatic)
                    {
                        return Done(path);
                    }
                    operation = property.Instance;
                    continue;
                default:
                    return null;
            }
        }
    }

    /// <summary>The receiver of an object initializer's member: the local or field the created object is stored in.</summary>
    private static ReceiverKey? OfInitializedObject(IOperation implicitReceiver, List<ISymbol?> path)
    {
        IOperation? operation = implicitReceiver.Parent;
        while (operation is not null and not IObjectCreationOperation)
        {
            operation = operation.Parent;
        }
        IOperation? holder = operation?.Parent;
        while (holder is IConversionOperation or IParenthesizedOperation)
        {
            holder = holder.Parent;
        }
        switch (holder)
        {
            case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                path.Add(declarator.Symbol);
                return Done(path);
            case ISimpleAssignmentOperation assignment when assignment.Value.Syntax == operation!.Syntax || Unwrap(assignment.Value) == operation:
                ReceiverKey? target = Of(assignment.Target);
                return target is null ? null : new ReceiverKey(target._path.AddRange(Enumerable.Reverse(path)));
            default:
                return null;
        }
    }

    private static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }
        return operation;
    }

    private static ReceiverKey Done(List<ISymbol?> path)
    {
        path.Reverse();   // root first
        return new ReceiverKey(path.ToImmutableArray());
    }

    public bool SameAs(ReceiverKey other)
        => _path.Length == other._path.Length
           && _path.Zip(other._path, static (a, b) => SymbolEqualityComparer.Default.Equals(a, b)).All(static same => same);
}
