package dev.fillmask.engine.importer.hub;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * Turns a downloaded Hugging Face checkpoint folder ({@code config.json}, safetensors weights, tokenizer files) into
 * a model folder the engine loads. The download does not need to know how: the caller passes the importer.
 */
@FunctionalInterface
public interface CheckpointImporter {
    /** Writes the model into {@code outFolder} (which does not exist yet) and returns the model folder. */
    Path importCheckpoint(Path checkpointDir, Path outFolder, PrintStream progress) throws IOException;
}
