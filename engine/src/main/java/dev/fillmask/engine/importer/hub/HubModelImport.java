package dev.fillmask.engine.importer.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.importer.ImportLock;
import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.model.FileTrees;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * A hub model made ready to run: downloaded ({@link HubDownload}), then imported by the {@link CheckpointImporter}
 * the caller passes into {@code <home>/models/<org>--<name>} (revision {@code main}) or
 * {@code <home>/models/<org>--<name>@<revision>}. The model folder remembers what it was imported from
 * ({@value #SOURCE_FILE}, hidden so it is no part of the model's files), so a second call at the same commit
 * neither downloads nor imports. A revision that moved to another commit is imported again only if the
 * checkpoint's files changed: a commit that edited the README leaves the model as it is.
 */
public final class HubModelImport {
    static final String SOURCE_FILE = ".hub-source.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HubDownload download;
    private final Path models;
    private final CheckpointImporter importer;
    private final PrintStream progress;

    /** {@code home}: the fill-mask home; downloads go to {@code <home>/downloads}, models to {@code <home>/models}. */
    public HubModelImport(HubAccess access, Path home, CheckpointImporter importer, PrintStream progress) {
        this(new HubDownload(access, home, progress), home.resolve("models"), importer, progress);
    }

    HubModelImport(HubDownload download, Path models, CheckpointImporter importer, PrintStream progress) {
        this.download = download;
        this.models = models.toAbsolutePath();
        this.importer = importer;
        this.progress = progress;
    }

    /** Where the model of {@code repo} at {@code revision} is (or will be). */
    public Path modelFolder(HubRepoId repo, HubRevision revision) {
        return models.resolve(repo.folderName() + (revision.equals(HubRevision.MAIN) ? "" : "@" + revision.encoded()));
    }

    /** The model folder of {@code repo} at {@code revision}, downloaded and imported first if needed. */
    public Path ensure(HubRepoId repo, HubRevision revision) {
        Path model = modelFolder(repo, revision);
        try {
            // Not the import's own lock file (.<name>.lock): the importer takes that one inside this lock.
            return ImportLock.holding(model.resolveSibling("." + model.getFileName() + ".hub.lock"), model.toString(), progress,
                    () -> ensureUnderLock(repo, revision, model));
        } catch (IOException e) {
            throw new ModelImportException("cannot import " + repo + " into " + model + ": " + e, e);
        }
    }

    private Path ensureUnderLock(HubRepoId repo, HubRevision revision, Path model) throws IOException {
        HubDownload.Checkpoint checkpoint = download.ensure(repo, revision);
        JsonNode source = importedFrom(model);
        if (source != null && checkpoint.commit().equals(source.path("commit").asText())) {
            progress.println(repo + " (commit " + checkpoint.commit() + ") is imported: " + model);
            return model;
        }
        if (source != null && checkpoint.contents().equals(source.path("contents").asText())) {
            progress.println(repo + " at commit " + checkpoint.commit() + " has the same checkpoint files as the import"
                    + " in " + model + " (commit " + source.path("commit").asText() + "); keeping it");
            writeSource(model, repo, revision, checkpoint);
            return model;
        }
        if (Files.exists(model)) {
            progress.println(model + " does not hold commit " + checkpoint.commit() + " of " + repo + "; importing it again");
            Path stale = model.resolveSibling("." + model.getFileName() + ".stale-" + UUID.randomUUID().toString().substring(0, 8));
            Files.move(model, stale, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.deleteRecursively(stale);
        }
        progress.println("importing " + repo + " (commit " + checkpoint.commit() + ") from " + checkpoint.folder());
        Path imported = importer.importCheckpoint(checkpoint.folder(), model, progress);
        writeSource(imported, repo, revision, checkpoint);
        return imported;
    }

    private static void writeSource(Path model, HubRepoId repo, HubRevision revision, HubDownload.Checkpoint checkpoint)
            throws IOException {
        ObjectNode source = JSON.createObjectNode();
        source.put("repo", repo.toString());
        source.put("revision", revision.name());
        source.put("commit", checkpoint.commit());
        source.put("contents", checkpoint.contents());
        source.put("download", checkpoint.folder().toString());
        Path tmp = model.resolve(SOURCE_FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), source);
        Files.move(tmp, model.resolve(SOURCE_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** What {@link #SOURCE_FILE} in {@code model} says, or null if there is none (or it cannot be read). */
    private static JsonNode importedFrom(Path model) {
        Path source = model.resolve(SOURCE_FILE);
        if (!Files.isRegularFile(source)) {
            return null;
        }
        try {
            return JSON.readTree(source.toFile());
        } catch (IOException e) {
            return null;
        }
    }
}
