using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>
/// Reads and writes the <c>[JsonPropertyName]</c> config records (<see cref="Qwen2.Qwen2Config"/>,
/// <see cref="VJepa2.VJepa2Config"/>, <see cref="QFormer.QFormerConfig"/>) as Hugging Face's
/// <c>PretrainedConfig.from_pretrained</c>/<c>save_pretrained</c> do: unknown keys are ignored, missing ones take the
/// record's defaults, and every error names the file.
/// </summary>
internal static class ModelConfigFile
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// Reads <paramref name="fileName"/> from a model directory (or <paramref name="dirOrFile"/> itself when it is a file);
    /// <paramref name="directoryHint"/> says what the directory should hold when the file is missing;
    /// <paramref name="validate"/> receives the config and the file's path.
    /// </summary>
    public static T Load<T>(string dirOrFile, string fileName, string directoryHint, Action<T, string> validate) where T : class
    {
        var path = Directory.Exists(dirOrFile) ? Path.Combine(dirOrFile, fileName) : dirOrFile;
        if (!File.Exists(path))
            throw new ModelConfigException(Directory.Exists(dirOrFile)
                ? $"{path} not found: {directoryHint}"
                : $"Model path '{dirOrFile}' does not exist.");
        T config;
        try
        {
            config = JsonSerializer.Deserialize<T>(File.ReadAllBytes(path)) ?? throw new ModelConfigException($"{path}: not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{path}: not a valid {typeof(T).Name} ({e.Message}).", e);
        }
        validate(config, path);
        return config;
    }

    /// <summary>Writes <paramref name="config"/> as indented JSON.</summary>
    public static void Save<T>(T config, string path) => File.WriteAllText(path, JsonSerializer.Serialize(config, Indented));
}
