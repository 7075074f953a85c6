using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

/// <summary>
/// The C ABI checks itself: Engine/Native.cs imports exactly the functions src/native/vidcap_torch.h declares, every
/// one of them resolves in the built shim, and every elementwise export computes its own op (against System.Math).
/// </summary>
public class NativeAbiTests
{
    private static readonly Type NativeType = typeof(Tensor).Assembly.GetType("Microsoft.ML.VideoCaptioning.Engine.Native", throwOnError: true)!;

    /// <summary>Entry points of the shim imported by Native.cs, found by reflection.</summary>
    private static SortedSet<string> ImportedEntryPoints()
    {
        string lib = (string)NativeType.GetField("Lib", BindingFlags.NonPublic | BindingFlags.Static)!.GetRawConstantValue()!;
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var m in NativeType.GetMethods(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static))
        {
            if (m.GetCustomAttribute<LibraryImportAttribute>() is { } li && li.LibraryName == lib) names.Add(li.EntryPoint ?? m.Name);
            else if (m.GetCustomAttribute<DllImportAttribute>() is { } di && di.Value == lib) names.Add(di.EntryPoint ?? m.Name);
        }
        return names;
    }

    private static SortedSet<string> HeaderDeclarations()
    {
        string header = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src", "native", "vidcap_torch.h"));
        return new SortedSet<string>(Regex.Matches(header, @"^VT_EXPORT [^;(]*?\b(vt_\w+)\(", RegexOptions.Multiline).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    [Fact]
    public void NativeCsImportsExactlyTheFunctionsTheHeaderDeclares()
    {
        var imported = ImportedEntryPoints();
        var declared = HeaderDeclarations();
        Assert.True(imported.Count > 100, $"only {imported.Count} imports found by reflection");
        Assert.Empty(imported.Except(declared));   // imported but not declared in vidcap_torch.h
        Assert.Empty(declared.Except(imported));   // declared but never imported
    }

    [Fact]
    public void EveryImportedEntryPointResolvesInTheBuiltLibrary()
    {
        _ = Torch.Version;   // loads the shim through the library's resolver
        var handle = NativeLibrary.Load("vidcap_torch", NativeType.Assembly, null);
        var missing = ImportedEntryPoints().Where(name => !NativeLibrary.TryGetExport(handle, name, out _)).ToList();
        Assert.True(missing.Count == 0, "not exported by the loaded libvidcap_torch.so (rebuild it with ./build.sh): " + string.Join(", ", missing));
    }

    public static TheoryData<string> UnaryOps() => new(Unary.Keys);

    private static readonly Dictionary<string, (Func<Tensor, Tensor> Op, Func<double, double> Reference)> Unary = new()
    {
        ["neg"] = (t => -t, x => -x),
        ["exp"] = (t => t.Exp(), Math.Exp),
        ["log"] = (t => t.Abs().Log(), x => Math.Log(Math.Abs(x))),
        ["sqrt"] = (t => t.Abs().Sqrt(), x => Math.Sqrt(Math.Abs(x))),
        ["rsqrt"] = (t => t.Abs().Rsqrt(), x => 1 / Math.Sqrt(Math.Abs(x))),
        ["tanh"] = (t => t.Tanh(), Math.Tanh),
        ["sin"] = (t => t.Sin(), Math.Sin),
        ["cos"] = (t => t.Cos(), Math.Cos),
        ["abs"] = (t => t.Abs(), Math.Abs),
        ["sigmoid"] = (t => t.Sigmoid(), x => 1 / (1 + Math.Exp(-x))),
        ["relu"] = (t => t.Relu(), x => Math.Max(x, 0)),
        ["silu"] = (t => t.Silu(), x => x / (1 + Math.Exp(-x))),
        ["gelu"] = (t => t.Gelu(), x => 0.5 * x * (1 + TensorOpsTests.Erf(x / Math.Sqrt(2)))),
        ["gelu_tanh"] = (t => t.Gelu(tanhApproximation: true), x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))),
        ["erf"] = (t => t.Erf(), TensorOpsTests.Erf),
        ["floor"] = (t => t.Floor(), Math.Floor),
        ["round"] = (t => t.Round(), x => Math.Round(x, MidpointRounding.ToEven)),
        ["logical_not"] = (t => t.LogicalNot().To(DType.Float32), x => x == 0 ? 1 : 0),
        ["isfinite"] = (t => t.IsFinite().To(DType.Float32), x => double.IsFinite(x) ? 1 : 0),
    };

    // Half-way points for round and a zero for logical_not; isfinite adds ±∞ and NaN, log and rsqrt leave out the zero.
    private static readonly double[] Inputs = [-2.5, -1.3, -0.5, 0, 0.5, 0.7, 1.5, 2.5, 3.2];

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void EveryUnaryExportComputesItsOwnOp(string op)
    {
        using var scope = TensorScope.Open();
        double[] xs = op == "isfinite" ? [.. Inputs, double.PositiveInfinity, double.NegativeInfinity, double.NaN] : op is "log" or "rsqrt" ? Inputs.Where(x => x != 0).ToArray() : Inputs;
        var (apply, reference) = Unary[op];
        var got = apply(Tensor.From(xs, xs.Length)).To(DType.Float64).ToArray<double>();
        for (int i = 0; i < xs.Length; i++)
            Assert.True(Math.Abs(got[i] - reference(xs[i])) <= 1e-9 * Math.Max(1, Math.Abs(reference(xs[i]))), $"{op}({xs[i]}) = {got[i]}, expected {reference(xs[i])}");
    }

    [Fact]
    public void EveryComparisonAndLogicExportComputesItsOwnOp()
    {
        using var scope = TensorScope.Open();
        double[] a = [-1, 0, 2, 3, 0], b = [0, 0, 3, 2, 1];
        var ta = Tensor.From(a, a.Length);
        var tb = Tensor.From(b, b.Length);
        var cases = new (string Name, Tensor Got, Func<double, double, bool> Reference)[]
        {
            ("eq", ta.Eq(tb), (x, y) => x == y), ("ne", ta.Ne(tb), (x, y) => x != y), ("lt", ta.Lt(tb), (x, y) => x < y),
            ("le", ta.Le(tb), (x, y) => x <= y), ("gt", ta.Gt(tb), (x, y) => x > y), ("ge", ta.Ge(tb), (x, y) => x >= y),
            ("logical_and", ta.LogicalAnd(tb), (x, y) => x != 0 && y != 0), ("logical_or", ta.LogicalOr(tb), (x, y) => x != 0 || y != 0),
            ("eq_scalar", ta.Eq(2), (x, _) => x == 2), ("ne_scalar", ta.Ne(2), (x, _) => x != 2), ("lt_scalar", ta.Lt(2), (x, _) => x < 2),
            ("le_scalar", ta.Le(2), (x, _) => x <= 2), ("gt_scalar", ta.Gt(2), (x, _) => x > 2), ("ge_scalar", ta.Ge(2), (x, _) => x >= 2),
        };
        foreach (var (name, got, reference) in cases)
        {
            Assert.Equal(DType.Bool, got.DType);
            Assert.Equal(a.Select((x, i) => reference(x, b[i])).ToArray(), got.ToArray<bool>());
        }
    }
}
