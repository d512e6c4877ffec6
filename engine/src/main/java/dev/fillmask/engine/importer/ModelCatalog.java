package dev.fillmask.engine.importer;

import dev.fillmask.engine.model.FileTrees;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.model.ModelFolder;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a user may write wherever a model is chosen (the command line, the job's {@code model} option, the SQL
 * provider's {@code model} option, a swap): a built-in model's name, a Hugging Face hub id imported earlier, or a
 * model folder. One place turns each into a folder, so every entry point accepts the same words.
 */
public final class ModelCatalog {
    /** {@code org/name}, as the hub spells repository ids. */
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][\\w.-]*/[A-Za-z0-9][\\w.-]*");

    /** One line of {@code ./fill-mask model --list}. */
    public record Entry(BuiltInModel model, Path folder, boolean imported, long bytesOnDisk) {}

    private ModelCatalog() {}

    /** {@link #resolve(String, Path, PrintStream)} under {@link FillMaskHome}. */
    public static Path resolve(String nameOrFolder, PrintStream progress) {
        return resolve(nameOrFolder, FillMaskHome.resolve(), progress);
    }

    /**
     * The folder of the model {@code nameOrFolder} names: blank means the default model; a built-in name is imported
     * into {@code <home>/models} first if it is not there yet; a hub id ({@code org/name}) must have been imported
     * into {@code <home>/models/org--name}; anything else must be an existing folder (a relative path is taken from
     * the working directory). The folder's contents are checked when an engine opens it, not here.
     */
    public static Path resolve(String nameOrFolder, Path home, PrintStream progress) {
        String name = nameOrFolder == null ? "" : nameOrFolder.trim();
        if (name.isEmpty()) {
            return BuiltInImport.ensureImported(BuiltInModel.DEFAULT, home, progress);
        }
        var builtIn = BuiltInModel.byName(name);
        if (builtIn.isPresent()) {
            return BuiltInImport.ensureImported(builtIn.get(), home, progress);
        }
        Path folder = Path.of(name);
        if (Files.isDirectory(folder)) {
            return folder.toAbsolutePath();
        }
        if (HUB_ID.matcher(name).matches()) {
            Path imported = hubFolder(name, home);
            if (Files.isDirectory(imported)) {
                return imported;
            }
        }
        throw new ModelImportException("no model '" + name + "': it is not a built-in model ("
                + String.join(", ", BuiltInModel.names()) + ")"
                + (HUB_ID.matcher(name).matches() ? ", nor a hub model imported into " + hubFolder(name, home) : "")
                + ", and the folder " + folder.toAbsolutePath() + " does not exist."
                + " `./fill-mask model --list` shows the built-in models.");
    }

    /** Where a hub model {@code org/name} is imported: {@code <home>/models/org--name}. */
    public static Path hubFolder(String hubId, Path home) {
        return home.resolve("models").resolve(hubId.replace("/", "--")).toAbsolutePath();
    }

    /** The built-in models, whether each is imported under {@code home}, and how much disk its folder takes. */
    public static List<Entry> list(Path home) {
        List<Entry> entries = new ArrayList<>();
        for (BuiltInModel model : BuiltInModel.values()) {
            Path folder = BuiltInImport.folder(model, home);
            boolean imported = BuiltInImport.isImported(model, home);
            entries.add(new Entry(model, folder, imported, imported ? bytesOf(folder) : 0));
        }
        return entries;
    }

    /** The model file's size: what its weights take in memory once a session holds them (fp32). */
    public static long weightBytes(Path folder) {
        try {
            return Files.size(folder.resolve(ModelFolder.MODEL_FILE));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long bytesOf(Path folder) {
        try {
            return FileTrees.size(folder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
