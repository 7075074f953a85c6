using System.Text;
using static Microsoft.ML.VideoCaptioning.Evaluation.Ptb.Rx;

namespace Microsoft.ML.VideoCaptioning.Evaluation.Ptb;

/// <summary>
/// The English lexer of Stanford PTBTokenizer 3.4.1 with its default options, as run by coco-caption
/// (<c>-preserveLines -lowerCase</c>): PTB3 escaping of brackets, LaTeX quotes, "--" dashes, "..." ellipses,
/// currency normalization, contractions and assimilations ("gonna") split, no Americanization and no escaping of
/// "/" and "*". As in the JFlex scanner, all rules are compiled into one automaton: at each position the longest match
/// wins (a trailing context counts towards its length) and ties go to the earlier rule.
/// </summary>
internal static class PtbLexer
{
    private enum Act
    {
        Plain,
        RemoveSoftHyphens,
        QuoteRight,
        QuoteLeft,
        Dash,
        Ampersand,
        SpacesToNbsp,
        Phone,
        Fraction,
        Currency,
        Smiley,
        Ellipsis,
        Hyphens,
        Assimilation2,
        Assimilation3,
        Acronym,
        AbbreviationWithPeriod,
        Constant,
        Ignore,
        Newline,
    }

    private sealed record RuleSpec(string Name, Rx Main, Rx? Trail, Act Action, string? Constant);

    // Main and Trail are only needed to split the match of a trailing-context rule.
    private sealed record Rule(string Name, Dfa? Main, Dfa? Trail, Act Action, string? Constant);

    /// <summary>Marker emitted between lines.</summary>
    public const string NewlineToken = "\n";

    private static readonly Rule[] Rules;

    // One automaton for all rules (each with its trailing context), tagged with the rule index, as JFlex builds it.
    private static readonly Dfa Scanner;

    static PtbLexer()
    {
        var specs = RuleSpecs();
        var whole = new Nfa(specs.Select(r => r.Trail is null ? r.Main : Rx.Seq(r.Main, r.Trail)).ToArray());
        var parts = specs.Select(r => r.Trail is null ? ((Nfa Main, Nfa Trail)?)null : (new Nfa(r.Main), new Nfa(r.Trail))).ToArray();
        var classes = new CharClasses(whole.Sets.OfType<CharSet>());
        Scanner = new Dfa(whole, classes);
        Rules = specs.Select((r, i) => new Rule(r.Name,
            parts[i] is { } p ? new Dfa(p.Main, classes) : null, parts[i] is { } q ? new Dfa(q.Trail, classes) : null,
            r.Action, r.Constant)).ToArray();
    }

    /// <summary>Splits <paramref name="text"/> into tokens (not lowercased); line breaks come out as <see cref="NewlineToken"/>.</summary>
    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var splitEnds = new List<int>();
        int pos = 0;
        while (pos < text.Length)
        {
            // The longest match over all rules; ties go to the earlier rule. The last rule accepts any single
            // character, so some rule always matches.
            int end = Scanner.Match(text, pos, text.Length, null, out int ruleIndex);
            var rule = Rules[ruleIndex];
            int matchEnd = rule.Main is null ? end : TrailingContextSplit(rule, text, pos, end, splitEnds);
            pos = Emit(rule, text, pos, matchEnd, tokens);
        }
        return tokens;
    }

    // The longest main part such that the trailing context matches the rest of the combined match.
    private static int TrailingContextSplit(Rule rule, string text, int start, int wholeEnd, List<int> ends)
    {
        ends.Clear();
        rule.Main!.Match(text, start, wholeEnd, ends);
        for (int i = ends.Count - 1; i >= 0; i--)
        {
            int split = ends[i];
            if (split > start && rule.Trail!.Match(text, split, wholeEnd) == wholeEnd) return split;
        }
        throw new InvalidOperationException($"PTB lexer: rule {rule.Name} matched without a valid split.");
    }

    // Appends the token for text[start, end) and returns where scanning resumes.
    private static int Emit(Rule rule, string text, int start, int end, List<string> tokens)
    {
        string s = text.Substring(start, end - start);
        switch (rule.Action)
        {
            case Act.Plain: tokens.Add(s); return end;
            case Act.RemoveSoftHyphens: tokens.Add(RemoveSoftHyphens(s)); return end;
            case Act.QuoteRight: tokens.Add(LatexQuotes(s, probablyLeft: false)); return end;
            case Act.QuoteLeft: tokens.Add(LatexQuotes(s, probablyLeft: true)); return end;
            case Act.Dash: tokens.Add("--"); return end;
            case Act.Ampersand: tokens.Add(NormalizeAmpersand(s)); return end;
            case Act.SpacesToNbsp: tokens.Add(s.Replace(' ', '\u00A0')); return end;
            case Act.Phone: tokens.Add(s.Replace(' ', '\u00A0').Replace("(", "-LRB-").Replace(")", "-RRB-")); return end;
            case Act.Fraction: tokens.Add(NormalizeFraction(s)); return end;
            case Act.Currency: tokens.Add(NormalizeCurrency(s)); return end;
            case Act.Smiley: tokens.Add(s.Replace("(", "-LRB-").Replace(")", "-RRB-")); return end;
            case Act.Ellipsis: tokens.Add("..."); return end;
            case Act.Hyphens: tokens.Add(s.Length is 3 or 4 ? "--" : s); return end;
            case Act.Assimilation2: tokens.Add(s[..^2]); return end - 2;
            case Act.Assimilation3: tokens.Add(s[..^3]); return end - 3;
            case Act.Acronym:
                // "I." before a sentence start yields "I" then "."; longer acronyms keep the period and it is repeated.
                if (s.Length == 2)
                {
                    tokens.Add(s[..1]);
                    return end - 1;
                }
                tokens.Add(s);
                return end - 1;
            case Act.AbbreviationWithPeriod:
                // The period is kept on the abbreviation and also returned again as a sentence-final ".".
                tokens.Add(s);
                return end - 1;
            case Act.Constant: tokens.Add(rule.Constant!); return end;
            case Act.Ignore: return end;
            case Act.Newline: tokens.Add(NewlineToken); return end;
            default: throw new InvalidOperationException(rule.Action.ToString());
        }
    }

    private static string RemoveSoftHyphens(string s)
    {
        if (s.IndexOf('\u00AD') < 0) return s;
        string r = s.Replace("\u00AD", "");
        return r.Length == 0 ? "-" : r;
    }

    private static string NormalizeAmpersand(string s)
    {
        int i = s.IndexOf("&amp;", StringComparison.OrdinalIgnoreCase);
        if (i < 0) return s;
        var sb = new StringBuilder(s.Length);
        int from = 0;
        while (i >= 0)
        {
            sb.Append(s, from, i - from).Append('&');
            from = i + 5;
            i = s.IndexOf("&amp;", from, StringComparison.OrdinalIgnoreCase);
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    private static string LatexQuotes(string s, bool probablyLeft)
    {
        var sb = new StringBuilder(s.Length + 2);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '&' && string.CompareOrdinal(s, i, "&apos;", 0, 6) == 0)
            {
                sb.Append(probablyLeft ? "`" : "'");
                i += 5;
            }
            else if (c == '&' && string.CompareOrdinal(s, i, "&quot;", 0, 6) == 0)
            {
                sb.Append(probablyLeft ? "``" : "''");
                i += 5;
            }
            else
            {
                sb.Append(c switch
                {
                    '\'' => probablyLeft ? "`" : "'",
                    '"' => probablyLeft ? "``" : "''",
                    '\u0091' or '\u2018' or '\u201B' or '\u2039' => "`",
                    '\u0092' or '\u2019' or '\u203A' => "'",
                    '\u0093' or '\u201C' or '\u00AB' => "``",
                    '\u0094' or '\u201D' or '\u00BB' => "''",
                    _ => c.ToString(),
                });
            }
        }
        return sb.ToString();
    }

    private static string NormalizeFraction(string s) => s switch
    {
        "\u00BC" => "1/4",
        "\u00BD" => "1/2",
        "\u00BE" => "3/4",
        "\u2153" => "1/3",
        "\u2154" => "2/3",
        _ => s,
    };

    private static string NormalizeCurrency(string s) => s switch
    {
        "\u00A2" => "cents",
        "\u00A3" => "#",
        "\u0080" or "\u00A4" or "\u20A0" or "\u20AC" => "$",
        _ => s,
    };

    private static List<RuleSpec> RuleSpecs()
    {
        // ---- character classes ----
        var space = CharSet.Of(" \t\u00A0\u2000-\u200A\u3000");
        var asciiLetter = CharSet.Of("A-Za-z");
        var asciiAlnum = CharSet.Of("A-Za-z0-9");
        var asciiDigit = CharSet.Of("0-9");
        var letterOrDigit = CharSet.Letter.Union(CharSet.Digit);
        var digit = CharSet.Digit.Union(CharSet.Of("\u07C0-\u07C9"));
        // Combining marks and other code points that PTBLexer accepts inside words in addition to Unicode letters.
        var wordExtra = CharSet.Of(
            "\u00AD\u0237-\u024F\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02FF\u0300-\u036F\u0370-\u037D\u0384\u0385\u03CF" +
            "\u03F6\u03FC-\u03FF\u0483-\u0487\u04CF\u04F6-\u04FF\u0510-\u0525\u055A-\u055F\u0591-\u05BD\u05BF\u05C1" +
            "\u05C2\u05C4\u05C5\u05C7\u0615-\u061A\u063B-\u063F\u064B-\u065E\u0670\u06D6-\u06EF\u06FA-\u06FF\u070F" +
            "\u0711\u0730-\u074F\u0750-\u077F\u07A6-\u07B1\u07CA-\u07F5\u07FA\u0900-\u0903\u093C\u093E-\u094E" +
            "\u0951-\u0955\u0962-\u0963\u0981-\u0983\u09BC-\u09C4\u09C7\u09C8\u09CB-\u09CD\u09D7\u09E2\u09E3" +
            "\u0A01-\u0A03\u0A3C\u0A3E-\u0A4F\u0A81-\u0A83\u0ABC-\u0ACF\u0B82\u0BBE-\u0BC2\u0BC6-\u0BC8\u0BCA-\u0BCD" +
            "\u0C01-\u0C03\u0C3E-\u0C56\u0D3E-\u0D44\u0D46-\u0D48\u0E30-\u0E3A\u0E47-\u0E4E\u0EB1-\u0EBC\u0EC8-\u0ECD");

        // ---- building blocks ----
        var spaceRx = Set(space);
        var newline = Alt(Exact("\r"), Seq(Exact("\r").Optional(), Exact("\n")), Set("\u2028\u2029\u000B\u000C\u0085"));
        var spaceNl = Alt(spaceRx, newline);
        var spaceNls = spaceNl.Plus();
        var sgml = Seq(Exact("<"), Exact("/").Optional(), Set("A-Za-z!?"), Set(CharSet.NotOf(">\r\n")).Star(), Exact(">"));
        var digitRx = Set(digit);
        var apos = Alt(Set("'\u0092\u2019"), Lit("&apos;"));
        var aposEtc = Alt(apos, Set("\u0091\u2018\u201B"));
        var spAmp = Lit("&amp;");
        var spLet = Seq(Exact("&"), Set("aeiouAEIOU"), Words("acute", "grave", "uml"), Exact(";"));
        var letter = Alt(Set(CharSet.Letter.Union(wordExtra)), spLet);
        var word = letter.Plus();
        var letterOrDigitRx = Set(letterOrDigit);
        var hyphen = Set("-_\u058A\u2010\u2011");
        var num = Alt(digitRx.Plus(), Seq(digitRx.Star(), Seq(Set(".:,\u00AD\u066B\u066C"), digitRx.Plus()).Plus()));
        var number = Seq(Set("-+").Optional(), num);
        var acroTail = Alt(
            Seq(Words("Canada", "Sino", "Korean", "EU", "Japan", "non"), Lit("-U.S")),
            Seq(Lit("U.S.-"), Words("U.K", "U.S.S.R")));
        var acro = Alt(Seq(Set(asciiLetter), Seq(Exact("."), Set(asciiLetter)).Star()), acroTail);
        var acro2 = Alt(Seq(Set(asciiLetter), Seq(Exact("."), Set(asciiLetter)).Plus()), acroTail);
        var redaux = Seq(apos, Alt(Set("msdMSD"), Words("re", "ve", "ll")));
        var sredaux = Seq(Lit("n"), aposEtc, Lit("t"));
        var thingPart = Seq(Seq(Set("dDoOlL"), aposEtc, letterOrDigitRx).Optional(), letterOrDigitRx.Plus());
        var thing = Seq(thingPart, Seq(hyphen, thingPart).Star());
        var thingA = Seq(Set("A-Z").Plus(), Seq(Alt(Set("+&"), spAmp), Set("A-Z").Plus()).Plus());
        var thing3Part = Seq(Set(asciiAlnum).Plus(), Seq(Exact("-"), Set(asciiLetter).Plus()).Repeat(0, 2));
        var thing3 = Seq(thing3Part, Seq(Exact("\\").Optional(), Exact("/"), thing3Part).Repeat(1, 2));
        var hthing = Seq(Set(asciiAlnum), Set("A-Za-z0-9.,\u00AD").Star(),
            Seq(Exact("-"), Alt(Set("A-Za-z0-9\u00AD").Plus(), Seq(acro2, Exact(".")))).Plus());
        var insentp = Set(",;:\u3001");
        var ldots = Alt(Seq(Exact("..."), Exact(".").Star()), Set("\u0085\u2026"));
        var spacedLdots = Seq(Exact("."), Set(" \u00A0"), Seq(Exact("."), Set(" \u00A0")).Plus(), Exact("."));

        var abMonth = Words("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec");
        var abDays = Words("Mon", "Tue", "Tues", "Wed", "Thu", "Thurs", "Fri");
        // A capitalised first letter is required where the abbreviation is also a common lowercase word.
        var abState = Alt(
            Words("Ala", "Ariz", "Calif", "Colo", "Conn", "Dak", "Del", "Fla", "Ga", "Ind", "Kan", "Kans", "Ky", "La", "Md",
                "Mich", "Minn", "Mo", "Mont", "Neb", "Nev", "Okla", "Pa", "Penn", "Tenn", "Tex", "Va", "Vt", "Wis", "Wisc",
                "Wyo"),
            Seq(Exact("A"), Lit("rk")), Seq(Exact("I"), Lit("ll")), Seq(Exact("M"), Lit("ass")),
            Seq(Exact("M"), Lit("iss")), Seq(Exact("O"), Lit("re")), Seq(Exact("W"), Lit("ash")));
        var abComp = Words("Inc", "Co", "Cos", "Corp", "Pty", "Ptys", "Ppty", "Pptys", "Ltd", "Plc", "Bancorp", "Dept", "Bhd",
            "Assn", "Univ", "Intl", "Sys");
        var abNum = Words("No", "Nos", "Prop", "Ph", "tel", "est", "ext", "sq", "ft");
        var abPtit = Alt(Words("Jr", "Sr", "Bros", "Blvd", "Rd", "Esq"), Seq(Words("Ed", "Ph"), Lit(".D")));
        var abbrev1 = Seq(Alt(abMonth, abDays, abState, abComp, abNum, abPtit, Words("etc", "al", "seq")), Exact("."));
        var abTitle = Alt(
            Words("Mr", "Mrs", "Ms", "Dr", "Drs", "Prof", "Profs", "Sen", "Sens", "Rep", "Reps", "Atty", "Attys", "Lt", "Col",
                "Gen", "Messrs", "Gov", "Govs", "Adm", "Rev", "Maj", "Sgt", "Cpl", "Pvt", "Mt", "Capt", "St", "Ste", "Ave",
                "Pres", "Lieut", "Hon", "Brig", "Cmdr", "Comdr", "Pfc", "Spc", "Supt", "Supts", "Det"),
            Seq(Exact("M"), Lit("iss")));
        var abComp2 = Alt(Words("Invt", "Elec", "Natl"), Seq(Lit("M"), Set("ft"), Lit("g")));
        var abbrev4 = Alt(abTitle, Words("vs", "Alex", "Wm", "Jos", "Cie", "a.k.a", "cf", "TREAS"), acro, abComp2);
        var abbrev3 = Seq(Alt(Words("ca", "fig", "figs", "prop", "no", "nos", "sec", "sect", "secs", "sects", "art", "arts",
            "para", "paras", "bldg", "pp", "op", "approx", "rs"), Seq(Exact("P"), Exact("t"))), Exact("."));
        // Capitalised words after which an acronym's period is taken to end the sentence.
        var sentenceStarters = new[]
        {
            "About", "According", "Additionally", "After", "An", "A", "As", "At", "But", "Earlier", "He", "Her", "Here",
            "However", "If", "In", "It", "Last", "Many", "More", "Mr.", "Ms.", "Now", "Once", "One", "Other", "Our", "She",
            "Since", "So", "Some", "Such", "That", "The", "Then", "There", "These", "They", "This", "We", "When", "While",
            "What", "Yet", "You",
        };
        var starter = Alt(sentenceStarters.Select(w => Seq(Exact(w[..1]), Lit(w[1..]))).Append(Lit("SGML")).ToArray());

        var urlStop = " \t\n\f\r\"<>|()";
        var fullUrl = Seq(Lit("http"), Lit("s").Optional(), Exact("://"), Set(CharSet.NotOf(urlStop)).Plus(),
            Set(CharSet.NotOf(urlStop + ".!?{},-")));
        // ",-_" in the original class is a range (U+002C..U+005F), which excludes digits and capitals from these labels.
        var likelyUrl = Seq(
            Alt(
                Seq(Lit("www."), Seq(Set(CharSet.NotOf(" \t\n\f\r\"<>|.!?(){},")).Plus(), Exact(".")).Plus(), Set(asciiLetter).Repeat(2, 4)),
                Seq(Seq(Set(CharSet.NotOf(" \t\n\f\r\"`'<>|.!?(){}\u002C-\u005F$")).Plus(), Exact(".")).Plus(), Words("com", "net", "org", "edu"))),
            Seq(Exact("/"), Set(CharSet.NotOf(urlStop)).Plus(), Set(CharSet.NotOf(urlStop + ".!?{},-"))).Optional());
        var emailStop = " \t\n\f\r\"<>|()\u00A0";
        var email = Seq(Set(asciiAlnum), Set(CharSet.NotOf(emailStop)).Star(), Exact("@"),
            Seq(Set(CharSet.NotOf(emailStop + ".")).Plus(), Exact(".")).Star(), Set(CharSet.NotOf(emailStop + ".")).Plus());
        var twitter = Alt(Seq(Exact("@"), Set("a-zA-Z_"), Set("a-zA-Z_0-9").Star()), Seq(Exact("#"), word));

        var apoWord = Alt(
            Seq(apos, Lit("n"), apos.Optional()),
            Seq(Set("lLdDjJ"), apos),
            Seq(Words("Dunkin", "somethin", "ol"), apos),
            Seq(apos, Lit("em")),
            Seq(Set("A-HJ-XZn"), aposEtc, Set(CharSet.Letter).Repeat(2, -1)),
            Seq(apos, Set("2-9"), Lit("0s")),
            Seq(apos, Lit("til"), Lit("l").Optional()),
            Seq(Set(CharSet.Letter).Plus(), Set("aeiouyAEIOUY"), aposEtc, Set("aeiouA-Z"), Set(CharSet.Letter).Star()),
            Seq(apos, Lit("cause")),
            Seq(Lit("cont'd"), Exact(".").Optional()),
            Words("nor'easter", "c'mon", "e'er", "s'mores", "ev'ry", "li'l", "nat'l"));

        var date = Seq(digitRx.Repeat(1, 2), Set("-/"), digitRx.Repeat(1, 2), Set("-/"), digitRx.Repeat(2, 4));
        var subSupNum = Seq(Set("\u207A\u207B\u208A\u208B").Optional(),
            Alt(Set("\u2070\u00B9\u00B2\u00B3\u2074-\u2079").Plus(), Set("\u2080-\u2089").Plus()));
        var frac = Seq(Seq(digitRx.Repeat(1, 4), Set("- \u00A0")).Optional(), digitRx.Repeat(1, 4),
            Alt(Seq(Exact("\\").Optional(), Exact("/")), Exact("\u2044")), digitRx.Repeat(1, 4));
        var tbSpec = Alt(
            Seq(Exact("-"), Words("RRB", "LRB", "RCB", "LCB", "RSB", "LSB"), Exact("-")),
            Lit("C.D.s"), Lit("pro-"), Lit("anti-"),
            Seq(Lit("S"), Alt(Exact("&"), spAmp), Lit("P-500")), Seq(Lit("S"), Alt(Exact("&"), spAmp), Lit("Ls")),
            Seq(Lit("Cap"), apos, Lit("n")), Seq(Lit("c"), apos, Lit("est")));
        var tbSpec2 = Seq(apos, Set(asciiDigit), Set(asciiDigit));
        var d3 = Set(asciiDigit);
        var phone = Alt(
            Seq(Alt(
                    Seq(Exact("("), d3.Repeat(2, 3), Exact(")"), Set(" \u00A0").Optional()),
                    Seq(Exact("+").Repeat(1, 2).Optional(), Seq(d3.Repeat(2, 4), Set("- \u00A0")).Optional(), d3.Repeat(2, 4), Set("- \u00A0"))),
                d3.Repeat(3, 4), Set("- \u00A0").Optional(), d3.Repeat(3, 5)),
            Seq(Seq(Exact("+").Repeat(1, 2).Optional(), d3.Repeat(2, 4), Exact(".")).Optional(), d3.Repeat(2, 4), Exact("."),
                d3.Repeat(3, 4), Exact("."), d3.Repeat(3, 5)));
        var smiley = Seq(Set("<>").Optional(), Set(":;="), Set("-o*'").Optional(), Set("()DPdpO\\{@|[]"));
        var quotes = Alt(apos, Exact("''"), Set("`\u2018\u2019\u201A\u201B\u201C\u201D\u0091\u0092\u0093\u0094\u201E\u201F\u2039\u203A\u00AB\u00BB").Repeat(1, 2));
        var dblQuote = Alt(Exact("\""), Lit("&quot;"));
        var miscSymbol = Set(
            "+%&~^|\\\u00A6\u00A7\u00A8\u00A9\u00AC\u00AE\u00AF\u00B0-\u00B3\u00B4-\u00BA\u00D7\u00F7\u0387\u05BE\u05C0" +
            "\u05C3\u05C6\u05F3\u05F4\u0600-\u0603\u0606-\u060A\u060C\u0614\u061B\u061E\u066A\u066D\u0703-\u070D\u07F6" +
            "\u07F7\u07F8\u0964\u0965\u0E4F\u1FBD\u2016\u2017\u2020-\u2023\u2030-\u2038\u203B\u203E-\u2042\u2044\u207A-\u207F" +
            "\u208A-\u208E\u2100-\u214F\u2190-\u21FF\u2200-\u2BFF\u3012\u30FB\uFF01-\uFF0F\uFF1A-\uFF20\uFF3B-\uFF40\uFF5B-\uFF65");

        var rules = new List<RuleSpec>();
        void Add(string name, Rx main, Act act, Rx? trail = null, string? constant = null) =>
            rules.Add(new RuleSpec(name, main, trail, act, constant));

        Add("ASSIMILATIONS3", Alt(Lit("cannot"), Lit("'twas")), Act.Assimilation3);
        Add("ASSIMILATIONS2", Alt(Seq(apos, Lit("tis")), Words("gonna", "gotta", "lemme", "gimme", "wanna")), Act.Assimilation2);
        Add("SGML", sgml, Act.SpacesToNbsp);
        Add("SPMDASH", Alt(Seq(Exact("&"), Words("MD", "mdash", "ndash"), Exact(";")), Set("\u0096\u0097\u2013\u2014\u2015")), Act.Dash);
        Add("SPAMP", spAmp, Act.Ampersand);
        Add("SPPUNC", Seq(Exact("&"), Alt(Words("HT", "TL", "UR", "LR", "QC", "QL", "QR", "odq", "cdq"), Seq(Exact("#"), d3.Plus())), Exact(";")), Act.Plain);
        Add("WORD/REDAUX", word, Act.RemoveSoftHyphens, redaux);
        Add("SWORD/SREDAUX", Seq(Set("A-Za-z\u00AD").Star(), Set("A-MO-Za-mo-z"), Exact("\u00AD").Star()), Act.RemoveSoftHyphens, sredaux);
        Add("WORD", word, Act.RemoveSoftHyphens);
        Add("APOWORD", apoWord, Act.Plain);
        Add("APOWORD2", Seq(Lit("y"), apos), Act.Plain, Set(CharSet.Letter));
        Add("FULLURL", fullUrl, Act.Plain);
        Add("LIKELYURL", likelyUrl, Act.Plain);
        Add("EMAIL", email, Act.Plain);
        Add("TWITTER", twitter, Act.Plain);
        Add("REDAUX/NONLETTER", redaux, Act.QuoteRight, Set(CharSet.NotOf("A-Za-z")));
        Add("SREDAUX", sredaux, Act.QuoteRight);
        Add("DATE", date, Act.Plain);
        Add("NUMBER", number, Act.RemoveSoftHyphens);
        Add("SUBSUPNUM", subSupNum, Act.Plain);
        Add("FRAC", frac, Act.SpacesToNbsp);
        Add("FRAC2", Set("\u00BC\u00BD\u00BE\u2153-\u215E"), Act.Fraction);
        Add("TBSPEC", tbSpec, Act.Ampersand);
        Add("THING3", thing3, Act.Plain);
        Add("DOLSIGN", Alt(Seq(Set("A-Z").Star(), Exact("$")), Exact("#")), Act.Plain);
        Add("DOLSIGN2", Set("\u00A2\u00A3\u00A4\u00A5\u0080\u20A0\u20AC\u060B\u0E3F\u20A4\uFFE0\uFFE1\uFFE5\uFFE6"), Act.Currency);
        Add("ACRONYM/STARTER", Seq(acro, Exact(".")), Act.Acronym, Seq(spaceNls, starter, spaceNl));
        Add("ABBREV3/DIGIT", abbrev3, Act.Plain, Seq(spaceNl.Optional(), Set(CharSet.Digit)));
        Add("PTY/LTD", Seq(Alt(Seq(Lit("pt"), Set("eyEY")), Lit("co")), Exact(".")), Act.Plain, Seq(spaceRx, Words("ltd", "lim")));
        Add("ABBREV1/SENTEND", abbrev1, Act.AbbreviationWithPeriod, Seq(spaceNl, Alt(spaceNl, Set("A-Z"), sgml)));
        Add("ABBREV1/ANY2", abbrev1, Act.Plain, Seq(Set(CharSet.Any), Set(CharSet.Any)));
        Add("ABBREV1", abbrev1, Act.AbbreviationWithPeriod);
        Add("ABBREV2", Seq(abbrev4, Exact(".")), Act.Plain);
        Add("ABBREV4/SPACE", abbrev4, Act.Plain, spaceRx);
        Add("ACRO/SPACENL", acro, Act.Plain, spaceNl);
        Add("TBSPEC2/SPACENL", tbSpec2, Act.Plain, spaceNl);
        Add("WORD./INSENTP", Seq(word, Exact(".")), Act.RemoveSoftHyphens, insentp);
        Add("PHONE", phone, Act.Phone);
        Add("DBLQUOT/ALNUM", dblQuote, Act.QuoteLeft, Set("A-Za-z0-9$"));
        Add("DBLQUOT", dblQuote, Act.QuoteRight);
        Add("DEL", Exact("\u007F"), Act.Ignore);
        Add("LESSTHAN", Alt(Exact("<"), Lit("&lt;")), Act.Constant, constant: "<");
        Add("GREATERTHAN", Alt(Exact(">"), Lit("&gt;")), Act.Constant, constant: ">");
        Add("SMILEY", smiley, Act.Smiley, Set(CharSet.NotOf("A-Za-z0-9")));
        Add("LCB", Exact("{"), Act.Constant, constant: "-LCB-");
        Add("RCB", Exact("}"), Act.Constant, constant: "-RCB-");
        Add("LSB", Exact("["), Act.Constant, constant: "-LSB-");
        Add("RSB", Exact("]"), Act.Constant, constant: "-RSB-");
        Add("LRB", Exact("("), Act.Constant, constant: "-LRB-");
        Add("RRB", Exact(")"), Act.Constant, constant: "-RRB-");
        Add("HYPHENS", Exact("-").Plus(), Act.Hyphens);
        Add("LDOTS/PERIOD", ldots, Act.Ellipsis, Seq(Exact("."), spaceNls, Set(CharSet.Letter)));
        Add("SPACEDLDOTS/PERIOD", spacedLdots, Act.Ellipsis, Seq(spaceRx, Exact("."), spaceNls, Set(CharSet.Letter)));
        Add("LDOTS", Alt(ldots, spacedLdots), Act.Ellipsis);
        Add("FNMARKS", Alt(Exact("@").Plus(), Exact("#").Plus(), Exact("_").Plus()), Act.Plain);
        Add("ASTS", Alt(Exact("*").Plus(), Exact("\\*").Repeat(1, 3)), Act.Plain);
        Add("INSENTP", insentp, Act.Plain);
        Add("BANGS", Set("?!").Plus(), Act.Plain);
        Add("PERIOD", Set(".\u00A1\u00BF\u037E\u0589\u061F\u06D4\u0700-\u0702\u07FA\u3002"), Act.Plain);
        Add("EQUALS", Exact("="), Act.Plain);
        Add("SLASH", Exact("/"), Act.Plain);
        Add("HTHING./INSENTP", Seq(hthing, Exact(".")), Act.RemoveSoftHyphens, insentp);
        Add("HTHING", hthing, Act.RemoveSoftHyphens);
        Add("THING./INSENTP", Seq(thing, Exact(".")), Act.Plain, insentp);
        Add("THING", thing, Act.Plain);
        Add("THINGA./INSENTP", Seq(thingA, Exact(".")), Act.Ampersand, insentp);
        Add("THINGA", thingA, Act.Ampersand);
        Add("QUOTE/WORD", Exact("'"), Act.QuoteLeft, Seq(Set(asciiLetter), Set(CharSet.NotOf(" \t\n\r\u00A0"))));
        Add("REDAUX", redaux, Act.QuoteRight);
        Add("QUOTES", quotes, Act.QuoteRight);
        Add("FAKEDUCKFEET", Alt(Exact("<<"), Exact(">>")), Act.Plain);
        Add("MISCSYMBOL", miscSymbol, Act.Plain);
        Add("CP1252BULLET", Exact("\u0095"), Act.Constant, constant: "\u2022");
        Add("CP1252TRADEMARK", Exact("\u0099"), Act.Constant, constant: "\u2122");
        Add("SPACE", Alt(Exact("\0"), spaceRx.Plus(), Set("\u200B\u200E\u200F\uFEFF")), Act.Ignore);
        Add("NEWLINE", newline, Act.Newline);
        Add("NBSP", Lit("&nbsp;"), Act.Ignore);
        Add("UNTOKENIZABLE", Set(CharSet.Any), Act.Ignore);
        return rules;
    }
}
