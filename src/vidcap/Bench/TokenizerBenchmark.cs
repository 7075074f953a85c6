using System.Diagnostics;
using System.Text;

using Microsoft.ML.VideoCaptioning.Text;

namespace Microsoft.ML.VideoCaptioning.Cli.Bench;

/// <summary>Measures the encoding throughput of a <see cref="Qwen2Tokenizer"/>.</summary>
public static class TokenizerBenchmark
{
    private static readonly string[] s_commonWords =
    [
        "the", "a", "of", "and", "to", "in", "is", "on", "with", "from", "that", "it", "for", "as", "at", "by", "this",
        "person", "hand", "hands", "table", "cup", "bottle", "box", "drawer", "door", "pen", "phone", "book", "paper",
        "something", "pushing", "pulling", "putting", "taking", "moving", "closing", "opening", "holding", "dropping",
        "picking", "turning", "lifting", "throwing", "folding", "showing", "video", "camera", "left", "right", "up",
        "down", "away", "towards", "into", "out", "over", "under", "behind", "next", "slowly", "quickly", "then",
        "again", "while", "small", "large", "red", "blue", "green", "white", "black", "wooden", "plastic", "glass",
        "surface", "floor", "chair", "kitchen", "room", "window", "water", "light", "shadow", "people", "children",
        "walking", "running", "looking", "playing", "sitting", "standing", "Tokenization", "encoder", "model",
    ];

    private static readonly string[] s_otherScripts =
        ["你好", "世界", "视频", "привет", "мир", "こんにちは", "안녕하세요", "مرحبا", "naïve", "café", "😀", "🚀", "👍🏽"];

    /// <summary>
    /// Encodes <paramref name="text"/> once to warm the BPE cache, then <paramref name="iterations"/> more times,
    /// and returns the steady-state throughput in MB/s (10^6 UTF-8 bytes of input per second).
    /// </summary>
    /// <param name="tokenizer">The tokenizer to measure.</param>
    /// <param name="text">The text to encode; null for <see cref="GenerateText"/> of 4,000,000 characters.</param>
    /// <param name="iterations">Timed passes over the text.</param>
    public static double Run(Qwen2Tokenizer tokenizer, string? text = null, int iterations = 3)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        text ??= GenerateText(4_000_000);
        tokenizer.Encode(text);

        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
            tokenizer.Encode(text);
        stopwatch.Stop();
        return (double)Encoding.UTF8.GetByteCount(text) * iterations / stopwatch.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>
    /// Deterministic English-like text of about <paramref name="length"/> characters: common words, capitalised
    /// sentences, numbers, punctuation, line breaks, made-up words (BPE cache misses) and some other scripts and emoji.
    /// </summary>
    public static string GenerateText(int length, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var random = new Random(seed);
        var text = new StringBuilder(length + 64);
        bool sentenceStart = true;
        while (text.Length < length)
        {
            double kind = random.NextDouble();
            string word = kind switch
            {
                < 0.86 => s_commonWords[random.Next(s_commonWords.Length)],
                < 0.91 => random.Next(0, 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                < 0.96 => MadeUpWord(random),
                _ => s_otherScripts[random.Next(s_otherScripts.Length)],
            };
            if (sentenceStart)
                word = char.ToUpperInvariant(word[0]) + word[1..];
            text.Append(word);

            double separator = random.NextDouble();
            sentenceStart = separator < 0.08;
            text.Append(separator switch
            {
                < 0.06 => ". ",
                < 0.07 => "!\n",
                < 0.08 => ".\n\n",
                < 0.13 => ", ",
                < 0.14 => " (",
                < 0.15 => ") ",
                < 0.16 => ": ",
                _ => " ",
            });
        }
        return text.ToString();
    }

    private static string MadeUpWord(Random random)
    {
        Span<char> letters = stackalloc char[random.Next(3, 13)];
        for (int i = 0; i < letters.Length; i++)
            letters[i] = (char)('a' + random.Next(26));
        return new string(letters);
    }
}
