namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Views, reshapes, indexing, concatenation and stacking.</summary>
public sealed unsafe partial class Tensor
{
    public Tensor Reshape(params long[] shape) { fixed (long* s = shape) return Wrap(Native.vt_reshape(Handle, s, shape.Length), "reshape", this); }
    public Tensor Permute(params long[] order) { fixed (long* s = order) return Wrap(Native.vt_permute(Handle, s, order.Length), "permute", this); }
    public Tensor Expand(params long[] shape) { fixed (long* s = shape) return Wrap(Native.vt_expand(Handle, s, shape.Length), "expand", this); }
    public Tensor Repeat(params long[] reps) { fixed (long* s = reps) return Wrap(Native.vt_repeat(Handle, s, reps.Length), "repeat", this); }
    public Tensor Transpose(long d0, long d1) => Wrap(Native.vt_transpose(Handle, d0, d1), "transpose", this);
    public Tensor Unsqueeze(long dim) => Wrap(Native.vt_unsqueeze(Handle, dim), "unsqueeze", this);
    public Tensor Squeeze(long dim) => Wrap(Native.vt_squeeze(Handle, dim), "squeeze", this);
    /// <summary>A view of <paramref name="length"/> entries of <paramref name="dim"/> from <paramref name="start"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(Native.vt_narrow(Handle, dim, start, length), "narrow", this);
    /// <summary>Index <paramref name="index"/> of <paramref name="dim"/>, removing that dimension.</summary>
    public Tensor Select(long dim, long index) => Wrap(Native.vt_select(Handle, dim, index), "select", this);
    public Tensor RepeatInterleave(long repeats, long dim) => Wrap(Native.vt_repeat_interleave(Handle, repeats, dim), "repeat_interleave", this);
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(Native.vt_index_select(Handle, dim, index.Handle), "index_select", this, index);
    public Tensor Gather(long dim, Tensor index) => Wrap(Native.vt_gather(Handle, dim, index.Handle), "gather", this, index);
    /// <summary>Upper triangle (elements below the <paramref name="diagonal"/> zeroed).</summary>
    public Tensor Triu(long diagonal = 0) => Wrap(Native.vt_triu(Handle, diagonal), "triu", this);

    /// <summary>Concatenates along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim)
    {
        var handles = stackalloc IntPtr[tensors.Count];
        for (int i = 0; i < tensors.Count; i++) handles[i] = tensors[i].Handle;
        return Wrap(Native.vt_cat(handles, tensors.Count, dim), "cat", tensors.ToArray());
    }

    /// <summary>Stacks along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim)
    {
        var handles = stackalloc IntPtr[tensors.Count];
        for (int i = 0; i < tensors.Count; i++) handles[i] = tensors[i].Handle;
        return Wrap(Native.vt_stack(handles, tensors.Count, dim), "stack", tensors.ToArray());
    }
}
