package dev.fillmask.udf.testing;

import dev.fillmask.udf.importer.DefaultModel;

import java.nio.file.Path;

/**
 * The imported default model for every test of a JVM: imported (seconds) on first use into the fill-mask home
 * ({@code -Dfillmask.home}, {@code $FILL_MASK_HOME} or {@code ~/.cache/fill-mask}) and reused from there by later
 * runs. A failed import is remembered, so each later test fails with the same message at once.
 */
public final class SharedDefaultModel {
    private static Path path;
    private static RuntimeException failure;

    private SharedDefaultModel() {}

    public static synchronized Path path() {
        if (path == null && failure == null) {
            try {
                path = DefaultModel.ensureImported(System.out);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw new IllegalStateException("the default model could not be imported: " + failure.getMessage(), failure);
        }
        return path;
    }
}
