using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>
/// Reads caption files in the format coco-caption's scorers use: references <c>{"id": ["reference", ...], ...}</c> and
/// candidates <c>{"id": ["candidate"], ...}</c> (a bare string <c>{"id": "candidate"}</c> is accepted too).
/// Problems are reported as <see cref="CaptionDataException"/> naming the file.
/// </summary>
public static class CaptionDataLoader
{
    private const int IdsShown = 5;

    /// <summary>Reads a references file: every id maps to a non-empty list of strings.</summary>
    /// <exception cref="CaptionDataException">The file is missing, malformed, empty or has a wrong shape.</exception>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> LoadReferences(string path)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (id, value) in ReadObject(path, "references"))
        {
            if (value.ValueKind != JsonValueKind.Array)
                throw new CaptionDataException($"References file '{path}': the value of id '{id}' must be a list of strings, found {Describe(value)}.", path);
            var list = new List<string>();
            foreach (var element in value.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.String)
                    throw new CaptionDataException($"References file '{path}': id '{id}' has a reference that is {Describe(element)}, not a string.", path);
                list.Add(element.GetString()!);
            }
            if (list.Count == 0) throw new CaptionDataException($"References file '{path}': id '{id}' has an empty reference list.", path);
            result[id] = list;
        }
        return result;
    }

    /// <summary>Reads a candidates file: every id maps to exactly one string (in a one-element list, or bare).</summary>
    /// <exception cref="CaptionDataException">The file is missing, malformed, empty or has a wrong shape.</exception>
    public static IReadOnlyDictionary<string, string> LoadCandidates(string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, value) in ReadObject(path, "candidates"))
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    result[id] = value.GetString()!;
                    break;
                case JsonValueKind.Array:
                    int n = value.GetArrayLength();
                    if (n == 0) throw new CaptionDataException($"Candidates file '{path}': id '{id}' has an empty candidate list; exactly one candidate is needed.", path);
                    if (n > 1) throw new CaptionDataException($"Candidates file '{path}': id '{id}' has {n} candidates; exactly one candidate is needed.", path);
                    var element = value[0];
                    if (element.ValueKind != JsonValueKind.String)
                        throw new CaptionDataException($"Candidates file '{path}': the candidate of id '{id}' is {Describe(element)}, not a string.", path);
                    result[id] = element.GetString()!;
                    break;
                default:
                    throw new CaptionDataException($"Candidates file '{path}': the value of id '{id}' must be a one-element list of strings, found {Describe(value)}.", path);
            }
        }
        return result;
    }

    /// <summary>Reads both files and checks that they hold the same ids.</summary>
    /// <exception cref="CaptionDataException">Either file is unusable, or some ids appear on one side only.</exception>
    public static (IReadOnlyDictionary<string, IReadOnlyList<string>> References, IReadOnlyDictionary<string, string> Candidates) Load(
        string referencesPath, string candidatesPath)
    {
        var references = LoadReferences(referencesPath);
        var candidates = LoadCandidates(candidatesPath);
        var noReferences = candidates.Keys.Where(id => !references.ContainsKey(id)).ToArray();
        if (noReferences.Length > 0)
            throw new CaptionDataException(
                $"{noReferences.Length} id(s) in candidates file '{candidatesPath}' have no references in '{referencesPath}': {FewIds(noReferences)}.", candidatesPath);
        var noCandidate = references.Keys.Where(id => !candidates.ContainsKey(id)).ToArray();
        if (noCandidate.Length > 0)
            throw new CaptionDataException(
                $"{noCandidate.Length} id(s) in references file '{referencesPath}' have no candidate in '{candidatesPath}': {FewIds(noCandidate)}.", referencesPath);
        return (references, candidates);
    }

    internal static string FewIds(IReadOnlyList<string> ids)
    {
        var shown = string.Join(", ", ids.Take(IdsShown).Select(id => $"'{id}'"));
        return ids.Count > IdsShown ? $"{shown}, ... ({ids.Count - IdsShown} more)" : shown;
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.ValueKind.ToString(),
    };

    private static List<(string Id, JsonElement Value)> ReadObject(string path, string kind)
    {
        ArgumentNullException.ThrowIfNull(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CaptionDataException($"Cannot read {kind} file '{path}': {e.Message}", path, e);
        }
        if (string.IsNullOrWhiteSpace(text)) throw new CaptionDataException($"The {kind} file '{path}' is empty.", path);

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new CaptionDataException(
                $"The {kind} file '{path}' is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", path, e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CaptionDataException($"The {kind} file '{path}' must hold a JSON object mapping ids to captions, found {Describe(root)}.", path);
            var items = new List<(string, JsonElement)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw new CaptionDataException($"The {kind} file '{path}' has id '{property.Name}' more than once.", path);
                items.Add((property.Name, property.Value.Clone()));
            }
            if (items.Count == 0) throw new CaptionDataException($"The {kind} file '{path}' has no items.", path);
            return items;
        }
    }
}
