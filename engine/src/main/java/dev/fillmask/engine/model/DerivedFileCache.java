package dev.fillmask.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Files made once from a model file and kept, so that later starts and the other slots of a TaskManager load them
 * directly: {@code <folder>/<key>/}, keyed by the source file's path, size and modification time (hashing 438 MB at
 * every start would cost seconds) and by the settings what is made depends on. An entry is written in a private
 * folder and renamed into place, so a reader never sees half of one. At each look-up the entries whose source file is
 * gone or changed, or that were made under other fixed settings (a format version, ONNX Runtime's version), are
 * deleted, as are private folders abandoned for an hour: derived files of BERT-base are 438 MB each.
 */
public final class DerivedFileCache {
    /** What each entry records of its making, beside the files it holds. */
    public static final String SOURCE_FILE = "source.json";
    private static final Logger LOG = LoggerFactory.getLogger(DerivedFileCache.class);
    private static final Duration ABANDONED_AFTER = Duration.ofHours(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Writes an entry's files into {@code staging}. */
    @FunctionalInterface
    public interface Producer {
        void produce(Path staging) throws IOException;
    }

    /** A source file as it is now, and every setting that shapes what is made from it. A map key. */
    public record Stamp(String path, long size, long modifiedMillis, SortedMap<String, String> settings) {
        public Stamp {
            settings = Collections.unmodifiableSortedMap(new TreeMap<>(settings));
        }

        static Stamp of(Path file, Map<String, String> settings) throws IOException {
            Path real = file.toRealPath();
            return new Stamp(real.toString(), Files.size(real), Files.getLastModifiedTime(real).toMillis(),
                    new TreeMap<>(settings));
        }

        /** The entry's folder name: 20 hex digits of the SHA-256 of all of the above. */
        public String key() {
            StringBuilder identity = new StringBuilder(path).append('\n').append(size).append('\n')
                    .append(modifiedMillis);
            settings.forEach((name, value) -> identity.append('\n').append(name).append('=').append(value));
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256")
                        .digest(identity.toString().getBytes(StandardCharsets.UTF_8));
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
            ObjectNode recorded = root.putObject("settings");
            settings.forEach(recorded::put);
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        }
    }

    private final Path folder;
    private final SortedMap<String, String> fixed;

    /**
     * @param folder where the entries are kept
     * @param fixed settings every entry made now has (a format version, ONNX Runtime's version): an entry made under
     *     other values is stale
     */
    public DerivedFileCache(Path folder, Map<String, String> fixed) {
        this.folder = folder;
        this.fixed = Collections.unmodifiableSortedMap(new TreeMap<>(fixed));
    }

    /** The stamp of {@code file} as it is now, with this cache's fixed settings and {@code settings}. */
    public Stamp stamp(Path file, Map<String, String> settings) throws IOException {
        TreeMap<String, String> all = new TreeMap<>(settings);
        all.putAll(fixed);
        return Stamp.of(file, all);
    }

    /** The folder of the entry for {@code stamp} if it has been made, else null; stale entries go first. */
    public Path find(Stamp stamp) {
        Path entry = folder.resolve(stamp.key());
        pruneStale(entry);
        return Files.isRegularFile(entry.resolve(SOURCE_FILE)) ? entry : null;
    }

    /**
     * Makes the entry for {@code stamp}: {@code producer} writes its files into a private folder, the stamp is added,
     * and the folder is renamed into place. When another process stored the same entry first, its entry stays.
     */
    public Path store(Stamp stamp, Producer producer) throws IOException {
        Path entry = folder.resolve(stamp.key());
        Files.createDirectories(folder);
        Path staging = Files.createDirectory(folder.resolve("." + entry.getFileName() + "." + UUID.randomUUID()));
        try {
            producer.produce(staging);
            Files.writeString(staging.resolve(SOURCE_FILE), stamp.json(), StandardCharsets.UTF_8);
            try {
                Files.move(staging, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                LOG.debug("another process stored {} first", entry);
            }
            return entry;
        } finally {
            FileTrees.deleteRecursively(staging);
        }
    }

    private void pruneStale(Path keep) {
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path entry : entries.toList()) {
                if (!entry.equals(keep) && Files.isDirectory(entry) && isStale(entry)) {
                    FileTrees.deleteRecursively(entry);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("pruning {} failed", folder, e);
        }
    }

    private boolean isStale(Path entry) throws IOException {
        if (entry.getFileName().toString().startsWith(".")) {
            return Files.getLastModifiedTime(entry).toInstant().isBefore(Instant.now().minus(ABANDONED_AFTER));
        }
        Path source = entry.resolve(SOURCE_FILE);
        if (!Files.isRegularFile(source)) {
            return true; // entries are renamed into place whole, so this is no entry of ours in the making
        }
        JsonNode recorded = JSON.readTree(source.toFile());
        Path file = Path.of(recorded.path("source").asText());
        if (!recorded.path("settings").isObject() || !Files.isRegularFile(file)) {
            return true;
        }
        TreeMap<String, String> settings = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = recorded.path("settings").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> setting = it.next();
            settings.put(setting.getKey(), setting.getValue().asText());
        }
        // Today's fixed settings replace the recorded ones: made under others, the key differs.
        return !stamp(file, settings).key().equals(entry.getFileName().toString());
    }
}
