package dev.fillmask.engine.quantize;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.OnnxModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** The files of quantizing a model folder into another: what is read, what is refused, what goes along. */
final class FolderFiles {
    private FolderFiles() {}

    /** The model folder {@code in}, once {@code out} exists and is known to be another folder. */
    static ModelFolder open(Path in, Path out) throws IOException {
        ModelFolder folder = ModelFolder.open(in);
        Files.createDirectories(out);
        if (Files.isSameFile(folder.path(), out)) {
            throw new IllegalArgumentException("--out must be another folder than the model's own (" + in + ")");
        }
        return folder;
    }

    /** The folder's model, refused when its weights are in external data files, which a copy elsewhere would lose. */
    static ModelProto readModel(ModelFolder folder) throws IOException {
        ModelProto model = OnnxModelFile.read(folder.modelFile());
        if (OnnxModelFile.usesExternalData(model)) {
            throw new IllegalArgumentException(folder.modelFile() + " keeps its weights in external data files,"
                    + " which the quantizer does not read; export the model as one file (under 2 GB)");
        }
        return model;
    }

    /** Tokenizer and config files go along unchanged; the import manifest and marker do not: they describe the source. */
    static void copyCompanionFiles(Path in, Path out) throws IOException {
        try (Stream<Path> files = Files.list(in)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(".onnx") || name.endsWith(".onnx_data") || ModelFolder.IMPORT_FILES.contains(name)) {
                    continue;
                }
                Files.copy(file, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
