using System.Text;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Meteor;

/// <summary>
/// The Snowball English ("Porter2") stemmer, in the revision bundled with Meteor 1.5 (libstemmer_java: the
/// <c>gener/commun/arsen</c> region exceptions, apostrophe handling, and the two exception lists). Input is expected
/// in lower case; characters outside a–z are treated as consonants. The stemmer is stateless and thread-safe.
/// </summary>
public static class SnowballEnglishStemmer
{
    // Whole words with a fixed stem (Snowball "exception1"); null means "leave unchanged".
    private static readonly Dictionary<string, string?> Exception1 = new(StringComparer.Ordinal)
    {
        ["skis"] = "ski", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie",
        ["idly"] = "idl", ["gently"] = "gentl", ["ugly"] = "ugli", ["early"] = "earli", ["only"] = "onli",
        ["singly"] = "singl", ["sky"] = null, ["news"] = null, ["howe"] = null, ["atlas"] = null,
        ["cosmos"] = null, ["bias"] = null, ["andes"] = null,
    };

    // Words (after step 1a) that stop all further steps (Snowball "exception2").
    private static readonly HashSet<string> Exception2 = new(StringComparer.Ordinal)
    {
        "inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed",
    };

    private static readonly string[] RegionPrefixes = ["commun", "gener", "arsen"];

    // Step 2 and step 3 suffix tables, longest first within each table so the first hit is the longest match.
    private static readonly (string Suffix, string Replacement)[] Step2Rules =
    [
        ("ization", "ize"), ("ational", "ate"), ("fulness", "ful"), ("ousness", "ous"), ("iveness", "ive"),
        ("tional", "tion"), ("biliti", "ble"), ("lessli", "less"), ("entli", "ent"), ("ation", "ate"),
        ("alism", "al"), ("aliti", "al"), ("ousli", "ous"), ("iviti", "ive"), ("fulli", "ful"), ("enci", "ence"),
        ("anci", "ance"), ("abli", "able"), ("izer", "ize"), ("ator", "ate"), ("alli", "al"), ("bli", "ble"),
        ("ogi", "og"), ("li", ""),
    ];

    private static readonly (string Suffix, string Replacement)[] Step3Rules =
    [
        ("ational", "ate"), ("tional", "tion"), ("alize", "al"), ("icate", "ic"), ("iciti", "ic"),
        ("ative", ""), ("ical", "ic"), ("ness", ""), ("ful", ""),
    ];

    private static readonly string[] Step4Suffixes =
    [
        "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism", "ate", "iti", "ous", "ive", "ize",
        "ion", "al", "er", "ic",
    ];

    /// <summary>Returns the stem of <paramref name="word"/>.</summary>
    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (Exception1.TryGetValue(word, out string? fixedStem)) return fixedStem ?? word;
        if (word.Length < 3) return word;

        var w = new StringBuilder(word);
        bool yFound = Prelude(w);
        MarkRegions(w, out int p1, out int p2);

        Step1a(w);
        if (!Exception2.Contains(w.ToString()))
        {
            Step1b(w, p1);
            Step1c(w);
            Step2(w, p1);
            Step3(w, p1, p2);
            Step4(w, p2);
            Step5(w, p1, p2);
        }

        if (yFound) w.Replace('Y', 'y');
        return w.ToString();
    }

    private static bool IsVowel(char c) => c is 'a' or 'e' or 'i' or 'o' or 'u' or 'y';

    // Vowels plus w, x and Y: letters that cannot end a short syllable.
    private static bool IsVowelWxY(char c) => IsVowel(c) || c is 'w' or 'x' or 'Y';

    private static bool IsValidLiEnding(char c) => c is 'c' or 'd' or 'e' or 'g' or 'h' or 'k' or 'm' or 'n' or 'r' or 't';

    private static bool Prelude(StringBuilder w)
    {
        if (w[0] == '\'') w.Remove(0, 1);
        bool yFound = false;
        if (w.Length > 0 && w[0] == 'y')
        {
            w[0] = 'Y';
            yFound = true;
        }
        for (int i = 0; i + 1 < w.Length; i++)
        {
            if (IsVowel(w[i]) && w[i + 1] == 'y')
            {
                w[i + 1] = 'Y';
                yFound = true;
            }
        }
        return yFound;
    }

    // R1 starts after the first non-vowel that follows a vowel (or after one of the special prefixes); R2 is the same rule
    // applied again inside R1. A region that cannot be found is empty (starts at the end of the word).
    private static void MarkRegions(StringBuilder w, out int p1, out int p2)
    {
        int n = w.Length;
        p1 = n;
        p2 = n;
        int start = -1;
        foreach (string prefix in RegionPrefixes)
        {
            if (StartsWith(w, prefix))
            {
                start = prefix.Length;
                break;
            }
        }
        if (start < 0)
        {
            start = RegionStart(w, 0);
            if (start < 0) return;
        }
        p1 = start;
        int r2 = RegionStart(w, p1);
        if (r2 >= 0) p2 = r2;
    }

    private static int RegionStart(StringBuilder w, int from)
    {
        int i = from;
        while (i < w.Length && !IsVowel(w[i])) i++;
        if (i >= w.Length) return -1;
        while (i < w.Length && IsVowel(w[i])) i++;
        if (i >= w.Length) return -1;
        return i + 1;
    }

    private static bool StartsWith(StringBuilder w, string prefix)
    {
        if (w.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++)
            if (w[i] != prefix[i]) return false;
        return true;
    }

    private static bool EndsWith(StringBuilder w, string suffix)
    {
        int offset = w.Length - suffix.Length;
        if (offset < 0) return false;
        for (int i = 0; i < suffix.Length; i++)
            if (w[offset + i] != suffix[i]) return false;
        return true;
    }

    private static void ReplaceEnd(StringBuilder w, int suffixLength, string replacement)
    {
        w.Length -= suffixLength;
        w.Append(replacement);
    }

    // A short syllable ending at position end: non-vowel, vowel, non-vowel other than w/x/Y; or vowel, non-vowel at the very start.
    private static bool EndsWithShortSyllable(StringBuilder w, int end)
    {
        if (end >= 3 && !IsVowelWxY(w[end - 1]) && IsVowel(w[end - 2]) && !IsVowel(w[end - 3])) return true;
        return end == 2 && !IsVowel(w[1]) && IsVowel(w[0]);
    }

    private static void Step1a(StringBuilder w)
    {
        if (EndsWith(w, "'s'")) w.Length -= 3;
        else if (EndsWith(w, "'s")) w.Length -= 2;
        else if (EndsWith(w, "'")) w.Length -= 1;

        if (EndsWith(w, "sses"))
        {
            ReplaceEnd(w, 4, "ss");
        }
        else if (EndsWith(w, "ied") || EndsWith(w, "ies"))
        {
            ReplaceEnd(w, 3, w.Length - 3 >= 2 ? "i" : "ie");
        }
        else if (EndsWith(w, "ss") || EndsWith(w, "us"))
        {
            // unchanged
        }
        else if (EndsWith(w, "s"))
        {
            // Delete the s if a vowel occurs before the letter that immediately precedes it.
            int s = w.Length - 1;
            if (s < 1) return;
            for (int i = s - 2; i >= 0; i--)
            {
                if (IsVowel(w[i]))
                {
                    w.Length -= 1;
                    return;
                }
            }
        }
    }

    private static void Step1b(StringBuilder w, int p1)
    {
        int suffixLength;
        bool eed;
        if (EndsWith(w, "eedly")) { suffixLength = 5; eed = true; }
        else if (EndsWith(w, "ingly")) { suffixLength = 5; eed = false; }
        else if (EndsWith(w, "edly")) { suffixLength = 4; eed = false; }
        else if (EndsWith(w, "eed")) { suffixLength = 3; eed = true; }
        else if (EndsWith(w, "ing")) { suffixLength = 3; eed = false; }
        else if (EndsWith(w, "ed")) { suffixLength = 2; eed = false; }
        else return;

        int stemEnd = w.Length - suffixLength;
        if (eed)
        {
            if (stemEnd >= p1) ReplaceEnd(w, suffixLength, "ee");
            return;
        }

        bool hasVowel = false;
        for (int i = 0; i < stemEnd; i++)
        {
            if (IsVowel(w[i]))
            {
                hasVowel = true;
                break;
            }
        }
        if (!hasVowel) return;

        w.Length = stemEnd;
        if (EndsWith(w, "at") || EndsWith(w, "bl") || EndsWith(w, "iz"))
        {
            w.Append('e');
        }
        else if (EndsWithDouble(w))
        {
            w.Length -= 1;
        }
        else if (w.Length == p1 && EndsWithShortSyllable(w, w.Length))
        {
            w.Append('e');
        }
    }

    private static bool EndsWithDouble(StringBuilder w)
    {
        if (w.Length < 2) return false;
        char c = w[^1];
        return c == w[^2] && c is 'b' or 'd' or 'f' or 'g' or 'm' or 'n' or 'p' or 'r' or 't';
    }

    private static void Step1c(StringBuilder w)
    {
        int n = w.Length;
        if (n < 3) return;
        char last = w[n - 1];
        if (last is not ('y' or 'Y')) return;
        if (IsVowel(w[n - 2])) return;
        w[n - 1] = 'i';
    }

    private static void Step2(StringBuilder w, int p1)
    {
        foreach (var (suffix, replacement) in Step2Rules)
        {
            if (!EndsWith(w, suffix)) continue;
            int start = w.Length - suffix.Length;
            if (start < p1) return;
            switch (suffix)
            {
                case "ogi":
                    if (start >= 1 && w[start - 1] == 'l') ReplaceEnd(w, 3, replacement);
                    return;
                case "li":
                    if (start >= 1 && IsValidLiEnding(w[start - 1])) ReplaceEnd(w, 2, replacement);
                    return;
                default:
                    ReplaceEnd(w, suffix.Length, replacement);
                    return;
            }
        }
    }

    private static void Step3(StringBuilder w, int p1, int p2)
    {
        foreach (var (suffix, replacement) in Step3Rules)
        {
            if (!EndsWith(w, suffix)) continue;
            int start = w.Length - suffix.Length;
            if (start < p1) return;
            if (suffix == "ative" && start < p2) return;
            ReplaceEnd(w, suffix.Length, replacement);
            return;
        }
    }

    private static void Step4(StringBuilder w, int p2)
    {
        foreach (string suffix in Step4Suffixes)
        {
            if (!EndsWith(w, suffix)) continue;
            int start = w.Length - suffix.Length;
            if (start < p2) return;
            if (suffix == "ion" && !(start >= 1 && w[start - 1] is 's' or 't')) return;
            w.Length = start;
            return;
        }
    }

    private static void Step5(StringBuilder w, int p1, int p2)
    {
        if (EndsWith(w, "e"))
        {
            int start = w.Length - 1;
            if (start >= p2 || (start >= p1 && !EndsWithShortSyllable(w, start))) w.Length = start;
        }
        else if (EndsWith(w, "l"))
        {
            int start = w.Length - 1;
            if (start >= p2 && start >= 1 && w[start - 1] == 'l') w.Length = start;
        }
    }
}
