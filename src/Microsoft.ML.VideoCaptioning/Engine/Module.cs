namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// A tree of parameters addressed by Hugging Face dotted names ("encoder.layer.0.attention.query.weight"), like
/// torch.nn.Module. Parameters are created once on their final device and type; loading copies values into them.
/// New modules are in evaluation mode (dropout off); call <see cref="Train"/> to train.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Value)> _parameters = new();
    private readonly List<(string Name, Module Child)> _children = new();

    /// <summary>True in training mode (dropout active).</summary>
    public bool Training { get; private set; }

    /// <summary>Registers a parameter; the module owns and disposes it.</summary>
    protected Tensor Parameter(string name, Tensor value)
    {
        value.DetachFromScope();
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Registers a child module under <paramref name="name"/>.</summary>
    protected T Child<T>(string name, T module) where T : Module
    {
        _children.Add((name, module));
        return module;
    }

    /// <summary>All parameters with their dotted names, depth first in registration order.</summary>
    public IEnumerable<(string Name, Tensor Value)> NamedParameters(string prefix = "")
    {
        foreach (var (n, p) in _parameters) yield return (prefix + n, p);
        foreach (var (n, c) in _children)
            foreach (var item in c.NamedParameters(prefix + n + "."))
                yield return item;
    }

    /// <summary>All parameters.</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Value);

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount => Parameters().Sum(p => p.NumEl);

    /// <summary>Sets training mode on this module and its children.</summary>
    public Module Train(bool on = true)
    {
        Training = on;
        foreach (var (_, c) in _children) c.Train(on);
        return this;
    }

    /// <summary>Sets evaluation mode (dropout off).</summary>
    public Module Eval() => Train(false);

    /// <summary>Sets requires_grad on every parameter; false freezes the module.</summary>
    public void RequiresGrad(bool on)
    {
        foreach (var p in Parameters()) p.RequiresGrad = on;
    }

    /// <summary>Freezes every parameter (no gradients).</summary>
    public void Freeze() => RequiresGrad(false);

    /// <summary>
    /// Copies every parameter from <paramref name="checkpoint"/> (converting type and device). Each parameter must be
    /// present with the same shape; extra tensors in the file are ignored (e.g. V-JEPA's predictor).
    /// </summary>
    public void Load(Checkpoint checkpoint, string prefix = "")
    {
        var missing = new List<string>();
        using var noGrad = Torch.NoGrad();
        foreach (var (name, p) in NamedParameters())
        {
            var key = prefix + name;
            if (!checkpoint.Contains(key)) { missing.Add(key); continue; }
            var info = checkpoint.Info(key);
            var shape = p.Shape;
            if (!info.Shape.SequenceEqual(shape))
                throw new SafeTensorsFormatException(
                    $"{checkpoint.Source}: '{key}' has shape [{string.Join(", ", info.Shape)}] but the model expects [{string.Join(", ", shape)}]; " +
                    "config.json does not describe these weights.");
            using var src = checkpoint.Read(key);
            p.CopyFrom(src);
        }
        if (missing.Count > 0)
            throw new SafeTensorsFormatException(
                $"{checkpoint.Source}: {missing.Count} weight(s) missing, e.g. {string.Join(", ", missing.Take(5))}. " +
                "Is this the right model directory?");
    }

    /// <summary>Loads <paramref name="module"/>'s parameters from the weights in <paramref name="dir"/>; disposes the module if that fails.</summary>
    public static T LoadFrom<T>(T module, string dir) where T : Module
    {
        try
        {
            using var ck = Checkpoint.Open(dir);
            module.Load(ck);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>The parameters as a name → tensor map (the tensors are the live parameters, not copies).</summary>
    public IReadOnlyDictionary<string, Tensor> StateDict() => NamedParameters().ToDictionary(p => p.Name, p => p.Value);

    /// <summary>Saves the parameters as a safetensors file (CPU copies in their current type), atomically.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var scope = TensorScope.Open();
        SafeTensorsFile.Save(path, NamedParameters().Select(p => KeyValuePair.Create(p.Name, p.Value.Detach().To(Device.Cpu))), metadata);
    }

    /// <summary>Frees every parameter.</summary>
    public virtual void Dispose()
    {
        foreach (var (_, p) in _parameters) p.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The device and type a model's parameters are created with.</summary>
public readonly record struct TensorOptions(Device Device, DType DType = DType.Float32)
{
    /// <summary>float32 on the CPU.</summary>
    public static readonly TensorOptions CpuFloat32 = new(Device.Cpu, DType.Float32);
}
