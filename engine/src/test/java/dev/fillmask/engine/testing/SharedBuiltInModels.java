package dev.fillmask.engine.testing;

import dev.fillmask.engine.importer.BuiltInImport;
import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.model.FillMaskHome;

import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Any built-in model for the tests of a JVM, imported once into the fill-mask home (as {@link SharedDefaultModel}
 * does for the default model) and reused by later runs; a failed import is remembered and fails each later test at
 * once with the same message.
 */
public final class SharedBuiltInModels {
    private static final Map<BuiltInModel, Path> PATHS = new EnumMap<>(BuiltInModel.class);
    private static final Map<BuiltInModel, RuntimeException> FAILURES = new EnumMap<>(BuiltInModel.class);

    private SharedBuiltInModels() {}

    public static synchronized Path path(BuiltInModel model) {
        if (!PATHS.containsKey(model) && !FAILURES.containsKey(model)) {
            try {
                PATHS.put(model, BuiltInImport.ensureImported(model, FillMaskHome.resolve(), System.out));
            } catch (RuntimeException e) {
                FAILURES.put(model, e);
            }
        }
        RuntimeException failure = FAILURES.get(model);
        if (failure != null) {
            throw new IllegalStateException(model.modelName() + " could not be imported: " + failure.getMessage(), failure);
        }
        return PATHS.get(model);
    }
}
