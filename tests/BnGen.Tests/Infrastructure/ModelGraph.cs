using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Xunit.Sdk;

namespace BnGen.Tests.Infrastructure;

/// <summary>
/// Walks the objects an incremental pipeline caches (the outputs of tracked steps) through all their fields, recursively,
/// and fails if any of them is (or holds) a type that must not be cached: a symbol, syntax, a compilation or a location
/// keeps a whole compilation alive between edits and defeats caching.
/// </summary>
internal static class ModelGraph
{
    public static void AssertHoldsNo<T1, T2, T3, T4>(IReadOnlyDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> steps)
        => AssertHoldsNo(steps, typeof(T1), typeof(T2), typeof(T3), typeof(T4));

    public static void AssertHoldsNo(IReadOnlyDictionary<string, ImmutableArray<IncrementalGeneratorRunStep>> steps, params Type[] forbidden)
    {
        foreach ((string name, ImmutableArray<IncrementalGeneratorRunStep> runs) in steps)
        {
            foreach (IncrementalGeneratorRunStep step in runs)
            {
                foreach ((object value, IncrementalStepRunReason _) in step.Outputs)
                {
                    string? path = FindForbidden(value, forbidden);
                    if (path is not null)
                    {
                        throw new XunitException($"The output of step '{name}' holds {path}: a cached model must hold values only.");
                    }
                }
            }
        }
    }

    /// <summary>The field path to the first forbidden object reachable from <paramref name="root"/>, or null.</summary>
    public static string? FindForbidden(object? root, params Type[] forbidden)
    {
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(object Value, string Path)>();
        if (root is not null)
        {
            pending.Push((root, root.GetType().Name));
        }
        while (pending.Count > 0)
        {
            (object value, string path) = pending.Pop();
            Type type = value.GetType();
            if (forbidden.Any(f => f.IsAssignableFrom(type)))
            {
                return $"{path} ({type.FullName})";
            }
            if (IsLeaf(type) || (!type.IsValueType && !visited.Add(value)))
            {
                continue;
            }
            if (value is Array array)
            {
                int i = 0;
                foreach (object? item in array)
                {
                    if (item is not null)
                    {
                        pending.Push((item, $"{path}[{i}]"));
                    }
                    i++;
                }
                continue;
            }
            for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsByRef || field.FieldType.IsByRefLike)
                    {
                        continue;
                    }
                    object? child = field.GetValue(value);
                    if (child is not null)
                    {
                        pending.Push((child, path + "." + field.Name));
                    }
                }
            }
        }
        return null;
    }

    private static bool IsLeaf(Type type)
        => type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)
           || typeof(Type).IsAssignableFrom(type) || typeof(Delegate).IsAssignableFrom(type)
           || type.IsPointer || type == typeof(IntPtr) || type == typeof(UIntPtr);
}
