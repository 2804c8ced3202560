using System.Collections.Generic;
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
    /// <remarks>
    /// Fix All inserts one assignment per receiver and method body, before the first flagged call: the later calls on
    /// that receiver are then in evaluation mode too (the batch fixer would repeat the line before each call).
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

    /// <summary>Inserts <c>receiver.Training = false;</c> before the first flagged statement of each receiver and body.</summary>
    private static SyntaxNode Apply(SyntaxNode root, ImmutableArray<Diagnostic> diagnostics)
    {
        var firsts = new Dictionary<(SyntaxNode? Body, string Receiver), StatementSyntax>();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            if (Plan(root, diagnostic) is not ({ } statement, { } receiver))
            {
                continue;
            }
            SyntaxNode? body = statement.Ancestors().FirstOrDefault(static n => n is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax
                or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax or CompilationUnitSyntax);
            if (!firsts.TryGetValue((body, receiver), out StatementSyntax? first) || statement.SpanStart < first.SpanStart)
            {
                firsts[(body, receiver)] = statement;
            }
        }
        if (firsts.Count == 0)
        {
            return root;
        }

        SyntaxTrivia endOfLine = root.DescendantTrivia().FirstOrDefault(static t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        if (endOfLine == default)
        {
            endOfLine = SyntaxFactory.CarriageReturnLineFeed;
        }
        SyntaxNode tracked = root.TrackNodes(firsts.Values);
        foreach (KeyValuePair<(SyntaxNode? Body, string Receiver), StatementSyntax> entry in firsts)
        {
            StatementSyntax statement = tracked.GetCurrentNode(entry.Value)!;
            tracked = tracked.InsertNodesBefore(Anchor(statement), new[] { Assignment(statement, entry.Key.Receiver, endOfLine) });
        }
        return tracked;
    }

    private static SyntaxNode Anchor(StatementSyntax statement)
        => statement.Parent is GlobalStatementSyntax global ? global : statement;

    private static SyntaxNode Assignment(StatementSyntax statement, string receiver, SyntaxTrivia endOfLine)
    {
        ExpressionSyntax target = receiver.Length == 0
            ? SyntaxFactory.IdentifierName("Training")
            : SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression,
                SyntaxFactory.ParseExpression(receiver), SyntaxFactory.IdentifierName("Training"));
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
        _ => false,
    };
}
