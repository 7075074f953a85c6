namespace Microsoft.ML.VideoCaptioning.Evaluation.Coco;

/// <summary>An n-gram of word ids (n = 1..4); unused trailing slots hold -1.</summary>
internal readonly record struct NGram(int W0, int W1, int W2, int W3)
{
    public int Order => W1 < 0 ? 1 : W2 < 0 ? 2 : W3 < 0 ? 3 : 4;
}
