package dev.fillmask.engine.weights;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.GraphOptimization;
import dev.fillmask.engine.model.FileTrees;
import dev.fillmask.engine.onnx.OnnxModelFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The split form ({@link WeightsFile}) of a model file, made once and kept in {@code <fill-mask home>/shared-weights/
 * <key>/}, keyed by the file's path, size and modification time and the optimization level.
 *
 * <p>The graph is optimized by ONNX Runtime before it is split, because optimizing makes tensors of its own: constant
 * folding turns the BERT graph's transposed LM-head weights (94 MB) into a new tensor, which every session would
 * otherwise make, and hold, again. Split after optimizing, those tensors are shared like the rest. Optimization stops
 * at the extended level here, as ONNX Runtime advises for a saved graph (the all level adds layout changes specific
 * to the CPU); each session still applies the level it is given when it loads the graph.
 */
final class SplitModels {
    private static final Logger LOG = LoggerFactory.getLogger(SplitModels.class);
    /** Bump when the split form changes, so entries made before are made again. */
    static final int LAYOUT_VERSION = 1;
    static final String SOURCE_FILE = "source.json";
    private static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private SplitModels() {}

    /** The folder holding the split form of {@code modelFile}, made first if it is not there yet. */
    static Path splitForm(Path modelFile, GraphOptimization level, Path cache) throws IOException {
        Stamp stamp = Stamp.of(modelFile, level);
        Path entry = cache.resolve(stamp.key());
        pruneStale(cache, entry);
        if (Files.isRegularFile(entry.resolve(SOURCE_FILE))) {
            return entry;
        }
        long start = System.nanoTime();
        Files.createDirectories(cache);
        Path staging = Files.createDirectory(cache.resolve("." + entry.getFileName() + "." + UUID.randomUUID()));
        try {
            Path optimized = optimize(modelFile, level, staging);
            ModelProto model = OnnxModelFile.read(optimized);
            if (OnnxModelFile.usesExternalData(model)) {
                throw new IOException(modelFile + " keeps its weights in external data files, which are not shared");
            }
            WeightsFile.split(model, staging);
            if (!optimized.equals(modelFile)) {
                Files.delete(optimized);
            }
            Files.writeString(staging.resolve(SOURCE_FILE), stamp.json(), StandardCharsets.UTF_8);
            try {
                Files.move(staging, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                LOG.debug("another process stored {} first", entry);
            }
            LOG.info("{}: optimized ({}) and split into a graph and shared weights in {} ms; kept as {}", modelFile,
                    offlineLevel(level), (System.nanoTime() - start) / 1_000_000, entry);
            return entry;
        } finally {
            FileTrees.deleteRecursively(staging);
        }
    }

    /** The graph ONNX Runtime makes of {@code modelFile} at the offline level, saved in {@code folder}. */
    private static Path optimize(Path modelFile, GraphOptimization level, Path folder) throws IOException {
        GraphOptimization offline = offlineLevel(level);
        if (offline == GraphOptimization.NONE) {
            return modelFile;
        }
        Path optimized = folder.resolve("optimized.onnx");
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(1);
            so.setOptimizationLevel(offline.ortLevel());
            so.setOptimizedModelFilePath(optimized.toString());
            OrtEnvironment.getEnvironment().createSession(modelFile.toString(), so).close();
        } catch (OrtException e) {
            throw new IOException("ONNX Runtime cannot optimize " + modelFile + ": " + e.getMessage(), e);
        }
        return optimized;
    }

    private static GraphOptimization offlineLevel(GraphOptimization level) {
        return level.compareTo(GraphOptimization.EXTENDED) > 0 ? GraphOptimization.EXTENDED : level;
    }

    /** Drops entries whose source file is gone or changed (a test's temporary model, a replaced export). */
    private static void pruneStale(Path cache, Path keep) {
        if (!Files.isDirectory(cache)) {
            return;
        }
        try (Stream<Path> entries = Files.list(cache)) {
            for (Path entry : entries.toList()) {
                if (!entry.equals(keep) && Files.isDirectory(entry) && isStale(entry)) {
                    FileTrees.deleteRecursively(entry);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("pruning {} failed", cache, e);
        }
    }

    private static boolean isStale(Path entry) throws IOException {
        if (entry.getFileName().toString().startsWith(".")) {
            return Files.getLastModifiedTime(entry).toInstant().isBefore(Instant.now().minus(ABANDONED_AFTER));
        }
        Path source = entry.resolve(SOURCE_FILE);
        if (!Files.isRegularFile(source)) {
            return Files.getLastModifiedTime(entry).toInstant().isBefore(Instant.now().minus(ABANDONED_AFTER));
        }
        JsonNode recorded = JSON.readTree(source.toFile());
        Path file = Path.of(recorded.path("source").asText());
        if (!Files.isRegularFile(file) || recorded.path("layout").asInt() != LAYOUT_VERSION) {
            return true;
        }
        GraphOptimization level = GraphOptimization.parse(recorded.path("optimization").asText("all"));
        return !Stamp.of(file, level).key().equals(entry.getFileName().toString());
    }

    /**
     * What identifies a model file's content cheaply (hashing 438 MB at every start would cost seconds), with what
     * else changes the split form: the optimization level and ONNX Runtime's version (its optimizer writes the graph).
     */
    record Stamp(String path, long size, long modifiedMillis, GraphOptimization level, String runtime) {
        static Stamp of(Path file, GraphOptimization level) throws IOException {
            Path real = file.toRealPath();
            return new Stamp(real.toString(), Files.size(real), Files.getLastModifiedTime(real).toMillis(), level,
                    OrtEnvironment.getEnvironment().getVersion());
        }

        String key() {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest((path + "\n" + size + "\n" + modifiedMillis
                        + "\n" + level + "\n" + runtime + "\n" + LAYOUT_VERSION).getBytes(StandardCharsets.UTF_8));
                return HexFormat.of().formatHex(digest, 0, 10);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JVM has no SHA-256", e);
            }
        }

        String json() throws IOException {
            ObjectNode root = JSON.createObjectNode();
            root.put("source", path);
            root.put("size", size);
            root.put("modified", modifiedMillis);
            root.put("optimization", level.toString());
            root.put("runtime", runtime);
            root.put("layout", LAYOUT_VERSION);
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        }
    }
}
