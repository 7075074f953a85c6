// How our transformers get into ML.NET's model zip.
//
// ML.NET 6.0 saves a transformer by calling ICanSaveModel.Save(ModelSaveContext) and loads it by finding, from the
// loader signature and assembly name written in the zip, a class registered with [assembly: LoadableClass] and calling
// its static Create(IHostEnvironment, ModelLoadContext). Everything in that path except the interface is internal to
// Microsoft.ML.Core: ModelSaveContext's members, ModelLoadContext, VersionInfo, LoadableClassAttribute and
// SignatureLoadModel. ML.NET's own ONNX and TorchSharp components use exactly that path; we reach it from outside:
//
//  1. eng/Publicizer writes copies of Microsoft.ML.Core and Microsoft.ML.Data with every member public; the csproj
//     compiles against those copies (they are compile references only; the program runs on the real package).
//  2. [assembly: IgnoresAccessChecksTo] below tells the .NET runtime to let this assembly call those internals. The
//     runtime honours the attribute by name, so the library declares it itself.
//  3. The [assembly: LoadableClass] lines register our three transformers, so a plain ml.Model.Load of a zip written by
//     ml.Model.Save finds them with no registration call (ML.NET loads this assembly from the name in the zip).
//
// Rejected routes (measured): CustomMapping (its factory cannot see the zip, and re-saving drops the weights), runtime
// reflection (a registration call on every MLContext), weights as ValueMapping built-ins (1.5 GB peak for 40 MB).
// The package is pinned to [6.0.0, 7.0.0); CheckRuntime verifies the members we use before any model is saved or loaded.
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.VideoCaptioning;
using Microsoft.ML.VideoCaptioning.Engine;

[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
[assembly: LoadableClass(typeof(VideoFrameSamplerTransformer), null, typeof(SignatureLoadModel),
    "Video frame sampler", VideoFrameSamplerTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(VJepaFeaturizerTransformer), null, typeof(SignatureLoadModel),
    "V-JEPA 2 featurizer", VJepaFeaturizerTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(QFormerCaptionTransformer), null, typeof(SignatureLoadModel),
    "Q-Former captioner", QFormerCaptionTransformer.LoaderSignature)]

namespace System.Runtime.CompilerServices
{
    /// <summary>Lets this assembly call internals of the named assembly (honoured by the .NET runtime, declared by its users).</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        public string AssemblyName { get; } = assemblyName;
    }
}

namespace Microsoft.ML.VideoCaptioning
{
    /// <summary>The few ML.NET internals the components use, in one place.</summary>
    internal static class MLNet
    {
        private static readonly Lazy<string?> Missing = new(FindMissingMembers);

        /// <summary>Throws a clear error when the loaded Microsoft.ML lacks a member the save/load code uses.</summary>
        public static void CheckRuntime()
        {
            if (Missing.Value is { } what)
                throw new InvalidOperationException(
                    $"Microsoft.ML.VideoCaptioning needs Microsoft.ML 6.x (found {typeof(MLContext).Assembly.GetName().Version}): " +
                    $"its internal {what} is missing. Reference Microsoft.ML version [6.0.0, 7.0.0).");
        }

        private static string? FindMissingMembers()
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;
            var core = typeof(ModelSaveContext).Assembly;
            (Type? Type, string Member)[] needed =
            [
                (typeof(ModelSaveContext), nameof(ModelSaveContext.SaveBinaryStream)),
                (typeof(ModelSaveContext), nameof(ModelSaveContext.SetVersionInfo)),
                (typeof(ModelSaveContext), nameof(ModelSaveContext.CheckAtModel)),
                (core.GetType("Microsoft.ML.ModelLoadContext"), nameof(ModelLoadContext.TryLoadBinaryStream)),
                (core.GetType("Microsoft.ML.ModelLoadContext"), nameof(ModelLoadContext.CheckAtModel)),
                (core.GetType("Microsoft.ML.Runtime.IHostEnvironmentInternal"), nameof(IHostEnvironmentInternal.GpuDeviceId)),
                (core.GetType("Microsoft.ML.Runtime.IHostEnvironmentInternal"), nameof(IHostEnvironmentInternal.Seed)),
                (typeof(SchemaShape.Column), ".ctor"),
            ];
            foreach (var (type, member) in needed)
                if (type == null || type.GetMember(member, all).Length == 0)
                    return $"{type?.FullName ?? "type"}.{member}";
            return null;
        }

        /// <summary>The MLContext (as a host environment) behind a catalog: ML.NET gives catalogs no public path to it.</summary>
        public static IHostEnvironment Environment(TransformsCatalog catalog) => ((IInternalCatalog)catalog).Environment;

        /// <summary>A named host whose random numbers follow the context's seed and whose channels reach <c>MLContext.Log</c>.</summary>
        public static IHost Host(IHostEnvironment env, string name) => env.Register(name);

        /// <summary>Seed for libtorch from the host's generator (reproducible when the MLContext has a seed).</summary>
        public static ulong Seed(IHost host) => (ulong)host.Rand.Next();

        /// <summary>
        /// The device from an explicit GPU id, else from the context's <c>GpuDeviceId</c>/<c>FallbackToCpu</c>, as ML.NET's
        /// ONNX transformer does. With fallback, a missing GPU gives the CPU and a warning; without it, a clear error.
        /// </summary>
        public static Device ResolveDevice(IHostEnvironment env, int? gpuDeviceId, bool? fallbackToCpu)
        {
            var inner = env as IHostEnvironmentInternal;
            int? id = gpuDeviceId ?? inner?.GpuDeviceId;
            bool fallback = fallbackToCpu ?? inner?.FallbackToCpu ?? false;
            if (id is not int gpu) return Device.Cpu;
            try
            {
                return Device.Cuda(gpu).EnsureAvailable();
            }
            catch (InvalidOperationException e) when (fallback)
            {
                using var ch = env.Start("Device");
                ch.Warning($"{e.Message} Falling back to the CPU (FallbackToCpu).");
                return Device.Cpu;
            }
        }

        /// <summary>Version header of one of our transformers; <paramref name="type"/>'s assembly is the one ML.NET loads.</summary>
        public static VersionInfo Version(string modelSignature, uint version, string loaderSignature, Type type) =>
            new(modelSignature, verWrittenCur: version, verReadableCur: version, verWeCanReadBack: version, loaderSignature: loaderSignature,
                loaderAssemblyName: type.Assembly.FullName);

        /// <summary>Starts a transformer's part of the zip.</summary>
        public static void BeginSave(ModelSaveContext ctx, VersionInfo version)
        {
            CheckRuntime();
            ctx.CheckAtModel();
            ctx.SetVersionInfo(version);
        }

        /// <summary>Writes a named binary entry of the transformer's folder.</summary>
        public static void SaveStream(ModelSaveContext ctx, string name, Action<Stream> write) => ctx.SaveBinaryStream(name, w =>
        {
            w.Flush();
            write(w.BaseStream);
        });

        /// <summary>Checks the header of a transformer's part of the zip (ML.NET names the version it found).</summary>
        public static void BeginLoad(ModelLoadContext ctx, VersionInfo version)
        {
            CheckRuntime();
            ctx.CheckAtModel(version);
        }

        /// <summary>Reads a named binary entry of the transformer's folder; false when it is absent.</summary>
        public static bool TryLoadStream(ModelLoadContext ctx, string name, Action<Stream> read) =>
            ctx.TryLoadBinaryStream(name, r => read(r.BaseStream));

        /// <summary>A column as <see cref="SchemaShape"/> describes it (ML.NET's constructor is internal).</summary>
        public static SchemaShape.Column ShapeColumn(string name, DataViewType itemType, bool vector, bool fixedSize = true,
            SchemaShape? annotations = null) =>
            new(name, !vector ? SchemaShape.Column.VectorKind.Scalar
                : fixedSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector,
                itemType, isKey: false, annotations);

        /// <summary>The input shape plus <paramref name="added"/> (a column of the same name is replaced, as in a data view).</summary>
        public static SchemaShape With(SchemaShape input, params SchemaShape.Column[] added) =>
            new(input.Where(c => !added.Any(a => a.Name == c.Name)).Concat(added));

        /// <summary>A schema shape of a data view's schema (ML.NET's <c>SchemaShape.Create</c> is internal).</summary>
        public static SchemaShape Shape(DataViewSchema schema) => SchemaShape.Create(schema);

        /// <summary>A text annotation of a column, or null when it has none.</summary>
        public static string? TextAnnotation(DataViewSchema.Column column, string name)
        {
            if (column.Annotations.Schema.GetColumnOrNull(name) is not { } a) return null;
            ReadOnlyMemory<char> v = default;
            column.Annotations.GetGetter<ReadOnlyMemory<char>>(a)(ref v);
            return v.ToString();
        }

        /// <summary>ML.NET's own exception for a missing column ("Could not find input column 'X'").</summary>
        public static Exception MissingColumn(string role, string column) => Contracts.ExceptSchemaMismatch("inputSchema", role, column);

        /// <summary>ML.NET's own exception for a column of the wrong type ("Schema mismatch for input column 'X': expected …, got …").</summary>
        public static Exception WrongColumnType(string role, string column, string expected, string actual) =>
            Contracts.ExceptSchemaMismatch("inputSchema", role, column, expected, actual);
    }
}
