package dev.fillmask.udf;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns the {@code model} of a {@link ModelChange} into a model folder on the TaskManager that loads it. It runs on
 * the subtask's loader thread, never on the thread that answers requests, so it may take its time (import a model,
 * say). Any exception it throws fails that swap, with the exception's message as the reason; the old model keeps
 * serving.
 */
@FunctionalInterface
public interface ModelResolver extends Serializable {
    /** Model names are folder paths; the folder must exist. */
    ModelResolver FOLDERS = model -> {
        Path folder = Path.of(model);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("the model folder " + folder.toAbsolutePath() + " does not exist");
        }
        return folder.toAbsolutePath();
    };

    /** The folder of {@code model} (never null), or an exception saying why there is none. */
    Path resolve(String model) throws Exception;
}
