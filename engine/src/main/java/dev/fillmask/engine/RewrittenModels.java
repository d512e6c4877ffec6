package dev.fillmask.engine;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.EncoderFusion;
import dev.fillmask.engine.onnx.MaskedLmHeadRewriter;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Which graph file a session loads for a model folder, and the load-time rewrites that make it
 * ({@link GraphRewrites}):
 * <ul>
 *     <li>a plain export (head at every position) gets its head rewritten by {@link MaskedLmHeadRewriter} to run at
 *     the masks; a graph whose head already runs there (the importer's) keeps it;</li>
 *     <li>a float32 encoder of the importer's form is fused into ONNX Runtime's contrib ops by
 *     {@link EncoderFusion}, which ONNX Runtime's own optimizer does not do for it.</li>
 * </ul>
 * Both are done once: the result is kept in {@code <fill-mask home>/rewritten/<key>/model.onnx}, keyed by the source
 * file's path, size and modification time and by the rewrites asked for, so later starts and the other slots of a
 * TaskManager load it directly. The model file itself is never changed: the int8 quantizer reads its plain MatMuls.
 * A graph where neither rewrite applies, or any trouble on the way, leaves the model as it is, with a log line saying
 * why: the rewrites only ever save work, they are never needed for a correct answer.
 *
 * <p>The rewrite goes through a file rather than bytes in memory because a BERT-base graph would otherwise cost
 * the JVM heap 438 MB twice over while ONNX Runtime copies it; on disk it costs that much once, and nothing later.
 */
final class RewrittenModels {
    private static final Logger LOG = LoggerFactory.getLogger(RewrittenModels.class);
    /** Bump when a rewrite changes, so cached rewrites are made again. 2: the float32 fusions. */
    static final int REWRITE_VERSION = 2;
    static final String SOURCE_FILE = "source.json";
    private static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Slots of one TaskManager open their sessions at the same time: one rewrite is enough for all of them. */
    private static final Object IN_PROCESS = new Object();

    private RewrittenModels() {}

    /** The rewrite cache in the fill-mask home. */
    static Path defaultCache() {
        return FillMaskHome.resolve().resolve("rewritten");
    }

    /** The file to load for {@code modelFile} with {@code rewrites}: its rewrite when one can be had, else itself. */
    static Path modelToLoad(Path modelFile, GraphRewrites rewrites, Path cache) {
        if (rewrites == GraphRewrites.NONE) {
            return modelFile;
        }
        synchronized (IN_PROCESS) {
            try {
                SourceStamp stamp = SourceStamp.of(modelFile, rewrites);
                Path entry = cache.resolve(stamp.key());
                Path cached = entry.resolve(ModelFolder.MODEL_FILE);
                // Rewrites are 438 MB for BERT-base: those of models that are gone or changed go at the next start.
                pruneStale(cache, entry);
                if (Files.isRegularFile(cached) && Files.isRegularFile(entry.resolve(SOURCE_FILE))) {
                    LOG.info("{}: loading its rewrite {}", modelFile, cached);
                    return cached;
                }
                ModelProto model = OnnxModelFile.read(modelFile);
                if (OnnxModelFile.usesExternalData(model)) {
                    LOG.info("{} keeps its weights in external data files; it is loaded as it is", modelFile);
                    return modelFile;
                }
                long start = System.nanoTime();
                List<String> done = new ArrayList<>();
                ModelProto rewritten = headAtMasks(modelFile, model, done);
                if (rewrites == GraphRewrites.ALL) {
                    rewritten = fused(modelFile, rewritten, done);
                }
                if (done.isEmpty()) {
                    return modelFile;
                }
                Path written = store(rewritten, stamp, cache, entry);
                LOG.info("{}: {}, in {} ms; kept as {}", modelFile, String.join("; ", done),
                        (System.nanoTime() - start) / 1_000_000, written);
                return written;
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: could not rewrite it ({}); loading it as it is", modelFile, e.toString());
                return modelFile;
            }
        }
    }

    private static ModelProto headAtMasks(Path modelFile, ModelProto model, List<String> done) {
        MaskedLmHeadRewriter.Outcome outcome = MaskedLmHeadRewriter.rewrite(model);
        if (outcome instanceof MaskedLmHeadRewriter.NotRecognised notRecognised) {
            LOG.info("{}: the masked-LM head was not recognised ({}); it runs at every position, as exported",
                    modelFile, notRecognised.reason());
        }
        if (!(outcome instanceof MaskedLmHeadRewriter.Rewritten rewritten)) {
            return model;
        }
        done.add("rewrote its LM head (" + rewritten.headNodes() + " nodes after '" + rewritten.hidden()
                + "') to run at the mask positions only");
        return rewritten.model();
    }

    private static ModelProto fused(Path modelFile, ModelProto model, List<String> done) {
        EncoderFusion.Outcome outcome = EncoderFusion.fuse(model);
        if (outcome instanceof EncoderFusion.NotFused notFused) {
            LOG.info("{}: its encoder is left unfused ({})", modelFile, notFused.reason());
            return model;
        }
        EncoderFusion.Fused fused = (EncoderFusion.Fused) outcome;
        done.add("fused its encoder into " + fused.describe());
        return fused.model();
    }

    /** Writes the entry in a private folder and renames it into place, so a reader never sees half of one. */
    private static Path store(ModelProto model, SourceStamp stamp, Path cache, Path entry) throws IOException {
        Files.createDirectories(cache);
        Path staging = Files.createDirectory(cache.resolve("." + entry.getFileName() + "." + UUID.randomUUID()));
        try {
            OnnxModelFile.write(model, staging.resolve(ModelFolder.MODEL_FILE));
            Files.writeString(staging.resolve(SOURCE_FILE), stamp.json(), StandardCharsets.UTF_8);
            try {
                Files.move(staging, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                LOG.debug("another process stored {} first", entry);
            }
            return entry.resolve(ModelFolder.MODEL_FILE);
        } finally {
            deleteRecursively(staging);
        }
    }

    /** Drops rewrites whose source file is gone or changed (a test's temporary model, a replaced export). */
    private static void pruneStale(Path cache, Path keep) {
        if (!Files.isDirectory(cache)) {
            return;
        }
        try (Stream<Path> entries = Files.list(cache)) {
            for (Path entry : entries.toList()) {
                if (entry.equals(keep) || !Files.isDirectory(entry)) {
                    continue;
                }
                if (isStale(entry)) {
                    deleteRecursively(entry);
                }
            }
        } catch (IOException e) {
            LOG.debug("pruning {} failed", cache, e);
        }
    }

    private static boolean isStale(Path entry) throws IOException {
        if (entry.getFileName().toString().startsWith(".")) {
            Instant modified = Files.getLastModifiedTime(entry).toInstant();
            return modified.isBefore(Instant.now().minus(ABANDONED_AFTER));
        }
        Path source = entry.resolve(SOURCE_FILE);
        if (!Files.isRegularFile(source)) {
            return true;
        }
        JsonNode recorded = JSON.readTree(source.toFile());
        Path file = Path.of(recorded.path("source").asText());
        GraphRewrites rewrites;
        try {
            rewrites = GraphRewrites.valueOf(recorded.path("rewrites").asText());
        } catch (IllegalArgumentException e) {
            return true;
        }
        if (!Files.isRegularFile(file) || recorded.path("rewrite").asInt() != REWRITE_VERSION) {
            return true;
        }
        return !SourceStamp.of(file, rewrites).key().equals(entry.getFileName().toString());
    }

    private static void deleteRecursively(Path root) throws IOException {
        dev.fillmask.engine.model.FileTrees.deleteRecursively(root);
    }

    /** What identifies a source file cheaply: hashing 438 MB at every start would cost seconds. */
    private record SourceStamp(String path, long size, long modifiedMillis, GraphRewrites rewrites) {
        static SourceStamp of(Path file, GraphRewrites rewrites) throws IOException {
            Path real = file.toRealPath();
            return new SourceStamp(real.toString(), Files.size(real), Files.getLastModifiedTime(real).toMillis(),
                    rewrites);
        }

        String key() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                String identity = path + "\n" + size + "\n" + modifiedMillis + "\n" + REWRITE_VERSION + "\n" + rewrites;
                byte[] digest = sha.digest(identity.getBytes(StandardCharsets.UTF_8));
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
            root.put("rewrite", REWRITE_VERSION);
            root.put("rewrites", rewrites.name());
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        }
    }
}
