using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Tests.Fuzz;

/// <summary>
/// A seeded, structure-aware mutator: the same seed gives the same mutants on every machine. Byte mutations (bit flips,
/// interesting bytes, truncation, insertion, deletion, duplication) apply to any input; text mutations find numbers,
/// quoted keys and delimiters and replace numbers by huge, negative, fractional or non-finite ones, rename keys and
/// drop or double delimiters; safetensors mutations edit the JSON header and rewrite (or keep) its length prefix.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly string[] Numbers =
    [
        "0", "-0", "-1", "1", "2", "255", "256", "65535", "65536", "2147483647", "2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "18446744073709551615", "99999999999999999999999", "1e9", "1e99", "1e309", "-1e309", "1.5",
        "0.0001", "NaN", "Infinity", "-Infinity", "nan", "inf", "1,5", "0x10", "null", "true", "\"7\"", "[]", "{}", "",
    ];

    private static readonly byte[] InterestingBytes = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xC0, 0xE0, 0xF0, 0xF8, (byte)'"', (byte)',', (byte)'\n', (byte)'{', (byte)'}', (byte)'['];

    private readonly Random random = new(seed);

    /// <summary>One to four byte or text mutations of <paramref name="input"/>.</summary>
    public byte[] Mutate(byte[] input, bool text)
    {
        byte[] result = input;
        int count = 1 + random.Next(4);
        for (int i = 0; i < count; i++)
            result = text && random.Next(3) > 0 ? MutateText(result) : MutateBytes(result);
        return result;
    }

    /// <summary>A safetensors image whose JSON header is mutated as text; the length prefix is rewritten two times in three.</summary>
    public byte[] MutateSafeTensors(byte[] image)
    {
        if (random.Next(4) == 0 || image.Length < 8)
            return Mutate(image, text: false);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(image);
        if (headerLength <= 0 || headerLength > image.Length - 8)
            return Mutate(image, text: false);
        byte[] header = image[8..(int)(8 + headerLength)];
        byte[] data = image[(int)(8 + headerLength)..];
        byte[] mutated = random.Next(2) == 0 ? MutateMetadata(header) ?? Mutate(header, text: true) : Mutate(header, text: true);
        if (random.Next(5) == 0)
            data = Mutate(data, text: false);
        var result = new byte[8 + mutated.Length + data.Length];
        ulong prefix = random.Next(3) > 0 ? (ulong)mutated.Length : (ulong)headerLength;
        BinaryPrimitives.WriteUInt64LittleEndian(result, prefix);
        mutated.CopyTo(result, 8);
        data.CopyTo(result, 8 + mutated.Length);
        return result;
    }

    /// <summary>
    /// Mutates one metadata string of a safetensors header (the model config or the training state, themselves JSON)
    /// as text and writes the header back as valid JSON, so the mutant reaches the config and state readers.
    /// </summary>
    private byte[]? MutateMetadata(byte[] header)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(header) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        if (root?["__metadata__"] is not JsonObject metadata || metadata.Count == 0)
            return null;
        string key = metadata.ElementAt(random.Next(metadata.Count)).Key;
        string value = metadata[key] is JsonValue v && v.TryGetValue(out string? text) ? text : "";
        byte[] mutated = Encoding.UTF8.GetBytes(value);
        for (int i = 1 + random.Next(2); i > 0; i--)
            mutated = MutateText(mutated);
        metadata[key] = Encoding.UTF8.GetString(mutated);
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private byte[] MutateBytes(byte[] input)
    {
        var bytes = new List<byte>(input);
        switch (random.Next(7))
        {
            case 0 when bytes.Count > 0:
                int bit = random.Next(bytes.Count * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                break;
            case 1 when bytes.Count > 0:
                bytes[random.Next(bytes.Count)] = InterestingBytes[random.Next(InterestingBytes.Length)];
                break;
            case 2 when bytes.Count > 0:
                int cut = random.Next(bytes.Count + 1);
                bytes.RemoveRange(cut, bytes.Count - cut);
                break;
            case 3:
                int at = random.Next(bytes.Count + 1);
                int n = 1 + random.Next(8);
                for (int i = 0; i < n; i++)
                    bytes.Insert(at, random.Next(2) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256));
                break;
            case 4 when bytes.Count > 0:
                int from = random.Next(bytes.Count);
                bytes.RemoveRange(from, Math.Min(bytes.Count - from, 1 + random.Next(16)));
                break;
            case 5 when bytes.Count > 0:
                int start = random.Next(bytes.Count);
                int length = Math.Min(bytes.Count - start, 1 + random.Next(64));
                bytes.InsertRange(random.Next(bytes.Count + 1), bytes.GetRange(start, length));
                break;
            case 6 when bytes.Count >= 4:
                int word = random.Next(bytes.Count - 3);
                uint[] words = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000];
                BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes).Slice(word, 4), words[random.Next(words.Length)]);
                break;
            default:
                if (bytes.Count > 0)
                    bytes[random.Next(bytes.Count)] ^= 0x20;
                break;
        }
        return [.. bytes];
    }

    private byte[] MutateText(byte[] input)
    {
        string text = Encoding.UTF8.GetString(input);
        switch (random.Next(7))
        {
            case 0:
            case 1:
                text = ReplaceNumber(text);
                break;
            case 6:
                text = ReplaceValue(text);
                break;
            case 2:
                text = RenameKey(text);
                break;
            case 3:
                text = Delimiter(text, remove: true);
                break;
            case 4:
                text = Delimiter(text, remove: false);
                break;
            default:
                text = SwapLines(text);
                break;
        }
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Replaces one run of digits (with its sign, point and exponent) by an interesting number.</summary>
    private string ReplaceNumber(string text)
    {
        var starts = new List<int>();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsAsciiDigit(text[i]) && (i == 0 || !char.IsAsciiDigit(text[i - 1]) && text[i - 1] != '.'))
                starts.Add(i > 0 && text[i - 1] == '-' ? i - 1 : i);
        }
        if (starts.Count == 0)
            return text;
        int start = starts[random.Next(starts.Count)];
        int end = start + 1;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] is '.' or 'e' or 'E' or '+' or '-'))
            end++;
        return string.Concat(text.AsSpan(0, start), Numbers[random.Next(Numbers.Length)], text.AsSpan(end));
    }

    /// <summary>Replaces the JSON value after one <c>":</c> (a string, number, array or object) by an interesting value.</summary>
    private string ReplaceValue(string text)
    {
        var colons = new List<int>();
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] == ':' && text[i - 1] == '"')
                colons.Add(i + 1);
        }
        if (colons.Count == 0)
            return text;
        int start = colons[random.Next(colons.Count)];
        int end = start;
        while (end < text.Length && text[end] == ' ')
            end++;
        if (end < text.Length && text[end] is '[' or '{' or '"')
        {
            int depth = 0;
            bool inString = false;
            for (; end < text.Length; end++)
            {
                char c = text[end];
                if (inString)
                {
                    if (c == '\\')
                        end++;
                    else if (c == '"')
                        inString = false;
                }
                else if (c == '"')
                {
                    inString = true;
                }
                else if (c is '[' or '{')
                {
                    depth++;
                }
                else if (c is ']' or '}')
                {
                    depth--;
                }
                if (depth == 0 && !inString)
                {
                    end++;
                    break;
                }
            }
        }
        else
        {
            while (end < text.Length && text[end] is not (',' or '}' or ']'))
                end++;
        }
        end = Math.Min(end, text.Length);
        return string.Concat(text.AsSpan(0, start), Numbers[random.Next(Numbers.Length)], text.AsSpan(end));
    }

    /// <summary>Changes one letter inside a quoted string, or the first field of a line (a key or a column name).</summary>
    private string RenameKey(string text)
    {
        var letters = new List<int>();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsAsciiLetter(text[i]))
                letters.Add(i);
        }
        if (letters.Count == 0)
            return text;
        int at = letters[random.Next(letters.Count)];
        char replacement = random.Next(4) switch { 0 => '_', 1 => 'X', 2 => '"', _ => (char)('a' + random.Next(26)) };
        return string.Concat(text.AsSpan(0, at), replacement.ToString(), text.AsSpan(at + 1));
    }

    private string Delimiter(string text, bool remove)
    {
        const string delimiters = ",:[]{}\"\n";
        var places = new List<int>();
        for (int i = 0; i < text.Length; i++)
        {
            if (delimiters.Contains(text[i]))
                places.Add(i);
        }
        if (places.Count == 0)
            return text;
        int at = places[random.Next(places.Count)];
        return remove ? text.Remove(at, 1) : text.Insert(at, text[at].ToString());
    }

    private string SwapLines(string text)
    {
        string[] lines = text.Split('\n');
        if (lines.Length < 2)
            return text;
        int a = random.Next(lines.Length), b = random.Next(lines.Length);
        if (random.Next(2) == 0)
            (lines[a], lines[b]) = (lines[b], lines[a]);
        else
            lines[a] = lines[b];
        return string.Join('\n', lines);
    }
}
