namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>Everything a <see cref="Qwen2Tokenizer"/> is built from, as read from tokenizer files.</summary>
/// <param name="Source">The file(s) it was read from, named in error messages.</param>
/// <param name="Vocab">Regular tokens (byte-level spelling) → id.</param>
/// <param name="Merges">BPE merges in rank order.</param>
/// <param name="AddedTokens">Tokens matched verbatim before BPE.</param>
/// <param name="NormalizeNfc">Whether text between added tokens is NFC-normalized.</param>
/// <param name="Pattern">The pre-tokenizer regex.</param>
/// <param name="IgnoreMerges">HF BPE <c>ignore_merges</c>: a piece that is itself a token is not merged.</param>
/// <param name="PadToken">The padding token's text, or null for <c>&lt;|endoftext|&gt;</c>.</param>
/// <param name="ModelMaxLength">The length <c>truncation</c> cuts to when no maximum is given.</param>
internal sealed record TokenizerDefinition(
    string Source,
    Dictionary<string, int> Vocab,
    List<(string Left, string Right)> Merges,
    List<AddedToken> AddedTokens,
    bool NormalizeNfc,
    string Pattern,
    bool IgnoreMerges,
    string? PadToken,
    int ModelMaxLength);
