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
/// BNG0001: adds <c>partial</c> to the type at the diagnostic and to every type declaration around it that lacks the
/// modifier, and, when the diagnostic is on a containing type, to the layers inside it and the types between: one fix
/// makes the whole nesting chain partial. Works for classes and records alike.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    internal const string Title = "Make the layer and its containing types partial";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ClassNotPartial);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(FixAllInDocumentAsync);

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
            if (DeclarationAt(root, diagnostic) is null)
            {
                continue;
            }
            context.RegisterCodeFix(
                CodeAction.Create(Title,
                    ct => FixAllInDocumentCoreAsync(context.Document, ImmutableArray.Create(diagnostic), ct),
                    equivalenceKey: nameof(MakePartialCodeFix)),
                diagnostic);
        }
    }

    private static Task<Document?> FixAllInDocumentAsync(FixAllContext context, Document document, ImmutableArray<Diagnostic> diagnostics)
        => FixAllInDocumentCoreAsync(document, diagnostics, context.CancellationToken)!;

    private static async Task<Document> FixAllInDocumentCoreAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }
        var targets = new HashSet<TypeDeclarationSyntax>();
        foreach (Diagnostic diagnostic in diagnostics)
        {
            if (DeclarationAt(root, diagnostic) is not { } declaration)
            {
                continue;
            }
            AddChain(targets, declaration);
            // On a containing type, the fix also completes the chains down to the layers it contains.
            foreach (TypeDeclarationSyntax nested in declaration.DescendantNodes().OfType<TypeDeclarationSyntax>())
            {
                if (HasLayerAttribute(nested))
                {
                    AddChain(targets, nested);
                }
            }
        }
        if (targets.Count == 0)
        {
            return document;
        }
        SyntaxNode newRoot = root.ReplaceNodes(targets, static (original, rewritten) => AddPartial(rewritten));
        return document.WithSyntaxRoot(newRoot);
    }

    private static void AddChain(HashSet<TypeDeclarationSyntax> targets, TypeDeclarationSyntax declaration)
    {
        foreach (TypeDeclarationSyntax chain in declaration.AncestorsAndSelf().OfType<TypeDeclarationSyntax>())
        {
            if (!chain.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                targets.Add(chain);
            }
        }
    }

    private static bool HasLayerAttribute(TypeDeclarationSyntax declaration)
        => declaration.AttributeLists.SelectMany(static list => list.Attributes).Any(static attribute =>
            (attribute.Name is QualifiedNameSyntax qualified ? qualified.Right : attribute.Name) is IdentifierNameSyntax
            {
                Identifier.ValueText: "BatchNormLayer" or "BatchNormLayerAttribute",
            });

    private static TypeDeclarationSyntax? DeclarationAt(SyntaxNode root, Diagnostic diagnostic)
    {
        SyntaxToken token = root.FindToken(diagnostic.Location.SourceSpan.Start);
        return token.Parent is TypeDeclarationSyntax declaration && declaration.Identifier == token ? declaration : null;
    }

    /// <summary>Inserts <c>partial</c> as the last modifier, right before <c>class</c> or <c>record</c>, keeping trivia.</summary>
    private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            return declaration;
        }
        SyntaxToken partialToken = SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space);
        if (declaration.Modifiers.Count == 0)
        {
            // The keyword's leading trivia (indentation, comments) moves to the new first token.
            SyntaxToken keyword = declaration.Keyword;
            return declaration
                .WithKeyword(keyword.WithLeadingTrivia())
                .WithModifiers(SyntaxFactory.TokenList(partialToken.WithLeadingTrivia(keyword.LeadingTrivia)));
        }
        return declaration.WithModifiers(declaration.Modifiers.Add(partialToken));
    }
}
