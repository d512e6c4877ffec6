package dev.fillmask.engine.importer.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@value #FILE} in a finished download: which repository, revision and commit it is, and each file's size and the
 * ETag the hub gave for it. Written last into the staging folder; a folder counts as downloaded only if it reads back
 * and every file it lists has its recorded size. Sizes, not digests: every file was checked against its checksum
 * before it got its name, and hashing a gigabyte of weights on every run would cost seconds for nothing.
 */
record DownloadRecord(String repo, String revision, String commit, String endpoint, Map<String, Entry> files) {
    static final String FILE = "hub-download.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    record Entry(long size, String etag) {}

    /** The record of {@code folder} if it is a finished download, else null. */
    static DownloadRecord read(Path folder) {
        Path file = folder.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            Map<String, Entry> files = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.path("files").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Path f = folder.resolve(e.getKey());
                long size = e.getValue().path("size").asLong(-1);
                if (!f.normalize().getParent().equals(folder.normalize()) || !Files.isRegularFile(f) || Files.size(f) != size) {
                    return null;
                }
                files.put(e.getKey(), new Entry(size, e.getValue().path("etag").asText(null)));
            }
            String commit = root.path("commit").asText(null);
            if (commit == null || files.isEmpty()) {
                return null;
            }
            return new DownloadRecord(root.path("repo").asText(), root.path("revision").asText(), commit,
                    root.path("endpoint").asText(), files);
        } catch (IOException e) {
            return null;
        }
    }

    void write(Path folder) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("repo", repo);
        root.put("revision", revision);
        root.put("commit", commit);
        root.put("endpoint", endpoint);
        ObjectNode list = root.putObject("files");
        files.forEach((name, entry) -> {
            ObjectNode e = list.putObject(name);
            e.put("size", entry.size());
            if (entry.etag() != null) {
                e.put("etag", entry.etag());
            }
        });
        Path tmp = folder.resolve(FILE + ".tmp");
        JSON.writeValue(tmp.toFile(), root);
        Files.move(tmp, folder.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
    }

    HubDownload.Checkpoint checkpoint(Path folder, HubRepoId repo, HubRevision revision) {
        return new HubDownload.Checkpoint(folder, repo, revision, commit, contents());
    }

    /** SHA-256 over every file's name, size and ETag, in name order: equal for two commits with the same files. */
    String contents() {
        StringBuilder lines = new StringBuilder();
        new TreeMap<>(files).forEach((name, e) -> lines.append(name).append(' ').append(e.size()).append(' ')
                .append(e.etag()).append('\n'));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(lines.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    long totalBytes() {
        return files.values().stream().mapToLong(Entry::size).sum();
    }
}
