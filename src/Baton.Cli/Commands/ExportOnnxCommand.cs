using System.CommandLine;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.IO;
using Baton.Models;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton export-onnx --model FILE -o FILE.onnx</c>: writes a Baton model as ONNX (IR 8, opset 17) with the
/// standard LSTM / GRU / RNN operators; inputs <c>tokens</c> or <c>features</c> plus optional <c>h0</c>/<c>c0</c>,
/// outputs <c>logits</c> or <c>prediction</c> plus <c>hn</c>/<c>cn</c> (see <see cref="OnnxExport"/>).
/// </summary>
internal static class ExportOnnxCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Baton model file (.safetensors)", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "ONNX file to write", Required = true };
        var command = new Command("export-onnx",
            "Export a model to ONNX (standard LSTM/GRU/RNN operators, minGRU/minLSTM as Scan; tokens or features in, logits or prediction out, h0/c0 in and hn/cn out for streaming).")
        {
            model, output,
        };
        command.SetAction(parse =>
        {
            var o = new Output(parse);
            string modelPath = CliOptions.ExistingFile(parse.GetValue(model)!, "model");
            string onnxPath = parse.GetValue(output)!;
            SequenceModel loaded;
            try
            {
                loaded = ModelFile.Load(modelPath);
            }
            catch (SafeTensorsFormatException e)
            {
                throw new CliError(e.Message);
            }
            byte[] bytes;
            try
            {
                bytes = OnnxExport.ToBytes(loaded);
            }
            catch (NotSupportedException e)
            {
                throw new CliError($"{modelPath}: {e.Message}");
            }
            AtomicFile.Write(onnxPath, stream => stream.Write(bytes));

            var config = loaded.Config;
            bool tokens = config.UsesEmbedding;
            string outputName = config.IsRegression ? "prediction" : "logits";
            var inputs = new JsonArray(tokens ? "tokens" : "features", "h0");
            var outputs = new JsonArray(outputName, "hn");
            if (config.Cell == "lstm")
            {
                inputs.Add("c0");
                outputs.Add("cn");
            }
            o.Line($"wrote {onnxPath} ({bytes.Length:N0} bytes): {config.Task}, {config.Cell}, {config.Layers} layer(s)" +
                   $"{(config.Bidirectional ? ", bidirectional" : "")}, ONNX IR {OnnxExport.IrVersion}, opset {OnnxExport.Opset}");
            o.Line($"inputs: {string.Join(", ", inputs.Select(n => n!.GetValue<string>()))} (h0/c0 optional, zero when left out)");
            o.Line($"outputs: {string.Join(", ", outputs.Select(n => n!.GetValue<string>()))}");
            o.Result(new JsonObject
            {
                ["model"] = modelPath,
                ["onnx"] = onnxPath,
                ["bytes"] = bytes.Length,
                ["ir_version"] = OnnxExport.IrVersion,
                ["opset"] = OnnxExport.Opset,
                ["inputs"] = inputs,
                ["outputs"] = outputs,
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
