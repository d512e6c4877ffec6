package dev.fillmask.engine.importer;

import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.testing.TinyMaskedLm;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/** The tiny test model imported the way the default model is (staging, manifest, marker, rename), in seconds. */
public final class TinyImport {
    private TinyImport() {}

    /** Imports into {@code parent/tiny} (again, when it is there but damaged) and returns that folder. */
    public static Path into(Path parent) {
        CachedImport cache = new CachedImport(parent, "tiny", 1, ModelFolder.REQUIRED_FILES);
        return cache.ensure((staging, scratch, progress) -> TinyMaskedLm.write(staging), Map.of("model", "tiny"),
                new PrintStream(OutputStream.nullOutputStream()));
    }

    /** Whether {@code parent/tiny} is a finished import that {@link #into} would reuse as it is. */
    public static boolean isGood(Path parent) {
        return new CachedImport(parent, "tiny", 1, ModelFolder.REQUIRED_FILES).problem() == null;
    }
}
