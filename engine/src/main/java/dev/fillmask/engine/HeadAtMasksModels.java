package dev.fillmask.engine;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.model.FillMaskHome;
import dev.fillmask.engine.model.ModelFolder;
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
import java.util.HexFormat;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Which graph file a session loads for a model folder. A graph whose LM head already runs at the masks loads as it
 * is. A plain export (head at every position) gets its head rewritten by {@link MaskedLmHeadRewriter}, once: the
 * rewrite is kept in {@code <fill-mask home>/rewritten/<key>/model.onnx}, keyed by the source file's path, size and
 * modification time, so later starts and the other slots of a TaskManager load it directly. A head that is not
 * recognised, or any trouble on the way, leaves the model as it is, with a log line saying why: the rewrite only
 * ever saves work, it is never needed for a correct answer.
 *
 * <p>The rewrite goes through a file rather than bytes in memory because a BERT-base graph would otherwise cost
 * the JVM heap 438 MB twice over while ONNX Runtime copies it; on disk it costs that much once, and nothing later.
 */
final class HeadAtMasksModels {
    private static final Logger LOG = LoggerFactory.getLogger(HeadAtMasksModels.class);
    /** Bump when the rewrite changes, so cached rewrites are made again. */
    static final int REWRITE_VERSION = 1;
    static final String SOURCE_FILE = "source.json";
    private static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Slots of one TaskManager open their sessions at the same time: one rewrite is enough for all of them. */
    private static final Object IN_PROCESS = new Object();

    private HeadAtMasksModels() {}

    /** The rewrite cache in the fill-mask home. */
    static Path defaultCache() {
        return FillMaskHome.resolve().resolve("rewritten");
    }

    /** The file to load for {@code modelFile}: its head-at-masks rewrite when one can be had, else itself. */
    static Path modelToLoad(Path modelFile, Path cache) {
        synchronized (IN_PROCESS) {
            try {
                SourceStamp stamp = SourceStamp.of(modelFile);
                Path entry = cache.resolve(stamp.key());
                Path cached = entry.resolve(ModelFolder.MODEL_FILE);
                // Rewrites are 438 MB for BERT-base: those of models that are gone or changed go at the next start.
                pruneStale(cache, entry);
                if (Files.isRegularFile(cached) && Files.isRegularFile(entry.resolve(SOURCE_FILE))) {
                    LOG.info("{}: loading its head-at-masks rewrite {}", modelFile, cached);
                    return cached;
                }
                ModelProto model = OnnxModelFile.read(modelFile);
                if (OnnxModelFile.usesExternalData(model)) {
                    LOG.info("{} keeps its weights in external data files; its LM head is left at every position",
                            modelFile);
                    return modelFile;
                }
                MaskedLmHeadRewriter.Outcome outcome = MaskedLmHeadRewriter.rewrite(model);
                if (outcome instanceof MaskedLmHeadRewriter.AlreadyAtMasks) {
                    return modelFile;
                }
                if (outcome instanceof MaskedLmHeadRewriter.NotRecognised notRecognised) {
                    LOG.info("{}: the masked-LM head was not recognised ({}); it runs at every position, as exported",
                            modelFile, notRecognised.reason());
                    return modelFile;
                }
                MaskedLmHeadRewriter.Rewritten rewritten = (MaskedLmHeadRewriter.Rewritten) outcome;
                long start = System.nanoTime();
                Path written = store(rewritten.model(), stamp, cache, entry);
                LOG.info("{}: rewrote its LM head ({} nodes after '{}') to run at the mask positions only, in {} ms; "
                                + "kept as {}", modelFile, rewritten.headNodes(), rewritten.hidden(),
                        (System.nanoTime() - start) / 1_000_000, written);
                return written;
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: could not rewrite its LM head to run at the masks ({}); loading it as it is", modelFile,
                        e.toString());
                return modelFile;
            }
        }
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
        if (!Files.isRegularFile(file) || recorded.path("rewrite").asInt() != REWRITE_VERSION) {
            return true;
        }
        return !SourceStamp.of(file).key().equals(entry.getFileName().toString());
    }

    private static void deleteRecursively(Path root) throws IOException {
        dev.fillmask.engine.model.FileTrees.deleteRecursively(root);
    }

    /** What identifies a source file cheaply: hashing 438 MB at every start would cost seconds. */
    private record SourceStamp(String path, long size, long modifiedMillis) {
        static SourceStamp of(Path file) throws IOException {
            Path real = file.toRealPath();
            return new SourceStamp(real.toString(), Files.size(real), Files.getLastModifiedTime(real).toMillis());
        }

        String key() {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] digest = sha.digest((path + "\n" + size + "\n" + modifiedMillis + "\n" + REWRITE_VERSION)
                        .getBytes(StandardCharsets.UTF_8));
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
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        }
    }
}
