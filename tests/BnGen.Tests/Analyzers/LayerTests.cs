using System;
using System.Collections.Generic;
using BnGen.Generator;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace BnGen.Tests.Analyzers;

/// <summary>Offline references for analyzer and code fix tests: the .NET 10 reference assemblies and BnGen itself.</summary>
internal static class TestReferences
{
    /// <summary>
    /// A target framework without a reference-assembly package: the testing library resolves nothing from NuGet
    /// (the references come from Basic.Reference.Assemblies instead).
    /// </summary>
    public static ReferenceAssemblies Offline { get; } = new("net10.0");

    public static void AddTo(SolutionState state)
    {
        state.AdditionalReferences.AddRange(Net100.References.All);
        state.AdditionalReferences.Add(MetadataReference.CreateFromFile(typeof(BatchNormLayerAttribute).Assembly.Location));
    }
}

/// <summary>
/// An analyzer test on BnGen code. With <see cref="RunGenerator"/> the BnGen generator runs too, so calls to the
/// generated <c>Forward</c> bind (the call analyzer needs them); the generated files themselves are not compared here.
/// </summary>
internal sealed class LayerAnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public LayerAnalyzerTest(string source, bool runGenerator = false)
    {
        TestCode = source;
        RunGenerator = runGenerator;
        ReferenceAssemblies = TestReferences.Offline;
        TestReferences.AddTo(TestState);
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        MarkupOptions |= MarkupOptions.UseFirstDescriptor;   // BNG0009 has several messages (descriptors); {|BNG0009:…|} checks the ID and span
    }

    public bool RunGenerator { get; }

    protected override IEnumerable<Type> GetSourceGenerators()
        => RunGenerator ? new[] { typeof(BatchNormGenerator) } : Array.Empty<Type>();
}

/// <summary>A code fix test on BnGen code, with the same offline references (and optionally the generator).</summary>
internal sealed class LayerCodeFixTest<TAnalyzer, TCodeFix> : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public LayerCodeFixTest(string source, string fixedSource, bool runGenerator = false)
    {
        TestCode = source;
        FixedCode = fixedSource;
        RunGenerator = runGenerator;
        ReferenceAssemblies = TestReferences.Offline;
        TestReferences.AddTo(TestState);
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        MarkupOptions |= MarkupOptions.UseFirstDescriptor;   // BNG0009 has several messages (descriptors); {|BNG0009:…|} checks the ID and span
    }

    public bool RunGenerator { get; }

    protected override IEnumerable<Type> GetSourceGenerators()
        => RunGenerator ? new[] { typeof(BatchNormGenerator) } : Array.Empty<Type>();
}

public class TestReferencesTests
{
    [Xunit.Fact]
    public async System.Threading.Tasks.Task OfflineReferenceAssemblies_ResolveNothingFromNuGet()
    {
        Xunit.Assert.Null(TestReferences.Offline.ReferenceAssemblyPackage);
        System.Collections.Immutable.ImmutableArray<MetadataReference> resolved =
            await TestReferences.Offline.ResolveAsync(LanguageNames.CSharp, System.Threading.CancellationToken.None);
        Xunit.Assert.Empty(resolved);
    }
}
