namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>
/// AdamW with torch.optim.AdamW semantics: decoupled weight decay (p ← p·(1 − lr·wd)), bias-corrected moments,
/// ε added to the corrected √v. Parameters without a gradient are skipped, as in PyTorch.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly IReadOnlyList<Tensor> _params;
    private readonly Tensor?[] _expAvg;
    private readonly Tensor?[] _expAvgSq;
    private readonly long[] _steps;

    /// <summary>Learning rate (a scheduler may change it between steps).</summary>
    public double LearningRate { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Creates the optimizer over <paramref name="parameters"/> (defaults as torch.optim.AdamW except lr).</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr, double weightDecay = 0.01, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _params = parameters.ToList();
        _expAvg = new Tensor?[_params.Count];
        _expAvgSq = new Tensor?[_params.Count];
        _steps = new long[_params.Count];
        LearningRate = lr;
        WeightDecay = weightDecay;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    /// <summary>One update from the accumulated gradients.</summary>
    public void Step()
    {
        using var noGrad = Torch.NoGrad();
        for (int i = 0; i < _params.Count; i++)
        {
            using var scope = TensorScope.Open();
            var p = _params[i];
            var g = p.Grad;
            if (g == null) continue;
            var m = _expAvg[i] ??= Tensor.Zeros(p.Shape, p.DType, p.Device).DetachFromScope();
            var v = _expAvgSq[i] ??= Tensor.Zeros(p.Shape, p.DType, p.Device).DetachFromScope();
            long t = ++_steps[i];
            p.MulInPlace(1 - LearningRate * WeightDecay);
            m.LerpInPlace(g, 1 - Beta1);
            v.MulInPlace(Beta2);
            v.AddcmulInPlace(g, g, 1 - Beta2);
            double bc1 = 1 - Math.Pow(Beta1, t);
            double bc2 = 1 - Math.Pow(Beta2, t);
            var denom = v.Sqrt() / Math.Sqrt(bc2) + Eps;
            p.AddcdivInPlace(m, denom, -LearningRate / bc1);
        }
    }

    /// <summary>Drops every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>
    /// The optimizer state as named CPU tensors ("{i}.exp_avg", "{i}.exp_avg_sq", "{i}.step"), for checkpoints.
    /// The tensors belong to the caller's scope.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors()
    {
        for (int i = 0; i < _params.Count; i++)
        {
            if (_expAvg[i] == null) continue;
            yield return KeyValuePair.Create($"{i}.exp_avg", _expAvg[i]!.To(Device.Cpu));
            yield return KeyValuePair.Create($"{i}.exp_avg_sq", _expAvgSq[i]!.To(Device.Cpu));
            yield return KeyValuePair.Create($"{i}.step", Tensor.From(new[] { _steps[i] }, 1));
        }
    }

    /// <summary>Restores a state written by <see cref="StateTensors"/>.</summary>
    public void LoadState(Func<string, Tensor?> read)
    {
        using var noGrad = Torch.NoGrad();
        for (int i = 0; i < _params.Count; i++)
        {
            using var scope = TensorScope.Open();
            var m = read($"{i}.exp_avg");
            if (m == null) continue;
            var v = read($"{i}.exp_avg_sq") ?? throw new InvalidDataException($"optimizer state {i}.exp_avg_sq missing");
            var s = read($"{i}.step") ?? throw new InvalidDataException($"optimizer state {i}.step missing");
            var p = _params[i];
            _expAvg[i]?.Dispose();
            _expAvgSq[i]?.Dispose();
            _expAvg[i] = m.To(p.Device, p.DType).DetachFromScope();
            _expAvgSq[i] = v.To(p.Device, p.DType).DetachFromScope();
            _steps[i] = s.ToLongArray()[0];
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in _expAvg) t?.Dispose();
        foreach (var t in _expAvgSq) t?.Dispose();
    }
}

/// <summary>Gradient utilities.</summary>
public static class Gradients
{
    /// <summary>
    /// Scales gradients so their global L2 norm is at most <paramref name="maxNorm"/> (torch.nn.utils.clip_grad_norm_);
    /// returns the norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var grads = parameters.Select(p => p.Grad).Where(g => g != null).Select(g => g!).ToList();
        if (grads.Count == 0) return 0;
        var norms = grads.Select(g => g.Norm(2).To(DType.Float32)).ToList();
        double total = Tensor.Stack(norms, 0).Norm(2).Item();
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1)
            foreach (var g in grads) g.MulInPlace(coef);
        return total;
    }
}
