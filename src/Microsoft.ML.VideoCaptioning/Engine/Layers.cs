namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>nn.Linear: y = x·Wᵀ + b, with <c>weight</c> [out, in] and optional <c>bias</c> [out].</summary>
public sealed class Linear : Module
{
    public readonly Tensor weight;
    public readonly Tensor? bias;

    /// <summary>Creates uninitialised parameters (load them, or call <see cref="ResetParameters"/>).</summary>
    public Linear(long inFeatures, long outFeatures, bool hasBias, TensorOptions o)
    {
        weight = Parameter("weight", Tensor.Empty([outFeatures, inFeatures], o.DType, o.Device));
        if (hasBias) bias = Parameter("bias", Tensor.Empty([outFeatures], o.DType, o.Device));
    }

    /// <summary>PyTorch's default init: weight and bias ~ U(−1/√in, 1/√in).</summary>
    public void ResetParameters()
    {
        double bound = 1.0 / Math.Sqrt(weight.Size(1));
        weight.UniformInPlace(-bound, bound);
        bias?.UniformInPlace(-bound, bound);
    }

    public Tensor Forward(Tensor x) => F.Linear(x, weight, bias);
}

/// <summary>nn.LayerNorm over the last dimension with <c>weight</c> and <c>bias</c>.</summary>
public sealed class LayerNorm : Module
{
    public readonly Tensor weight;
    public readonly Tensor bias;
    private readonly double _eps;

    /// <summary>Creates weight = 1, bias = 0.</summary>
    public LayerNorm(long dim, double eps, TensorOptions o)
    {
        _eps = eps;
        weight = Parameter("weight", Tensor.Ones([dim], o.DType, o.Device));
        bias = Parameter("bias", Tensor.Zeros([dim], o.DType, o.Device));
    }

    public Tensor Forward(Tensor x) => F.LayerNorm(x, weight, bias, _eps);
}

/// <summary>nn.Embedding: rows of <c>weight</c> [num, dim] by integer id.</summary>
public sealed class Embedding : Module
{
    public readonly Tensor weight;

    /// <summary>Creates an uninitialised table.</summary>
    public Embedding(long num, long dim, TensorOptions o) => weight = Parameter("weight", Tensor.Empty([num, dim], o.DType, o.Device));

    public Tensor Forward(Tensor ids) => F.Embedding(weight, ids);
}
