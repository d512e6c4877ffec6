package dev.fillmask.job.cli;

import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.importer.huggingface.HuggingFaceImport;
import dev.fillmask.engine.importer.hub.CheckpointImporter;
import dev.fillmask.engine.importer.hub.HubAccess;
import dev.fillmask.engine.importer.hub.HubModelImport;
import dev.fillmask.engine.importer.hub.HubRepoId;
import dev.fillmask.engine.importer.hub.HubRevision;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.job.CommandLine;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code ./fill-mask model ORG/NAME [--revision REV]}: a fill-mask model from the Hugging Face hub, downloaded into
 * the cache (progress, resume, checksums) and imported; prints the model folder.
 */
final class HubModel {
    static final String HELP = "\n./fill-mask model ORG/NAME [--revision REV] downloads a model from the Hugging Face hub"
            + " and imports it (see its --help).";
    static final String SUMMARY = """
            Downloads the checkpoint of a fill-mask model from the Hugging Face hub (config.json, the tokenizer files,
            the safetensors weights) into $FILL_MASK_HOME/downloads/ORG--NAME/REVISION, imports it into
            $FILL_MASK_HOME/models/ORG--NAME (ORG--NAME@REVISION for another revision than main), and prints the
            model folder. An interrupted download resumes; a second call at the same commit does nothing.
            Environment: HF_ENDPOINT (default %s), HF_TOKEN (for private or gated models).""".formatted(HubAccess.DEFAULT_ENDPOINT);
    static final List<CommandLine.Option> OPTIONS = List.of(
            new CommandLine.Option("revision", "REV", "the branch, tag or commit to download", HubRevision.MAIN.name()));

    /** How a downloaded checkpoint becomes a model folder. */
    static final CheckpointImporter IMPORTER = HuggingFaceImport::importCheckpoint;

    private HubModel() {}

    /** Whether {@code ./fill-mask model ARG} means a hub model: ORG/NAME, and no folder of that name here. */
    static boolean isHubId(String arg) {
        return HubRepoId.looksLike(arg) && !Files.isDirectory(Path.of(arg));
    }

    static int run(String id, String[] args, PrintStream out, PrintStream err) {
        return run(id, args, out, err, System.getenv(), FillMaskHome.resolve(), IMPORTER);
    }

    static int run(String id, String[] args, PrintStream out, PrintStream err, Map<String, String> environment, Path home,
                   CheckpointImporter importer) {
        CommandLine cli = new CommandLine("model " + id, SUMMARY, OPTIONS).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        HubRevision revision;
        try {
            revision = new HubRevision(cli.get("revision"));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.UsageException("--revision: " + e.getMessage());
        }
        HubRepoId repo = HubRepoId.parse(id);
        HubAccess access = HubAccess.fromEnvironment(environment);
        try {
            Path model = new HubModelImport(access, home, importer, err).ensure(repo, revision);
            out.println(model.toAbsolutePath());
            return 0;
        } catch (ModelImportException e) {
            err.println("fill-mask model: " + e.getMessage());
            return 1;
        }
    }
}
