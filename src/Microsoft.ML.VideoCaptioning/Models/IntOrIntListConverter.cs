using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>
/// A config value that is an integer or a list of integers (Hugging Face's <c>eos_token_id</c>): read as a list, written
/// back as a bare integer when it holds exactly one.
/// </summary>
internal sealed class IntOrIntListConverter : JsonConverter<int[]>
{
    /// <summary>A JSON null reads as the empty list.</summary>
    public override bool HandleNull => true;

    public override int[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return [];
        if (reader.TokenType == JsonTokenType.Number) return [reader.GetInt32()];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException();   // without a message the serializer names the key and the expected type
        var values = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number) throw new JsonException();   // without a message the serializer names the key and the expected type
            values.Add(reader.GetInt32());
        }
        return values.ToArray();
    }

    public override void Write(Utf8JsonWriter writer, int[] value, JsonSerializerOptions options)
    {
        if (value.Length == 1)
        {
            writer.WriteNumberValue(value[0]);
            return;
        }
        writer.WriteStartArray();
        foreach (var v in value) writer.WriteNumberValue(v);
        writer.WriteEndArray();
    }
}
