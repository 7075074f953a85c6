namespace Microsoft.ML.VideoCaptioning.Text;

/// <summary>
/// A token matched verbatim in the input text before BPE (Hugging Face "added token"), e.g. <c>&lt;|endoftext|&gt;</c>.
/// </summary>
/// <param name="Content">The exact text of the token.</param>
/// <param name="Id">Its id.</param>
/// <param name="Special">Whether it is dropped by <c>Decode(ids, skipSpecialTokens: true)</c>.</param>
/// <param name="Normalized">Whether it is matched in the normalized text (true) or in the raw text (false).</param>
internal readonly record struct AddedToken(string Content, int Id, bool Special, bool Normalized);
