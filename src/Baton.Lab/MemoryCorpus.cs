using System.Text;
using Baton.Numerics;

namespace Baton.Lab;

/// <summary>
/// The built-in corpus: sentences in Chinese and English whose right completion depends on a cause
/// stated at their start, with a chosen number of neutral filler clauses in between
/// ("我肚子饿了,……,我想去吃饭。"; "I am tired, …, so I go to sleep."). The number of fillers is the
/// distance the model must carry the cause across — the memory the article talks about.
/// </summary>
internal sealed class MemoryCorpus
{
    /// <summary>The article's example prompt.</summary>
    public const string ArticlePrompt = "我肚子饿了,我想去";

    /// <summary>The completion the article expects.</summary>
    public const string ArticleCompletion = "吃饭";

    /// <summary>A cause and the completion it implies, in one language.</summary>
    public sealed record Pair(string Cause, string Completion);

    /// <summary>One language's sentence pattern: cause, fillers, lead, completion, end.</summary>
    public sealed record Language(string Name, string Separator, string Lead, string End, Pair[] Pairs, string[] Fillers);

    /// <summary>A held-out probe: the prompt up to the lead and the completion expected after it.</summary>
    public sealed record Probe(string Language, int Distance, string Prompt, string Expected);

    /// <summary>Chinese: "我肚子饿了,今天天气很好,我想去吃饭。"</summary>
    public static readonly Language Chinese = new("zh", ",", "我想去", "。",
    [
        new("我肚子饿了", "吃饭"),
        new("我口渴了", "喝水"),
        new("我困了", "睡觉"),
        new("我出汗了", "洗澡"),
        new("我生病了", "看病"),
        new("我没钱了", "取钱"),
    ],
    [
        "今天天气很好", "外面下着小雨", "我看了一会儿书", "朋友给我打了电话", "路上的车很多",
        "窗外有一只鸟", "我听了一首歌", "时间过得很快", "公园里人很多", "电视上在放新闻",
    ]);

    /// <summary>English: "I am tired, the bus was late, so I go to sleep."</summary>
    public static readonly Language English = new("en", ", ", "so I go to ", ".",
    [
        new("I am hungry", "eat"),
        new("I am thirsty", "drink"),
        new("I am tired", "sleep"),
        new("I am dirty", "wash"),
        new("I am sick", "the doctor"),
        new("I am broke", "the bank"),
    ],
    [
        "the sky is grey", "my friend called me", "I read a book", "the bus was late", "a bird sang outside",
        "the street is busy", "I heard a song", "time went by", "the park is full", "the news was on",
    ]);

    private static readonly Language[] Languages = [Chinese, English];

    /// <summary>A corpus whose training sentences have 0..<paramref name="maxFillers"/> filler clauses.</summary>
    public MemoryCorpus(int maxFillers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFillers, nameof(maxFillers));
        MaxFillers = maxFillers;
    }

    /// <summary>The largest number of filler clauses in a training sentence.</summary>
    public int MaxFillers { get; }

    /// <summary>The full sentence for a cause, fillers and language, ending with a newline.</summary>
    public static string Sentence(Language language, Pair pair, IEnumerable<string> fillers) =>
        Prompt(language, pair, fillers) + pair.Completion + language.End + "\n";

    /// <summary>The sentence up to and including the lead ("…,我想去").</summary>
    public static string Prompt(Language language, Pair pair, IEnumerable<string> fillers)
    {
        var text = new StringBuilder(pair.Cause);
        foreach (var filler in fillers)
            text.Append(language.Separator).Append(filler);
        return text.Append(language.Separator).Append(language.Lead).ToString();
    }

    /// <summary>Generates <paramref name="sentences"/> training sentences, languages alternating at random.</summary>
    public string Generate(int sentences, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sentences, nameof(sentences));
        var rng = new Rng(seed);
        var text = new StringBuilder(sentences * 24);
        for (int i = 0; i < sentences; i++)
        {
            var language = Languages[rng.NextInt(Languages.Length)];
            var pair = language.Pairs[rng.NextInt(language.Pairs.Length)];
            text.Append(Sentence(language, pair, Fillers(language, rng.NextInt(MaxFillers + 1), rng)));
        }
        return text.ToString();
    }

    /// <summary>
    /// Held-out probes: for each distance 0..<paramref name="maxDistance"/> and each language,
    /// <paramref name="perDistance"/> prompts with fresh random fillers.
    /// </summary>
    public static IReadOnlyList<Probe> Probes(int maxDistance, int perDistance, ulong seed)
    {
        var rng = new Rng(seed);
        var probes = new List<Probe>();
        for (int distance = 0; distance <= maxDistance; distance++)
        {
            foreach (var language in Languages)
            {
                for (int i = 0; i < perDistance; i++)
                {
                    var pair = language.Pairs[i % language.Pairs.Length];
                    probes.Add(new Probe(language.Name, distance, Prompt(language, pair, Fillers(language, distance, rng)), pair.Completion));
                }
            }
        }
        return probes;
    }

    private static IEnumerable<string> Fillers(Language language, int count, Rng rng)
    {
        var chosen = new string[count];
        for (int i = 0; i < count; i++)
            chosen[i] = language.Fillers[rng.NextInt(language.Fillers.Length)];
        return chosen;
    }
}
