using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

/// <summary>Runs on machines with a CUDA device; reported as skipped elsewhere.</summary>
public class CudaTests
{
    [CudaFact]
    public void OpsOnCudaMatchTheCpu()
    {
        using var scope = TensorScope.Open();
        Torch.ManualSeed(1);
        var a = Tensor.Randn([64, 32]);
        var b = Tensor.Randn([32, 16]);
        var cpu = a.MatMul(b).Gelu().Softmax(-1).ToFloatArray();
        var gpu = a.To(Device.Cuda()).MatMul(b.To(Device.Cuda())).Gelu().Softmax(-1).ToFloatArray();
        for (int i = 0; i < cpu.Length; i++) Assert.Equal(cpu[i], gpu[i], 4);
        var (allocated, _, _) = Torch.CudaMemory();
        Assert.True(allocated > 0);
    }

    [CudaFact]
    public void AutogradAndAdamWOnCuda()
    {
        using var scope = TensorScope.Open();
        var p = Tensor.From(new float[] { 3, 4 }, 2).To(Device.Cuda()).DetachFromScope();
        p.RequiresGrad = true;
        using var opt = new AdamW([p], 0.1, 0);
        (p * p).Sum().Backward();
        opt.Step();
        Assert.Equal(new float[] { 2.9f, 3.9f }, p.ToFloatArray().Select(v => MathF.Round(v, 4)).ToArray());
        p.Dispose();
    }
}
