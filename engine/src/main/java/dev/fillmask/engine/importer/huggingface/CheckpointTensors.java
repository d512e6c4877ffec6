package dev.fillmask.engine.importer.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.importer.ModelImportException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The tensors of a checkpoint folder as the hub serves it: one {@code model.safetensors}, or a sharded set whose
 * {@code model.safetensors.index.json} maps each tensor name to its shard ({@code weight_map}). Every file is opened
 * and its header checked up front; a name the index promises but its shard lacks is an error naming both.
 */
final class CheckpointTensors implements AutoCloseable {
    static final String SINGLE_FILE = "model.safetensors";
    static final String INDEX_FILE = "model.safetensors.index.json";

    /** Where a tensor is: its file and its entry in that file's header. */
    record Located(SafetensorsFile file, SafetensorsFile.Entry entry) {
        String describe() {
            return "tensor " + entry.name() + " of " + file.path().getFileName();
        }
    }

    private final List<SafetensorsFile> files;
    private final Map<String, Located> tensors;
    private final String source;

    private CheckpointTensors(List<SafetensorsFile> files, Map<String, Located> tensors, String source) {
        this.files = files;
        this.tensors = tensors;
        this.source = source;
    }

    static CheckpointTensors open(Path checkpointDir) {
        Path index = checkpointDir.resolve(INDEX_FILE);
        Path single = checkpointDir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(checkpointDir, index);
        }
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            Map<String, Located> tensors = new LinkedHashMap<>();
            file.entries().values().forEach(e -> tensors.put(e.name(), new Located(file, e)));
            return new CheckpointTensors(List.of(file), tensors, SINGLE_FILE);
        }
        String other = Files.isRegularFile(checkpointDir.resolve("pytorch_model.bin"))
                ? " (it has pytorch_model.bin, a pickle, which this importer does not read: the hub serves most models"
                + " as safetensors too; transformers' save_pretrained writes them)"
                : "";
        throw new ModelImportException(checkpointDir + " has neither " + SINGLE_FILE + " nor " + INDEX_FILE + other);
    }

    private static CheckpointTensors openSharded(Path dir, Path index) {
        JsonNode weightMap;
        try {
            weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new ModelImportException("cannot read " + index + ": " + e.getMessage(), e);
        }
        if (!weightMap.isObject() || weightMap.isEmpty()) {
            throw new ModelImportException(index + " has no weight_map object naming each tensor's file");
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        Map<String, Located> tensors = new LinkedHashMap<>();
        try {
            for (String shard : new TreeSet<>(valuesOf(weightMap))) {
                Path file = dir.resolve(shard).normalize();
                if (!dir.normalize().equals(file.getParent())) {
                    throw new ModelImportException(index + " names a shard outside the folder: " + shard);
                }
                if (!Files.isRegularFile(file)) {
                    throw new ModelImportException(index + " names the shard " + shard + ", which is not in " + dir);
                }
                shards.put(shard, SafetensorsFile.open(file));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                SafetensorsFile file = shards.get(e.getValue().asText());
                SafetensorsFile.Entry entry = file.entries().get(e.getKey());
                if (entry == null) {
                    throw new ModelImportException(INDEX_FILE + " puts tensor " + e.getKey() + " in "
                            + e.getValue().asText() + ", which does not have it");
                }
                tensors.put(e.getKey(), new Located(file, entry));
            }
        } catch (RuntimeException e) {
            shards.values().forEach(CheckpointTensors::closeQuietly);
            throw e;
        }
        return new CheckpointTensors(new ArrayList<>(shards.values()), tensors, INDEX_FILE);
    }

    private static List<String> valuesOf(JsonNode object) {
        List<String> values = new ArrayList<>();
        object.elements().forEachRemaining(v -> values.add(v.asText()));
        return values;
    }

    Optional<Located> find(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    /** {@value #SINGLE_FILE} or {@value #INDEX_FILE}: what a message about a missing tensor names. */
    String source() {
        return source;
    }

    int shardCount() {
        return files.size();
    }

    private static void closeQuietly(SafetensorsFile file) {
        try {
            file.close();
        } catch (IOException ignored) {
            // closing after a failure; the failure is what is reported
        }
    }

    @Override
    public void close() {
        files.forEach(CheckpointTensors::closeQuietly);
    }
}
