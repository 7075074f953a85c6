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
        var ids = captionIds.To(LmDevice);
        var cmask = captionMask.To(LmDevice, DType.Int64);
        var prefix = PrefixEmbeds(features, visualMask);
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
        var (embeds, mask, labels) = TrainingInputs(features, captionIds, captionMask, maskPadding, visualMask);
        return LanguageModel.Forward(inputsEmbeds: embeds, attentionMask: mask, labels: labels, returnLogits: false).Loss!.MoveToOuterScope();
    }

    /// <summary>New token ids per row for a batch of features (B, N, visual_dim).</summary>
    public long[][] Generate(Tensor features, GenerationOptions options, Tensor? visualMask = null)
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        return Qwen2Generator.Generate(LanguageModel, PrefixEmbeds(features, visualMask), null, options);
    }
}
