using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace BnGen.Generator.Analyzers;

/// <summary>
/// What a receiver expression designates, for "the same receiver": a local, a parameter, <c>this</c> or a static member,
/// followed by fields, properties and element accesses (<c>layers[i]</c>, <c>model.Norms[2]</c>) whose indices are
/// constants or locals and parameters. A local initialized with <c>new Layer { Training = false }</c> is found through the
/// initializer's implicit receiver.
/// </summary>
internal sealed class ReceiverKey
{
    private readonly ImmutableArray<Segment> _path;   // root first

    private ReceiverKey(ImmutableArray<Segment> path) => _path = path;

    /// <summary>One step of the path: <c>this</c>, a symbol (local, parameter, field, property), or an element access.</summary>
    private readonly struct Segment
    {
        public Segment(ISymbol? symbol, bool isElement, ImmutableArray<Index> indices)
        {
            Symbol = symbol;
            IsElement = isElement;
            Indices = indices;
        }

        /// <summary>null for <c>this</c> and for an array element; the indexer for an indexer access.</summary>
        public ISymbol? Symbol { get; }

        public bool IsElement { get; }

        public ImmutableArray<Index> Indices { get; }

        public static Segment Of(ISymbol? symbol) => new(symbol, false, ImmutableArray<Index>.Empty);

        public bool SameAs(Segment other)
            => IsElement == other.IsElement
               && SymbolEqualityComparer.Default.Equals(Symbol, other.Symbol)
               && Indices.Length == other.Indices.Length
               && Indices.Zip(other.Indices, static (a, b) => a.SameAs(b)).All(static same => same);
    }

    /// <summary>An index: a constant value, or a local or parameter.</summary>
    private readonly struct Index
    {
        public Index(object? constant, ISymbol? variable)
        {
            Constant = constant;
            Variable = variable;
        }

        public object? Constant { get; }

        public ISymbol? Variable { get; }

        public bool SameAs(Index other) => Variable is null
            ? other.Variable is null && Equals(Constant, other.Constant)
            : SymbolEqualityComparer.Default.Equals(Variable, other.Variable);

        public static Index? Of(IOperation operation)
        {
            operation = Unwrap(operation is IArgumentOperation argument ? argument.Value : operation);
            return operation switch
            {
                { ConstantValue: { HasValue: true, Value: { } value } } => new Index(value, null),
                ILocalReferenceOperation local => new Index(null, local.Local),
                IParameterReferenceOperation parameter => new Index(null, parameter.Parameter),
                _ => null,
            };
        }
    }

    public static ReceiverKey? Of(IOperation? operation)
    {
        var path = new List<Segment>();   // leaf first while walking
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
                    path.Add(Segment.Of(local.Local));
                    return Done(path);
                case IParameterReferenceOperation parameter:
                    path.Add(Segment.Of(parameter.Parameter));
                    return Done(path);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance }:
                    path.Add(Segment.Of(null));
                    return Done(path);
                case IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ImplicitReceiver } implicitReceiver:
                    return OfInitializedObject(implicitReceiver, path);
                case IFieldReferenceOperation field:
                    path.Add(Segment.Of(field.Field));
                    if (field.Field.IsStatic)
                    {
                        return Done(path);
                    }
                    operation = field.Instance;
                    continue;
                case IPropertyReferenceOperation { Arguments.Length: 0 } property:
                    path.Add(Segment.Of(property.Property));
                    if (property.Property.IsStatic)
                    {
                        return Done(path);
                    }
                    operation = property.Instance;
                    continue;
                case IPropertyReferenceOperation indexer when !indexer.Property.IsStatic:
                    if (Indices(indexer.Arguments) is not { } indexerIndices)
                    {
                        return null;
                    }
                    path.Add(new Segment(indexer.Property, true, indexerIndices));
                    operation = indexer.Instance;
                    continue;
                case IArrayElementReferenceOperation element:
                    if (Indices(element.Indices) is not { } elementIndices)
                    {
                        return null;
                    }
                    path.Add(new Segment(null, true, elementIndices));
                    operation = element.ArrayReference;
                    continue;
                default:
                    return null;
            }
        }
    }

    private static ImmutableArray<Index>? Indices<T>(ImmutableArray<T> operations) where T : IOperation
    {
        var indices = ImmutableArray.CreateBuilder<Index>(operations.Length);
        foreach (T operation in operations)
        {
            if (Index.Of(operation) is not { } index)
            {
                return null;
            }
            indices.Add(index);
        }
        return indices.MoveToImmutable();
    }

    /// <summary>The receiver of an object initializer's member: the local or field the created object is stored in.</summary>
    private static ReceiverKey? OfInitializedObject(IOperation implicitReceiver, List<Segment> path)
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
                path.Add(Segment.Of(declarator.Symbol));
                return Done(path);
            case ISimpleAssignmentOperation assignment when Unwrap(assignment.Value) == operation:
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

    private static ReceiverKey Done(List<Segment> path)
    {
        path.Reverse();   // root first
        return new ReceiverKey(path.ToImmutableArray());
    }

    public bool SameAs(ReceiverKey other) => _path.Length == other._path.Length && IsPrefixOf(other);

    /// <summary>Whether this key designates <paramref name="other"/> or something <paramref name="other"/> is reached through.</summary>
    public bool IsPrefixOf(ReceiverKey other)
        => _path.Length <= other._path.Length
           && _path.Zip(other._path, static (a, b) => a.SameAs(b)).All(static same => same);

    /// <summary>Whether writing <paramref name="variable"/> (a local or parameter) changes what this key designates.</summary>
    public bool DependsOn(ISymbol variable)
        => _path.Any(segment => SymbolEqualityComparer.Default.Equals(segment.Symbol, variable)
                                || segment.Indices.Any(index => SymbolEqualityComparer.Default.Equals(index.Variable, variable)));
}
