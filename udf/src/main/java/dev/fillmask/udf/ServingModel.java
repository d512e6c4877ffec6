package dev.fillmask.udf;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * The model that answered a batch: its name (the model folder's name, {@code bert-base-uncased} for the default
 * model) and its version ({@link dev.fillmask.engine.model.ModelVersion}: 16 hex digits of a SHA-256 of its files).
 * The operator hands it to {@link FillMaskRecords#answered(Object, dev.fillmask.schemas.FillMaskAnswer, ServingModel)}
 * with every answer, so that an answer can name the model that made it even when the model is swapped at run time.
 */
public record ServingModel(String name, String version) implements Serializable {
    /** The model in {@code folder}, whose version is {@code version}. */
    public static ServingModel of(Path folder, String version) {
        Path name = folder.getFileName();
        return new ServingModel(name == null ? folder.toString() : name.toString(), version);
    }
}
