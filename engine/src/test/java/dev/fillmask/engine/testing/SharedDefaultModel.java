package dev.fillmask.engine.testing;

import dev.fillmask.engine.importer.DefaultModel;

import java.nio.file.Path;

/**
 * The imported default model for every test of a JVM: imported (seconds) on first use into the fill-mask home and
 * reused from there by later runs. Under Maven that home is the reactor root's {@code target/fill-mask-home} (the
 * parent pom sets {@code -Dfillmask.home} and {@code $FILL_MASK_HOME} for every test JVM and the processes they
 * start), so one build imports once for all modules and never writes into {@code ~/.cache/fill-mask}; JVMs that
 * import at the same time take turns on the import's file lock. A failed import is remembered, so each later test
 * fails with the same message at once.
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
