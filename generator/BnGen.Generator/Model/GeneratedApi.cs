using System.Collections.Generic;
using System.Linq;

namespace BnGen.Generator.Model;

/// <summary>One parameter of a generated method: its C# type as Roslyn displays it (<c>System.ReadOnlySpan&lt;float&gt;</c>) and its name.</summary>
internal readonly struct ApiParameter
{
    public ApiParameter(string type, string name)
    {
        Type = type;
        Name = name;
    }

    /// <summary>The type as <c>ITypeSymbol.ToDisplayString()</c> gives it, without <c>global::</c>.</summary>
    public string Type { get; }

    public string Name { get; }
}

/// <summary>One generated method: name, whether it is static, and its parameters in order.</summary>
internal sealed class ApiMethod
{
    public ApiMethod(string name, bool isStatic, IReadOnlyList<ApiParameter> parameters)
    {
        Name = name;
        IsStatic = isStatic;
        Parameters = parameters;
    }

    public string Name { get; }

    public bool IsStatic { get; }

    public IReadOnlyList<ApiParameter> Parameters { get; }

    /// <summary>The parameter types, for comparing with a user's method.</summary>
    public IEnumerable<string> ParameterTypes => Parameters.Select(static p => p.Type);
}

/// <summary>What an argument of a generated method holds, as far as its length or value is checked at the call site.</summary>
internal enum ApiParameterKind
{
    /// <summary>Nothing the call-site analyzer checks (a factor, a degree of parallelism, a state dictionary).</summary>
    Other,

    /// <summary>A tensor buffer (<c>input</c>, <c>output</c>, <c>gradOutput</c>, <c>gradInput</c>): length batch · Features · plane.</summary>
    Tensor,

    /// <summary>A dimension (<c>batch</c>, <c>height</c>, <c>width</c>, <c>length</c>): must be positive.</summary>
    Dimension,

    /// <summary>A per-feature span: length exactly Features.</summary>
    PerFeature,

    /// <summary>The preceding layer's weight in <c>FoldInto</c>: length a positive multiple of Features.</summary>
    FeatureMultiple,
}

/// <summary>What decides a layer's generated API: the layout, the element type and the options that add or remove members.</summary>
internal readonly struct ApiShape
{
    public ApiShape(LayerLayout layout, ElementKind element, bool affine, bool trackRunningStats, ActivationKind activation)
    {
        Layout = layout;
        Element = element;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Activation = activation;
    }

    public LayerLayout Layout { get; }

    public ElementKind Element { get; }

    public bool Affine { get; }

    public bool TrackRunningStats { get; }

    public ActivationKind Activation { get; }

    public static ApiShape Of(LayerSpec spec)
        => new(spec.Layout, spec.Element, spec.Affine, spec.TrackRunningStats, spec.Activation);
}

/// <summary>
/// The names and signatures of everything the generator adds to a layer class, in one place: the emitter writes these
/// members, the declaration analyzer (BNG0007) reports user members that collide with them, and the call-site analyzer
/// (BNG0008, BNG0009) recognizes calls to them.
/// </summary>
internal static class GeneratedApi
{
    // Public members other than methods.
    public const string Features = nameof(Features);
    public const string Weight = nameof(Weight);
    public const string Bias = nameof(Bias);
    public const string WeightGrad = nameof(WeightGrad);
    public const string BiasGrad = nameof(BiasGrad);
    public const string RunningMean = nameof(RunningMean);
    public const string RunningVar = nameof(RunningVar);
    public const string NumBatchesTracked = nameof(NumBatchesTracked);
    public const string Training = nameof(Training);
    public const string MaxDegreeOfParallelism = nameof(MaxDegreeOfParallelism);
    public const string SyncStatistics = nameof(SyncStatistics);
    public const string AccumulateGradients = nameof(AccumulateGradients);

    // Methods.
    public const string Forward = nameof(Forward);
    public const string Backward = nameof(Backward);
    public const string ForwardTraining = nameof(ForwardTraining);
    public const string ForwardInference = nameof(ForwardInference);
    public const string BackwardTraining = nameof(BackwardTraining);
    public const string BackwardInference = nameof(BackwardInference);
    public const string FoldInto = nameof(FoldInto);
    public const string LoadStateDict = nameof(LoadStateDict);
    public const string SaveStateDict = nameof(SaveStateDict);
    public const string ResetRunningStats = nameof(ResetRunningStats);
    public const string ResetParameters = nameof(ResetParameters);
    public const string ZeroGradients = nameof(ZeroGradients);

    /// <summary>Prefixes reserved for the generated private helpers (members, nested types, fields).</summary>
    public static readonly IReadOnlyList<string> ReservedPrefixes = new[] { "BnGen", "_bnGen" };

    /// <summary>Every public non-method member name the generator may add (whichever options the layer has).</summary>
    public static readonly IReadOnlyList<string> MemberNames = new[]
    {
        Features, Weight, Bias, WeightGrad, BiasGrad, RunningMean, RunningVar, NumBatchesTracked, Training,
        MaxDegreeOfParallelism, SyncStatistics, AccumulateGradients,
    };

    /// <summary>Every method name the generator may add.</summary>
    public static readonly IReadOnlyList<string> MethodNames = new[]
    {
        Forward, Backward, ForwardTraining, ForwardInference, BackwardTraining, BackwardInference,
        FoldInto, LoadStateDict, SaveStateDict, ResetRunningStats, ResetParameters, ZeroGradients,
    };

    /// <summary>The static kernels: the tensor spans, the dimensions, then layer-specific spans and values.</summary>
    public static readonly IReadOnlyList<string> StaticKernelNames = new[]
    {
        ForwardTraining, ForwardInference, BackwardTraining, BackwardInference,
    };

    /// <summary>Names of the tensor-buffer parameters (length batch · Features · plane) of the generated methods.</summary>
    public static readonly IReadOnlyList<string> TensorParameterNames = new[] { "input", "output", "gradOutput", "gradInput" };

    /// <summary>Names of the per-feature span parameters (length exactly Features) of the static kernels and FoldInto's static form.</summary>
    public static readonly IReadOnlyList<string> PerFeatureParameterNames = new[]
    {
        "weight", "bias", "savedMean", "savedInvStd", "runningMean", "runningVar", "weightGrad", "biasGrad",
        "bnWeight", "bnBias",
    };

    /// <summary>The dimension parameters of every generated tensor method, in order, for a layout.</summary>
    public static IReadOnlyList<string> DimensionNames(LayerLayout layout) => layout switch
    {
        LayerLayout.NCHW or LayerLayout.NHWC => new[] { "batch", "height", "width" },
        LayerLayout.NCL => new[] { "batch", "length" },
        _ => new[] { "batch" },
    };

    /// <summary>Every method the generator adds to a layer of this shape, overloads included, in emission order.</summary>
    public static IReadOnlyList<ApiMethod> Methods(ApiShape shape)
    {
        string t = shape.Element == ElementKind.Double ? "double" : "float";
        var ros = new System.Func<string, ApiParameter>(name => new ApiParameter($"System.ReadOnlySpan<{t}>", name));
        var span = new System.Func<string, ApiParameter>(name => new ApiParameter($"System.Span<{t}>", name));
        var rosD = new System.Func<string, ApiParameter>(name => new ApiParameter("System.ReadOnlySpan<double>", name));
        var spanD = new System.Func<string, ApiParameter>(name => new ApiParameter("System.Span<double>", name));
        List<ApiParameter> dims = DimensionNames(shape.Layout).Select(static d => new ApiParameter("int", d)).ToList();
        var degree = new ApiParameter("int", "maxDegreeOfParallelism");
        bool reluBias = shape.Affine && shape.Activation == ActivationKind.ReLU;

        var methods = new List<ApiMethod>
        {
            new(Forward, false, Concat(new[] { ros("input"), span("output") }, dims)),
            new(Backward, false, Concat(new[] { ros("input"), ros("gradOutput"), span("gradInput") }, dims)),
        };

        void AddKernel(string name, List<ApiParameter> parameters)
        {
            methods.Add(new ApiMethod(name, true, parameters));
            methods.Add(new ApiMethod(name, true, Concat(parameters, new[] { degree })));
        }

        // ForwardTraining(input, output, dims, [weight, bias,] savedMean, savedInvStd[, runningMean, runningVar, exponentialAverageFactor])
        var forwardTraining = Concat(new[] { ros("input"), span("output") }, dims);
        if (shape.Affine)
        {
            forwardTraining.Add(ros("weight"));
            forwardTraining.Add(ros("bias"));
        }
        forwardTraining.Add(spanD("savedMean"));
        forwardTraining.Add(spanD("savedInvStd"));
        if (shape.TrackRunningStats)
        {
            forwardTraining.Add(span("runningMean"));
            forwardTraining.Add(span("runningVar"));
            forwardTraining.Add(new ApiParameter("double", "exponentialAverageFactor"));
        }
        AddKernel(ForwardTraining, forwardTraining);

        // ForwardInference(input, output, dims, [weight, bias,] runningMean, runningVar)
        if (shape.TrackRunningStats)
        {
            var forwardInference = Concat(new[] { ros("input"), span("output") }, dims);
            if (shape.Affine)
            {
                forwardInference.Add(ros("weight"));
                forwardInference.Add(ros("bias"));
            }
            forwardInference.Add(ros("runningMean"));
            forwardInference.Add(ros("runningVar"));
            AddKernel(ForwardInference, forwardInference);
        }

        // BackwardTraining(input, gradOutput, gradInput, dims, [weight, [bias (ReLU)],] savedMean, savedInvStd[, weightGrad, biasGrad])
        var backwardTraining = Concat(new[] { ros("input"), ros("gradOutput"), span("gradInput") }, dims);
        if (shape.Affine)
        {
            backwardTraining.Add(ros("weight"));
        }
        if (reluBias)
        {
            backwardTraining.Add(ros("bias"));
        }
        backwardTraining.Add(rosD("savedMean"));
        backwardTraining.Add(rosD("savedInvStd"));
        if (shape.Affine)
        {
            backwardTraining.Add(span("weightGrad"));
            backwardTraining.Add(span("biasGrad"));
        }
        AddKernel(BackwardTraining, backwardTraining);

        // BackwardInference(input, gradOutput, gradInput, dims, [weight, [bias (ReLU)],] runningMean, runningVar[, weightGrad, biasGrad])
        if (shape.TrackRunningStats)
        {
            var backwardInference = Concat(new[] { ros("input"), ros("gradOutput"), span("gradInput") }, dims);
            if (shape.Affine)
            {
                backwardInference.Add(ros("weight"));
            }
            if (reluBias)
            {
                backwardInference.Add(ros("bias"));
            }
            backwardInference.Add(ros("runningMean"));
            backwardInference.Add(ros("runningVar"));
            if (shape.Affine)
            {
                backwardInference.Add(span("weightGrad"));
                backwardInference.Add(span("biasGrad"));
            }
            AddKernel(BackwardInference, backwardInference);
        }

        // Folding into the preceding layer (evaluation mode needs running statistics).
        if (shape.TrackRunningStats)
        {
            methods.Add(new ApiMethod(FoldInto, false, new[] { span("weight"), span("bias") }));
            var foldStatic = new List<ApiParameter> { span("weight"), span("bias") };
            if (shape.Affine)
            {
                foldStatic.Add(ros("bnWeight"));
                foldStatic.Add(ros("bnBias"));
            }
            foldStatic.Add(ros("runningMean"));
            foldStatic.Add(ros("runningVar"));
            methods.Add(new ApiMethod(FoldInto, true, foldStatic));
        }

        // State.
        var stateParameters = new[] { new ApiParameter("BnGen.StateDict", "state"), new ApiParameter("string", "prefix") };
        methods.Add(new ApiMethod(LoadStateDict, false, stateParameters));
        methods.Add(new ApiMethod(SaveStateDict, false, stateParameters));
        if (shape.TrackRunningStats)
        {
            methods.Add(new ApiMethod(ResetRunningStats, false, new ApiParameter[0]));
        }
        methods.Add(new ApiMethod(ResetParameters, false, new ApiParameter[0]));
        if (shape.Affine)
        {
            methods.Add(new ApiMethod(ZeroGradients, false, new ApiParameter[0]));
        }
        return methods;
    }

    /// <summary>The axes of a tensor in memory order, outermost first, with <see cref="Features"/> standing for the feature axis.</summary>
    public static IReadOnlyList<string> TensorAxes(LayerLayout layout) => layout switch
    {
        LayerLayout.NCHW => new[] { "batch", Features, "height", "width" },
        LayerLayout.NHWC => new[] { "batch", "height", "width", Features },
        LayerLayout.NCL => new[] { "batch", Features, "length" },
        _ => new[] { "batch", Features },
    };

    /// <summary>What <paramref name="parameter"/> of <paramref name="method"/> holds, for a layer in <paramref name="layout"/>.</summary>
    public static ApiParameterKind KindOf(ApiMethod method, ApiParameter parameter, LayerLayout layout)
    {
        if (parameter.Type == "int" && DimensionNames(layout).Contains(parameter.Name))
        {
            return ApiParameterKind.Dimension;
        }
        if (TensorParameterNames.Contains(parameter.Name))
        {
            return ApiParameterKind.Tensor;
        }
        if (method.Name == FoldInto && parameter.Name == "weight")
        {
            return ApiParameterKind.FeatureMultiple;   // [Features, ...] row-major: the preceding layer's weight
        }
        return PerFeatureParameterNames.Contains(parameter.Name) ? ApiParameterKind.PerFeature : ApiParameterKind.Other;
    }

    private static List<ApiParameter> Concat(IEnumerable<ApiParameter> first, IEnumerable<ApiParameter> second)
    {
        var list = new List<ApiParameter>(first);
        list.AddRange(second);
        return list;
    }
}
