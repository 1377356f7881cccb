using Baton.Data;
using Baton.IO;
using Baton.Models;
using Baton.Training;
using Xunit.Abstractions;

namespace Baton.Tests.Fuzz;

/// <summary>
/// Structure-aware fuzzing of every reader of user files, with a fixed budget: each target returns or throws only the
/// exception types the command line turns into "bad input" (exit 2), and refuses huge sizes before allocating them.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Mutated_model_files_and_checkpoints_load_or_are_refused_as_bad_input()
    {
        Fuzzer.Run(output, "model", Fuzzer.Seeds("model"), cases: 12_000, seed: 1,
            (m, seed) => m.MutateSafeTensors(seed),
            input =>
            {
                var file = SafeTensorsFile.Parse("fuzz.safetensors", input);
                var model = ModelFile.Load(file);
                Assert.Equal(model.Config.OutputSize, ModelFile.ReadConfig(file).OutputSize);
                if (Checkpoint.ReadState(file) is not null)
                    Checkpoint.Load(file);
            },
            [typeof(SafeTensorsFormatException), typeof(ModelConfigException)]);
    }

    [Fact]
    public void Mutated_pytorch_state_dicts_import_or_are_refused_as_bad_input()
    {
        string[] vocab = TorchImport.ParseVocab(File.ReadAllText(Path.Combine(Fuzzer.CorpusDir("vocab"), "lm_gru_1l.vocab.json")), "vocab.json");
        byte[][] seeds = Fuzzer.Seeds("torch");
        var options = new[]
        {
            new TorchImportOptions { Cell = "lstm", Task = "forecast" },   // forecast_lstm_1l_bi
            new TorchImportOptions { Cell = "gru", Task = "lm", Vocab = vocab },   // lm_gru_1l
        };
        int index = 0;
        Fuzzer.Run(output, "torch", seeds, cases: 6_000, seed: 2,
            (m, seed) => m.MutateSafeTensors(seed),
            input =>
            {
                // The seed a mutant came from decides the options; both seeds are tried with both cells too.
                var chosen = options[index++ % options.Length];
                TorchImport.Import(SafeTensorsFile.Parse("state.safetensors", input), index % 5 == 0 ? chosen with { Cell = "gru" } : chosen);
            },
            // ArgumentException (exactly): the vocabulary does not fit the embedding; the command names --vocab.
            [typeof(SafeTensorsFormatException), typeof(ModelConfigException), typeof(ArgumentException)]);
    }

    [Fact]
    public void Mutated_vocabulary_files_parse_or_are_refused_as_bad_input()
    {
        Fuzzer.Run(output, "vocab", Fuzzer.Seeds("vocab"), cases: 10_000, seed: 3,
            (m, seed) => m.Mutate(seed, text: true),
            input => TorchImport.ParseVocab(Fuzzer.Reader(input).ReadToEnd(), "vocab.json"),
            [typeof(InvalidDataException)]);
    }

    [Fact]
    public void Mutated_texts_tokenise_or_are_refused_as_bad_input()
    {
        var vocabulary = new Vocabulary(TokenKind.Chars, [.. "abcdehlo 我饿了\n".EnumerateRunes().Select(r => r.ToString())]);
        int index = 0;
        Fuzzer.Run(output, "text", Fuzzer.Seeds("text"), cases: 12_000, seed: 4,
            (m, seed) => m.Mutate(seed, text: true),
            input =>
            {
                var kind = index % 3 == 0 ? TokenKind.Bytes : TokenKind.Chars;
                var given = index++ % 3 == 2 ? vocabulary : null;
                var corpus = TextCorpus.FromFiles(["fuzz.txt"], kind, given, _ => new MemoryStream(input));
                Assert.All(new TokenRange(corpus.Tokens, 0, corpus.Tokens.Count).ToArray(), id => Assert.InRange(id, 0, corpus.Vocabulary.Count - 1));
            },
            [typeof(InvalidDataException)]);
    }

    [Fact]
    public void Mutated_forecast_csv_files_read_or_are_refused_as_bad_input()
    {
        int index = 0;
        Fuzzer.Run(output, "forecast-csv", Fuzzer.Seeds("forecast-csv"), cases: 8_000, seed: 5,
            (m, seed) => m.Mutate(seed, text: true),
            input =>
            {
                var table = CsvTable.Read(Fuzzer.Reader(input), "series.csv");
                string? time = TimeSeriesFrame.GuessTimeColumn(table);
                string[] columns = [.. table.Columns.Where(c => c != time).Take(2)];
                var fill = (index++ % 3) switch { 0 => TimeSeriesFill.None, 1 => TimeSeriesFill.Linear, _ => TimeSeriesFill.Forward };
                TimeSeriesFrame.FromTable(table, time, columns, new TimeSeriesReadOptions { Fill = fill, AllowOutliers = index % 2 == 0 });
            },
            [typeof(TimeSeriesDataException)]);
    }

    [Fact]
    public void Mutated_classification_csv_files_read_or_are_refused_as_bad_input()
    {
        Fuzzer.Run(output, "classify-csv", Fuzzer.Seeds("classify-csv"), cases: 10_000, seed: 6,
            (m, seed) => m.Mutate(seed, text: true),
            input =>
            {
                var table = CsvTable.Read(Fuzzer.Reader(input), "motion.csv");
                string? time = table.HasColumn("t") ? "t" : null;
                var data = LabeledSequences.FromTable(table, "id", "label", time, []);
                Assert.All(Enumerable.Range(0, data.Features.Length), i => Assert.True(data.Length(i) > 0));
            },
            [typeof(TimeSeriesDataException), typeof(SequenceDataException)]);
    }

    [Fact]
    public void Mutated_wav_files_decode_or_are_refused_as_bad_input()
    {
        Fuzzer.Run(output, "wav", Fuzzer.Seeds("wav"), cases: 40_000, seed: 7,
            (m, seed) => m.Mutate(seed, text: false),
            input =>
            {
                var audio = WaveReader.Read(input, "fuzz.wav");
                Assert.All(audio.Samples, s => Assert.InRange(s, -1f, 1f));
            },
            [typeof(SequenceDataException)]);
    }
}
