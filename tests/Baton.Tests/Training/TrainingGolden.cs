using System.Text.Json;

namespace Baton.Tests.Training;

/// <summary>Access to the PyTorch fixtures written by tools/golden/training.py.</summary>
internal static class TrainingGolden
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "golden", "training", name);

    public static JsonElement Json(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(PathOf(name)));
        return doc.RootElement.Clone();
    }

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static double Double(JsonElement obj, string name, double fallback) =>
        obj.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;

    public static bool Bool(JsonElement obj, string name) => obj.TryGetProperty(name, out var v) && v.GetBoolean();
}
