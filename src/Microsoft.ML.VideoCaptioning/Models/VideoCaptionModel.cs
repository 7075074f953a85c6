using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models.QFormer;
using Microsoft.ML.VideoCaptioning.Models.Qwen2;

namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>
/// The captioner's wiring (seed models/model.py): the LLM input is [Q-Former(features) ; embed(prompt) ; embed(caption +
/// eos)] — vision first — with labels −100 on the visual and prompt positions. Generation feeds [vision ; prompt] and
/// returns only the new tokens. The Q-Former trains; the language model stays frozen.
/// </summary>
public sealed partial class VideoCaptionModel
{
    /// <summary>The trainable bridge.</summary>
    public QFormerModel QFormer { get; }

    /// <summary>The frozen language model.</summary>
    public Qwen2ForCausalLM LanguageModel { get; }

    /// <summary>Token ids of the prompt that follows the visual prefix ("a video showing:" = [64, 2766, 9027, 25]).</summary>
    public long[] PromptIds { get; }

    public VideoCaptionModel(QFormerModel qformer, Qwen2ForCausalLM languageModel, long[] promptIds)
    {
        if (qformer.Config.Dim != languageModel.Config.HiddenSize)
            throw new ArgumentException($"Q-Former dim {qformer.Config.Dim} must equal the language model's hidden size {languageModel.Config.HiddenSize}.");
        QFormer = qformer;
        LanguageModel = languageModel;
        PromptIds = promptIds;
    }

    private DType LmType => LanguageModel.model.embed_tokens.weight.DType;
    private Device LmDevice => LanguageModel.model.embed_tokens.weight.Device;

    /// <summary>[Q-Former(features) ; embed(prompt)]: (B, Q + P, hidden) in the language model's type.</summary>
    public Tensor PrefixEmbeds(Tensor features, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        return WithPrompt(VisualPrefix(features, visualMask)).MoveToOuterScope();
    }

    /// <summary>
    /// Inputs, attention mask and labels of a training batch. <paramref name="captionIds"/> (B, C) are the tokenised
    /// captions with eos, right-padded; <paramref name="captionMask"/> marks real tokens. With
    /// <paramref name="maskPadding"/> the padding positions get label −100; without it they keep the pad id (the seed's
    /// behaviour, which also trains "eos after eos").
    /// </summary>
    public (Tensor InputsEmbeds, Tensor AttentionMask, Tensor Labels) TrainingInputs(Tensor features, Tensor captionIds, Tensor captionMask,
        bool maskPadding, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        var (embeds, mask, labels) = TrainingInputsFromPrefix(PrefixEmbeds(features, visualMask), captionIds, captionMask, maskPadding);
        return (embeds.MoveToOuterScope(), mask.MoveToOuterScope(), labels.MoveToOuterScope());
    }

    /// <summary><see cref="TrainingInputs"/> after an already computed <see cref="PrefixEmbeds"/>.</summary>
    public (Tensor InputsEmbeds, Tensor AttentionMask, Tensor Labels) TrainingInputsFromPrefix(Tensor prefix, Tensor captionIds, Tensor captionMask,
        bool maskPadding)
    {
        using var scope = TensorScope.Open();
        var ids = captionIds.To(LmDevice);
        var cmask = captionMask.To(LmDevice, DType.Int64);
        long b = prefix.Size(0), p = prefix.Size(1);
        var embeds = Tensor.Cat([prefix, LanguageModel.Embed(ids)], 1);
        var mask = Tensor.Cat([Tensor.Ones([b, p], DType.Int64, LmDevice), cmask], 1);
        var capLabels = maskPadding ? ids.MaskedFill(cmask.Eq(0), -100) : ids;
        var labels = Tensor.Cat([Tensor.Full([b, p], -100, DType.Int64, LmDevice), capLabels], 1);
        return (embeds.MoveToOuterScope(), mask.MoveToOuterScope(), labels.MoveToOuterScope());
    }

    /// <summary>Mean next-token cross-entropy over the caption tokens of the batch (float32 scalar).</summary>
    public Tensor Loss(Tensor features, Tensor captionIds, Tensor captionMask, bool maskPadding, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        return LossFromPrefix(PrefixEmbeds(features, visualMask), captionIds, captionMask, maskPadding).MoveToOuterScope();
    }

    /// <summary><see cref="Loss"/> after an already computed <see cref="PrefixEmbeds"/>.</summary>
    public Tensor LossFromPrefix(Tensor prefix, Tensor captionIds, Tensor captionMask, bool maskPadding)
    {
        using var scope = TensorScope.Open();
        var (embeds, mask, labels) = TrainingInputsFromPrefix(prefix, captionIds, captionMask, maskPadding);
        return LanguageModel.Forward(inputsEmbeds: embeds, attentionMask: mask, labels: labels, returnLogits: false).Loss!.MoveToOuterScope();
    }

    /// <summary>New token ids per row for a batch of features (B, N, visual_dim).</summary>
    public long[][] Generate(Tensor features, GenerationOptions options, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        return GenerateFromPrefixEmbeds(PrefixEmbeds(features, visualMask), options);
    }

    /// <summary>
    /// New token ids per row after an already computed <see cref="PrefixEmbeds"/> (vision and prompt; its gradient is not followed); with
    /// sampling, rows flagged in <paramref name="greedyRows"/> decode greedily (see <see cref="Qwen2Generator.Generate"/>).
    /// </summary>
    public long[][] GenerateFromPrefixEmbeds(Tensor prefix, GenerationOptions options, bool[]? greedyRows = null)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        return Qwen2Generator.Generate(LanguageModel, prefix.Detach(), null, options, greedyRows);
    }

    /// <summary>
    /// Mean token log-probability (N,) of each generated sequence given its row of <paramref name="prefix"/> (N, P, H),
    /// teacher-forced, with the gradient through the prefix. A sequence counts up to and including its first token in
    /// <paramref name="eosTokenIds"/> (all of it when it has none); the rest is padding.
    /// </summary>
    public Tensor SequenceLogProbs(Tensor prefix, IReadOnlyList<long[]> sequences, IReadOnlyCollection<int> eosTokenIds)
    {
        using var scope = TensorScope.Open();
        int n = sequences.Count;
        if (n != prefix.Size(0)) throw new ArgumentException($"{n} sequences for {prefix.Size(0)} prefix rows.");
        var lengths = sequences.Select(s =>
        {
            int eos = Array.FindIndex(s, t => eosTokenIds.Contains((int)t));
            return eos >= 0 ? eos + 1 : s.Length;
        }).ToArray();
        if (lengths.Any(l => l == 0)) throw new ArgumentException("Every sequence needs at least one token.");
        int t = lengths.Max();
        var ids = new long[n * t];
        var mask = new long[n * t];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < lengths[i]; j++) { ids[i * t + j] = sequences[i][j]; mask[i * t + j] = 1; }
        var idsT = Tensor.From<long>(ids, [n, t], LmDevice);
        var maskT = Tensor.From<long>(mask, [n, t], LmDevice);
        var (embeds, attention, _) = TrainingInputsFromPrefix(prefix, idsT, maskT, maskPadding: true);
        long p = prefix.Size(1);
        var hidden = LanguageModel.model.Forward(embeds, attention, null, null);
        // the state before token j of row i sits at p − 1 + j; only real tokens are projected onto the vocabulary
        var rows = new List<long>();
        var targets = new List<long>();
        var weights = new float[n * lengths.Sum()];
        int k = 0, total = lengths.Sum();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < lengths[i]; j++, k++)
            {
                rows.Add(i * (p + t) + p - 1 + j);
                targets.Add(sequences[i][j]);
                weights[i * total + k] = 1f / lengths[i];
            }
        var flat = hidden.Reshape(-1, hidden.Size(-1)).IndexSelect(0, Tensor.From<long>(rows.ToArray(), [rows.Count], LmDevice));
        var nll = F.CrossEntropy(LanguageModel.Logits(flat).To(DType.Float32), Tensor.From<long>(targets.ToArray(), [targets.Count], LmDevice),
            reduction: F.Reduction.None);
        var perRow = Tensor.From<float>(weights, [n, total], LmDevice).MatMul(nll.Unsqueeze(1)).Squeeze(1);
        return (-perRow).MoveToOuterScope();
    }
}
