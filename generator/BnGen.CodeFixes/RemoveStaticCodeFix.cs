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
/// BNG0007 on a static class: removes <c>static</c> from every declaration of the class (in every file), so the layer
/// can have its instance members. The class's own static members stay static.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveStaticCodeFix)), Shared]
public sealed class RemoveStaticCodeFix : CodeFixProvider
{
    internal const string Title = "Make the layer class non-static";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.CannotHoldLayer);

    /// <inheritdoc />
    public override FixAllProvider? GetFixAllProvider() => null;   // one class at a time: the fix edits every part of it

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
            SyntaxToken token = root.FindToken(diagnostic.Location.SourceSpan.Start);
            if (!diagnostic.Properties.ContainsKey(Descriptors.StaticClass) || token.Parent is not ClassDeclarationSyntax declaration)
            {
                continue;
            }
            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => ApplyAsync(context.Document, declaration, ct), equivalenceKey: nameof(RemoveStaticCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Solution> ApplyAsync(Document document, ClassDeclarationSyntax declaration, CancellationToken cancellationToken)
    {
        Solution solution = document.Project.Solution;
        SemanticModel? model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        if (model?.GetDeclaredSymbol(declaration, cancellationToken) is not INamedTypeSymbol type)
        {
            return solution;
        }

        // Every declaration of the class with the modifier, grouped by file.
        var byTree = new Dictionary<SyntaxTree, List<ClassDeclarationSyntax>>();
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (await reference.GetSyntaxAsync(cancellationToken).ConfigureAwait(false) is ClassDeclarationSyntax part
                && part.Modifiers.Any(SyntaxKind.StaticKeyword))
            {
                if (!byTree.TryGetValue(part.SyntaxTree, out List<ClassDeclarationSyntax>? parts))
                {
                    byTree[part.SyntaxTree] = parts = new List<ClassDeclarationSyntax>();
                }
                parts.Add(part);
            }
        }
        foreach (KeyValuePair<SyntaxTree, List<ClassDeclarationSyntax>> entry in byTree)
        {
            if (solution.GetDocument(entry.Key) is not { } partDocument)
            {
                continue;
            }
            SyntaxNode root = await entry.Key.GetRootAsync(cancellationToken).ConfigureAwait(false);
            SyntaxNode newRoot = root.ReplaceNodes(entry.Value, static (_, rewritten) => RemoveStatic(rewritten));
            solution = solution.WithDocumentSyntaxRoot(partDocument.Id, newRoot);
        }
        return solution;
    }

    private static ClassDeclarationSyntax RemoveStatic(ClassDeclarationSyntax declaration)
    {
        int index = declaration.Modifiers.IndexOf(SyntaxKind.StaticKeyword);
        if (index < 0)
        {
            return declaration;
        }
        SyntaxToken removed = declaration.Modifiers[index];
        SyntaxTokenList modifiers = declaration.Modifiers.RemoveAt(index);
        if (index == 0)
        {
            // Keep the leading trivia (indentation, comments) of the removed first modifier.
            return modifiers.Count > 0
                ? declaration.WithModifiers(modifiers.Replace(modifiers[0], modifiers[0].WithLeadingTrivia(removed.LeadingTrivia)))
                : declaration.WithModifiers(modifiers).WithKeyword(declaration.Keyword.WithLeadingTrivia(removed.LeadingTrivia));
        }
        return declaration.WithModifiers(modifiers);
    }
}
