using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BnGen.Generator;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0008: inserts <c>receiver.Training = false;</c> on its own line before the statement that calls <c>Forward</c>,
/// so a single sample goes through the running statistics. Offered only when the analyzer says it helps (the layer
/// tracks running statistics and the analyzer can match the receiver) and the receiver is a plain name, <c>this</c>, or a
/// chain of members and element accesses on one whose indices are literals or names (<c>layers[i]</c>, <c>model.Norms[2]</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SetTrainingFalseCodeFix)), Shared]
public sealed class SetTrainingFalseCodeFix : CodeFixProvider
{
    internal const string Title = "Set Training = false before this call";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SingleValuePerChannel);

    /// <inheritdoc />
    /// <remarks>
    /// Fix All inserts one assignment before the first flagged call of each receiver, and another before a later call only
    /// where the first one does not surely reach it: when the later call is not in the same statement list or one nested in
    /// it, when a loop, lambda, local function, catch or finally lies between, or when something written in between may
    /// change the receiver or its <c>Training</c> (the batch fixer would repeat the line before each call).
    /// </remarks>
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(static async (context, document, diagnostics) =>
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(Apply(root, diagnostics));
    });

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return;
        }
        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (Plan(root, diagnostic) is null)
            {
                continue;
            }
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => ApplyAsync(context.Document, diagnostic, ct), equivalenceKey: nameof(SetTrainingFalseCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, Diagnostic diagnostic, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        return root is null ? document : document.WithSyntaxRoot(Apply(root, ImmutableArray.Create(diagnostic)));
    }

    /// <summary>Inserts <c>receiver.Training = false;</c> before each flagged statement that an earlier insertion does not cover.</summary>
    private static SyntaxNode Apply(SyntaxNode root, ImmutableArray<Diagnostic> diagnostics)
    {
        var plans = new List<(StatementSyntax Statement, string Receiver)>();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            if (Plan(root, diagnostic) is ({ } statement, { } receiver) && !plans.Contains((statement, receiver)))
            {
                plans.Add((statement, receiver));
            }
        }
        var anchors = new List<(StatementSyntax Statement, string Receiver)>();
        foreach ((StatementSyntax statement, string receiver) in plans.OrderBy(static p => p.Statement.SpanStart))
        {
            if (!anchors.Any(anchor => anchor.Receiver == receiver && Covers(anchor.Statement, statement, receiver)))
            {
                anchors.Add((statement, receiver));
            }
        }
        if (anchors.Count == 0)
        {
            return root;
        }

        SyntaxTrivia endOfLine = root.DescendantTrivia().FirstOrDefault(static t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (endOfLine == default)
        {
            endOfLine = SyntaxFactory.CarriageReturnLineFeed;
        }
        SyntaxNode tracked = root.TrackNodes(anchors.Select(static a => a.Statement));
        foreach ((StatementSyntax original, string receiver) in anchors)
        {
            StatementSyntax statement = tracked.GetCurrentNode(original)!;
            tracked = tracked.InsertNodesBefore(Anchor(statement), new[] { Assignment(statement, receiver, endOfLine) });
        }
        return tracked;
    }

    /// <summary>
    /// Whether <c>receiver.Training = false;</c> inserted before <paramref name="anchor"/> surely still holds at
    /// <paramref name="statement"/>: <paramref name="statement"/> follows it in the same statement list or in one nested in
    /// it, not inside a loop, lambda, local function, catch or finally entered on the way, and nothing between the two
    /// writes a name the receiver is built from or a <c>Training</c> that may be the receiver's.
    /// </summary>
    private static bool Covers(StatementSyntax anchor, StatementSyntax statement, string receiver)
    {
        SyntaxNode anchorNode = Anchor(anchor);
        SyntaxNode? sibling = statement.AncestorsAndSelf().FirstOrDefault(n => n.Parent == anchorNode.Parent);
        if (sibling is null || sibling.SpanStart < anchorNode.SpanStart)
        {
            return false;
        }
        for (SyntaxNode? node = statement; node is not null && node != sibling; node = node.Parent)
        {
            if (node is ForStatementSyntax or CommonForEachStatementSyntax or WhileStatementSyntax or DoStatementSyntax
                or AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or CatchClauseSyntax or FinallyClauseSyntax)
            {
                return false;
            }
        }

        var names = new HashSet<string>(SyntaxFactory.ParseExpression(receiver.Length == 0 ? "this" : receiver)
            .DescendantNodesAndSelf().OfType<SimpleNameSyntax>().Select(static n => n.Identifier.ValueText));
        bool onThis = receiver.Length == 0 || receiver.StartsWith("this", System.StringComparison.Ordinal);
        var between = new Microsoft.CodeAnalysis.Text.TextSpan(anchorNode.SpanStart, statement.SpanStart - anchorNode.SpanStart);
        foreach (SyntaxNode node in anchorNode.Parent!.DescendantNodes(between))
        {
            if (!between.Contains(node.Span))
            {
                continue;
            }
            ExpressionSyntax? written = node switch
            {
                AssignmentExpressionSyntax assignment => assignment.Left,
                PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression } prefix => prefix.Operand,
                PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression } postfix => postfix.Operand,
                ArgumentSyntax { RefKindKeyword.RawKind: (int)SyntaxKind.RefKeyword or (int)SyntaxKind.OutKeyword } argument => argument.Expression,
                _ => null,
            };
            if (written is null)
            {
                continue;
            }
            if (written is IdentifierNameSyntax { Identifier.ValueText: GeneratedApi.Training }
                || written is MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: GeneratedApi.Training })
            {
                if (onThis)
                {
                    return false;
                }
                continue;
            }
            if (written.DescendantNodesAndSelf().OfType<SimpleNameSyntax>().Any(n => names.Contains(n.Identifier.ValueText)))
            {
                return false;
            }
        }
        return true;
    }

    private static SyntaxNode Anchor(StatementSyntax statement)
        => statement.Parent is GlobalStatementSyntax global ? global : statement;

    private static SyntaxNode Assignment(StatementSyntax statement, string receiver, SyntaxTrivia endOfLine)
    {
        ExpressionSyntax target = receiver.Length == 0
            ? SyntaxFactory.IdentifierName(GeneratedApi.Training)
            : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.ParseExpression(receiver), SyntaxFactory.IdentifierName(GeneratedApi.Training));
        StatementSyntax assignment = SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression, target, SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)));

        // Same indentation as the call's statement, then the file's line break.
        SyntaxTriviaList indentation = SyntaxFactory.TriviaList(statement.GetLeadingTrivia().Reverse()
            .TakeWhile(static t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse());
        assignment = assignment.NormalizeWhitespace().WithLeadingTrivia(indentation).WithTrailingTrivia(endOfLine);
        return statement.Parent is GlobalStatementSyntax ? SyntaxFactory.GlobalStatement(assignment) : assignment;
    }

    /// <summary>The statement to insert before and the receiver text ("" for an implicit <c>this</c>), or null.</summary>
    private static (StatementSyntax Statement, string Receiver)? Plan(SyntaxNode root, Diagnostic diagnostic)
    {
        SyntaxNode? node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        InvocationExpressionSyntax? invocation = node?.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
        if (invocation is null || !diagnostic.Properties.ContainsKey(Descriptors.TrainingFalseHelps))
        {
            return null;
        }
        string receiver;
        switch (invocation.Expression)
        {
            case IdentifierNameSyntax:
                receiver = string.Empty;
                break;
            case MemberAccessExpressionSyntax { Expression: var expression } when IsPlainReceiver(expression):
                receiver = expression.WithoutTrivia().ToString();
                break;
            default:
                return null;
        }
        StatementSyntax? statement = invocation.FirstAncestorOrSelf<StatementSyntax>();
        if (statement?.Parent is not (BlockSyntax or SwitchSectionSyntax or GlobalStatementSyntax))
        {
            return null;   // an embedded statement (if without braces, a lambda body) has no place for a line before it
        }
        return (statement, receiver);
    }

    private static bool IsPlainReceiver(ExpressionSyntax expression) => expression switch
    {
        IdentifierNameSyntax or ThisExpressionSyntax => true,
        MemberAccessExpressionSyntax { Name: IdentifierNameSyntax } access => IsPlainReceiver(access.Expression),
        ElementAccessExpressionSyntax { ArgumentList.Arguments: { Count: > 0 } arguments } element
            => IsPlainReceiver(element.Expression) && arguments.All(static a => a.NameColon is null && a.RefKindKeyword.IsKind(SyntaxKind.None)
                && a.Expression is LiteralExpressionSyntax or IdentifierNameSyntax),
        _ => false,
    };
}
