using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BnGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0008: inserts <c>receiver.Training = false;</c> on its own line before the statement that calls <c>Forward</c>,
/// so a single sample goes through the running statistics. Offered only when the analyzer says it helps (the layer
/// tracks running statistics) and the receiver is a plain name, <c>this</c> or a member chain on one.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SetTrainingFalseCodeFix)), Shared]
public sealed class SetTrainingFalseCodeFix : CodeFixProvider
{
    internal const string Title = "Set Training = false before this call";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.SingleValuePerChannel);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

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
            if (!diagnostic.Properties.ContainsKey(Descriptors.TrainingFalseHelps) || Plan(root, diagnostic) is null)
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
        if (root is null || Plan(root, diagnostic) is not ({ } statement, { } receiver))
        {
            return document;
        }
        ExpressionSyntax target = receiver.Length == 0
            ? SyntaxFactory.IdentifierName("Training")
            : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.ParseExpression(receiver), SyntaxFactory.IdentifierName("Training"));
        StatementSyntax assignment = SyntaxFactory.ExpressionStatement(SyntaxFactory.AssignmentExpression(
            SyntaxKind.SimpleAssignmentExpression, target, SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression)));

        // Same indentation as the call's statement, then the file's line break.
        SyntaxTriviaList indentation = SyntaxFactory.TriviaList(statement.GetLeadingTrivia().Reverse()
            .TakeWhile(static t => t.IsKind(SyntaxKind.WhitespaceTrivia)).Reverse());
        SyntaxTrivia endOfLine = root.DescendantTrivia().FirstOrDefault(static t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (endOfLine == default)
        {
            endOfLine = SyntaxFactory.ElasticCarriageReturnLineFeed;
        }
        assignment = assignment.NormalizeWhitespace().WithLeadingTrivia(indentation).WithTrailingTrivia(endOfLine);

        SyntaxNode anchor = statement.Parent is GlobalStatementSyntax global ? global : statement;
        SyntaxNode inserted = anchor is GlobalStatementSyntax
            ? SyntaxFactory.GlobalStatement(assignment)
            : assignment;
        return document.WithSyntaxRoot(root.InsertNodesBefore(anchor, new[] { inserted }));
    }

    /// <summary>The statement to insert before and the receiver text ("" for an implicit <c>this</c>), or null.</summary>
    private static (StatementSyntax Statement, string Receiver)? Plan(SyntaxNode root, Diagnostic diagnostic)
    {
        SyntaxNode? node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
        InvocationExpressionSyntax? invocation = node?.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
        if (invocation is null)
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
        _ => false,
    };
}
