using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace BnGen.Generator.Analyzers;

/// <summary>
/// Whether a layer is surely in evaluation mode at a call: on every path through the method's statements that reaches the
/// call, the last write that can change <c>receiver.Training</c> is the constant <c>receiver.Training = false</c> (an
/// object initializer <c>new Layer { Training = false }</c> stored in the receiver counts).
/// </summary>
/// <remarks>
/// Writes that can change it: any other assignment to <c>Training</c> on the receiver; an assignment to the receiver or to
/// anything it is reached through (<c>norm = new Norm()</c>, <c>this._holder = …</c>); a write to a local used as its
/// index (<c>i++</c> for <c>layers[i]</c>). Structured control flow is followed: blocks, <c>if</c>/<c>else</c> (both
/// branches), branches that leave (<c>return</c>, <c>throw</c>, <c>break</c>, <c>continue</c>), loops (a write in the loop
/// other than <c>= false</c> may precede the call in an earlier iteration), <c>try</c>/<c>catch</c>/<c>finally</c>,
/// <c>switch</c> sections, <c>using</c> and <c>lock</c>. Assignments inside conditional expressions (<c>?:</c>, <c>??</c>,
/// <c>?.</c>, <c>&amp;&amp;</c>, <c>||</c>) may not run. Not followed: calls (a method that sets <c>Training</c>), aliases
/// (another variable holding the same layer), <c>goto</c>, and the state on entry to the method, which is unknown.
/// </remarks>
internal static class TrainingFlow
{
    /// <summary>What running a piece of code does to "Training is surely false" for one receiver.</summary>
    private enum Effect
    {
        /// <summary>Leaves it as it was (no write, or writes of <c>false</c> that may not run).</summary>
        Unchanged,

        /// <summary>Makes it surely false.</summary>
        SetsFalse,

        /// <summary>May make it true (or unknown).</summary>
        MayChange,

        /// <summary>Never completes normally: the code after it is not reached from here.</summary>
        Exits,
    }

    public static bool IsSurelyFalse(IOperation call, ReceiverKey receiver)
    {
        IOperation operation = call;
        while (true)
        {
            IOperation? parent = operation.Parent;
            Effect effect = Effect.Unchanged;
            switch (parent)
            {
                case null:
                case IMethodBodyBaseOperation:
                case ILocalFunctionOperation:
                    return false;   // the state on entry to a body is unknown
                case IBlockOperation block:
                    effect = Sequence(block.Operations.TakeWhile(o => o != operation), receiver);
                    break;
                case ISwitchCaseOperation section:
                    effect = Sequence(section.Body.TakeWhile(o => o != operation), receiver);
                    break;
                case ISwitchOperation @switch when operation != @switch.Value:
                    effect = Expression(@switch.Value, receiver);
                    break;
                case IConditionalOperation conditional when operation != conditional.Condition:
                    effect = Expression(conditional.Condition, receiver);
                    break;
                case ILoopOperation loop when !RunsOnce(loop, operation):
                    effect = Loop(loop, receiver);
                    break;
                case ITryOperation @try when operation != @try.Body:
                    // A catch or finally block may start anywhere in the try block (and a finally anywhere in a catch).
                    if (MayChangeIn(@try.Body, receiver)
                        || (operation == @try.Finally && @try.Catches.Any(c => MayChangeIn(c, receiver))))
                    {
                        return false;
                    }
                    break;
                case IUsingOperation @using when operation == @using.Body:
                    effect = Expression(@using.Resources, receiver);
                    break;
                case ILockOperation @lock when operation == @lock.Body:
                    effect = Expression(@lock.LockedValue, receiver);
                    break;
            }
            switch (effect)
            {
                case Effect.SetsFalse:
                case Effect.Exits:   // the call is not reached this way
                    return true;
                case Effect.MayChange:
                    return false;
            }
            operation = parent;
        }
    }

    /// <summary>Whether <paramref name="part"/> of a loop runs once, before the first iteration (a <c>for</c> initializer, a <c>foreach</c> collection).</summary>
    private static bool RunsOnce(ILoopOperation loop, IOperation part) => loop switch
    {
        IForLoopOperation forLoop => forLoop.Before.Contains(part),
        IForEachLoopOperation forEach => part == forEach.Collection,
        _ => false,
    };

    /// <summary>
    /// A loop, from the start of an iteration: what ran once before the first, unless a part that runs on every iteration
    /// may change the state (then an earlier iteration may have changed it before this one).
    /// </summary>
    private static Effect Loop(ILoopOperation loop, ReceiverKey receiver)
        => loop.ChildOperations.Any(part => !RunsOnce(loop, part) && MayChangeIn(part, receiver))
            ? Effect.MayChange
            : Sequence(loop.ChildOperations.Where(part => RunsOnce(loop, part)), receiver);

    private static Effect Sequence(IEnumerable<IOperation> statements, ReceiverKey receiver)
    {
        Effect result = Effect.Unchanged;
        foreach (IOperation statement in statements)
        {
            result = Then(result, Statement(statement, receiver));
            if (result == Effect.Exits)
            {
                break;
            }
        }
        return result;
    }

    private static Effect Statement(IOperation statement, ReceiverKey receiver) => statement switch
    {
        IBlockOperation block => Sequence(block.Operations, receiver),
        IConditionalOperation conditional => Then(Expression(conditional.Condition, receiver),
            Join(Statement(conditional.WhenTrue, receiver), conditional.WhenFalse is { } whenFalse ? Statement(whenFalse, receiver) : Effect.Unchanged)),
        ILoopOperation loop => Loop(loop, receiver),   // zero or more iterations: what ran before them, or a possible change
        ISwitchOperation => MayChangeIn(statement, receiver) ? Effect.MayChange : Effect.Unchanged,
        ITryOperation @try => Try(@try, receiver),
        IUsingOperation @using => Then(Expression(@using.Resources, receiver), Statement(@using.Body, receiver)),
        ILockOperation @lock => Then(Expression(@lock.LockedValue, receiver), Statement(@lock.Body, receiver)),
        ILabeledOperation labeled => labeled.Operation is { } inner ? Statement(inner, receiver) : Effect.Unchanged,
        IReturnOperation { Kind: OperationKind.YieldReturn } yieldReturn => Expression(yieldReturn.ReturnedValue, receiver),
        IReturnOperation @return => Then(Expression(@return.ReturnedValue, receiver), Effect.Exits),
        IBranchOperation => Effect.Exits,
        IExpressionStatementOperation { Operation: IThrowOperation @throw } => Then(Expression(@throw.Exception, receiver), Effect.Exits),
        IThrowOperation @throw => Then(Expression(@throw.Exception, receiver), Effect.Exits),
        ILocalFunctionOperation => Effect.Unchanged,
        _ => Expression(statement, receiver),
    };

    private static Effect Try(ITryOperation @try, ReceiverKey receiver)
    {
        Effect result = Statement(@try.Body, receiver);
        if (!@try.Catches.IsEmpty)
        {
            Effect atCatch = MayChangeIn(@try.Body, receiver) ? Effect.MayChange : Effect.Unchanged;
            foreach (ICatchClauseOperation clause in @try.Catches)
            {
                result = Join(result, Then(atCatch, Statement(clause.Handler, receiver)));
            }
        }
        if (@try.Finally is { } @finally && result != Effect.Exits)
        {
            result = Then(result, Statement(@finally, receiver));
        }
        return result;
    }

    /// <summary>The writes of an expression (or of a simple statement), in evaluation order.</summary>
    private static Effect Expression(IOperation? operation, ReceiverKey receiver)
    {
        Effect result = Effect.Unchanged;
        if (operation is not null)
        {
            Walk(operation, conditional: false, receiver, ref result);
        }
        return result;
    }

    private static void Walk(IOperation operation, bool conditional, ReceiverKey receiver, ref Effect result)
    {
        if (operation is IAnonymousFunctionOperation or ILocalFunctionOperation)
        {
            return;   // runs later, if at all
        }
        Effect write = Write(operation, receiver);
        if (write != Effect.Unchanged)
        {
            result = Then(result, conditional ? Join(Effect.Unchanged, write) : write);
        }
        foreach (IOperation child in operation.ChildOperations)
        {
            Walk(child, conditional || IsConditionalPart(operation, child), receiver, ref result);
        }
    }

    /// <summary>Whether <paramref name="child"/> of <paramref name="parent"/> may not be evaluated when the parent is.</summary>
    private static bool IsConditionalPart(IOperation parent, IOperation child) => parent switch
    {
        IConditionalOperation conditional => child != conditional.Condition,
        ICoalesceOperation coalesce => child == coalesce.WhenNull,
        ICoalesceAssignmentOperation coalesceAssignment => child == coalesceAssignment.Value,
        IConditionalAccessOperation conditionalAccess => child == conditionalAccess.WhenNotNull,
        IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } binary => child == binary.RightOperand,
        ISwitchExpressionOperation switchExpression => child != switchExpression.Value,
        _ => false,
    };

    /// <summary>Whether some write in <paramref name="operation"/> (lambdas and local functions aside) may change the state.</summary>
    private static bool MayChangeIn(IOperation? operation, ReceiverKey receiver)
        => operation is not null && (Write(operation, receiver) == Effect.MayChange
            || (operation is not (IAnonymousFunctionOperation or ILocalFunctionOperation)
                && operation.ChildOperations.Any(child => MayChangeIn(child, receiver))));

    /// <summary>What <paramref name="operation"/> itself writes (not its children).</summary>
    private static Effect Write(IOperation operation, ReceiverKey receiver)
    {
        switch (operation)
        {
            case ISimpleAssignmentOperation assignment when IsTrainingOf(assignment.Target, receiver):
                return assignment.Value.ConstantValue is { HasValue: true, Value: false } ? Effect.SetsFalse : Effect.MayChange;
            case IAssignmentOperation assignment:   // simple, compound, ??= and deconstruction
                return IsTrainingOf(assignment.Target, receiver) || Affects(assignment.Target, receiver) ? Effect.MayChange : Effect.Unchanged;
            case IIncrementOrDecrementOperation increment:
                return Affects(increment.Target, receiver) ? Effect.MayChange : Effect.Unchanged;
            case IVariableDeclaratorOperation declarator:
                return receiver.DependsOn(declarator.Symbol) ? Effect.MayChange : Effect.Unchanged;
            case IDeclarationPatternOperation { DeclaredSymbol: { } declared }:
                return receiver.DependsOn(declared) ? Effect.MayChange : Effect.Unchanged;
            case IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } argument:
                return Affects(argument.Value, receiver) ? Effect.MayChange : Effect.Unchanged;
            default:
                return Effect.Unchanged;
        }
    }

    /// <summary>Whether <paramref name="target"/> is <c>receiver.Training</c>.</summary>
    private static bool IsTrainingOf(IOperation target, ReceiverKey receiver)
        => Unwrap(target) is IPropertyReferenceOperation { Property.Name: GeneratedApi.Training, Arguments.Length: 0 } property
           && ReceiverKey.Of(property.Instance) is { } key && key.SameAs(receiver);

    /// <summary>Whether writing <paramref name="target"/> changes which object the receiver designates.</summary>
    private static bool Affects(IOperation target, ReceiverKey receiver)
    {
        target = Unwrap(target);
        switch (target)
        {
            case ITupleOperation tuple:
                return tuple.Elements.Any(element => IsTrainingOf(element, receiver) || Affects(element, receiver));
            case IDeclarationExpressionOperation declaration:
                return Affects(declaration.Expression, receiver);
            case ILocalReferenceOperation local when receiver.DependsOn(local.Local):
            case IParameterReferenceOperation parameter when receiver.DependsOn(parameter.Parameter):
                return true;
        }
        return ReceiverKey.Of(target) is { } key && key.IsPrefixOf(receiver);
    }

    private static IOperation Unwrap(IOperation operation)
    {
        while (operation is IConversionOperation or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }
        return operation;
    }

    /// <summary><paramref name="first"/>, then <paramref name="second"/>.</summary>
    private static Effect Then(Effect first, Effect second)
        => first == Effect.Exits ? Effect.Exits : second == Effect.Unchanged ? first : second;

    /// <summary>Either <paramref name="a"/> or <paramref name="b"/> (two paths meeting).</summary>
    private static Effect Join(Effect a, Effect b)
    {
        if (a == Effect.Exits || a == b)
        {
            return b;
        }
        if (b == Effect.Exits)
        {
            return a;
        }
        // {Unchanged, SetsFalse}: false after both only if it was false before, which is Unchanged.
        return a == Effect.MayChange || b == Effect.MayChange ? Effect.MayChange : Effect.Unchanged;
    }
}
