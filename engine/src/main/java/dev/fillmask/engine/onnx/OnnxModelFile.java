package dev.fillmask.engine.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Reads and writes whole ONNX model files with the protobuf classes, without holding the weights on the heap. */
public final class OnnxModelFile {
    private OnnxModelFile() {}

    /**
     * Parses {@code file} with every tensor's bytes aliasing a read-only memory map of it, so a 438 MB BERT costs the
     * heap its graph structure only (a few MB) and parsing takes well under a second. The map lives as long as the
     * returned model (or any tensor taken from it) is reachable; the file must not be rewritten in place meanwhile.
     */
    public static ModelProto read(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > Integer.MAX_VALUE) {
                throw new IOException(file + " is " + size + " bytes: one protobuf file cannot exceed 2 GB"
                        + " (such models keep their weights in external data files)");
            }
            MappedByteBuffer map = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            // Through a ByteString the buffer counts as immutable, which is what lets the parser alias it.
            CodedInputStream in = UnsafeByteOperations.unsafeWrap(map).newCodedInput();
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            return ModelProto.parseFrom(in);
        }
    }

    /**
     * Streams {@code model} to {@code file} through a uniquely named temporary sibling and an atomic rename, so a
     * crash never leaves a truncated model under the final name and two writers never share a temporary file.
     */
    public static void write(ModelProto model, Path file) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID().toString().substring(0, 8) + ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
                model.writeTo(out);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Whether some initializer keeps its bytes in a separate file, which a rewritten copy elsewhere would lose. */
    public static boolean usesExternalData(ModelProto model) {
        for (TensorProto t : model.getGraph().getInitializerList()) {
            if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
                return true;
            }
        }
        return false;
    }
}
