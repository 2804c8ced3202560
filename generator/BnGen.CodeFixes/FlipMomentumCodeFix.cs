using System.Collections.Immutable;
using System.Composition;
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
/// BNG0010: replaces a Keras-style momentum m (weight of the old statistic) by the PyTorch value 1 − m, written as an
/// invariant, round-trip literal computed in decimal (0.9 becomes 0.1, 0.99 becomes 0.01). Not offered where it would
/// change nothing (a written 0.5).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FlipMomentumCodeFix)), Shared]
public sealed class FlipMomentumCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.MomentumLooksLikeKeras);

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
            if (!diagnostic.Properties.TryGetValue(Descriptors.SuggestedMomentum, out string? value) || value is null
                || root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax expression
                || expression.ToString() == value)
            {
                continue;
            }
            context.RegisterCodeFix(
                CodeAction.Create($"Use the PyTorch momentum {value} (1 − m)",
                    ct => ApplyAsync(context.Document, diagnostic, value, ct),
                    equivalenceKey: nameof(FlipMomentumCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Document> ApplyAsync(Document document, Diagnostic diagnostic, string value, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax expression)
        {
            return document;
        }
        ExpressionSyntax literal = SyntaxFactory.ParseExpression(value).WithTriviaFrom(expression);
        return document.WithSyntaxRoot(root.ReplaceNode(expression, literal));
    }
}
