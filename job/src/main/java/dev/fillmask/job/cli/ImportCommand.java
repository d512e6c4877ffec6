package dev.fillmask.job.cli;

import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.importer.huggingface.HuggingFaceImport;
import dev.fillmask.job.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./fill-mask import DIR --out DIR}: a Hugging Face checkpoint folder into a model folder that every other
 * command takes with {@code --model}; see {@link HuggingFaceImport}.
 */
final class ImportCommand {
    static final String SUMMARY = """
            Imports the Hugging Face fill-mask checkpoint in DIR, a folder as the hub serves it (config.json,
            model.safetensors or a sharded set with model.safetensors.index.json, tokenizer.json,
            tokenizer_config.json, special_tokens_map.json), into a new model folder: an ONNX graph with the LM
            head at the masks, written in Java, and the tokenizer files. Reads BertForMaskedLM, RobertaForMaskedLM,
            XLMRobertaForMaskedLM (CamemBERT too) and DistilBertForMaskedLM, in F32, F16 or BF16. Use the folder
            with --model in predict, run, sql, bench and quantize. Prints the folder on stdout.""";

    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("out", "DIR", "the model folder to write (required; must not exist or be empty)", null));

    private ImportCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        CommandLine cli = new CommandLine("import", SUMMARY, OPTIONS).withArguments("DIR", 1).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        if (cli.arguments().isEmpty()) {
            throw new CommandLine.UsageException("name the checkpoint folder: ./fill-mask import DIR --out DIR");
        }
        if (!cli.has("out")) {
            throw new CommandLine.UsageException("--out DIR is required: the model folder to write");
        }
        try {
            Path folder = HuggingFaceImport.importCheckpoint(Path.of(cli.arguments().get(0)), Path.of(cli.get("out")), err);
            out.println(folder);
            return 0;
        } catch (ModelImportException e) {
            // The checkpoint or the target is not right: the user's input, so one line and the usage exit code.
            err.println("fill-mask import: " + e.getMessage());
            return 2;
        }
    }
}
