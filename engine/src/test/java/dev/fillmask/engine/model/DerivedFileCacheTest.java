package dev.fillmask.engine.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DerivedFileCacheTest {
    @TempDir
    Path dir;

    private Path source(String content) throws Exception {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, content);
        return file;
    }

    @Test
    void aStoredEntryIsFoundByTheSameSourceAndSettingsOnly() throws Exception {
        Path model = source("weights");
        DerivedFileCache cache = new DerivedFileCache(dir.resolve("cache"), Map.of("format", "1"));
        DerivedFileCache.Stamp stamp = cache.stamp(model, Map.of("level", "all"));
        assertNull(cache.find(stamp));
        Path entry = cache.store(stamp, staging -> Files.writeString(staging.resolve("out.bin"), "derived"));
        assertEquals("derived", Files.readString(entry.resolve("out.bin")));
        assertEquals(entry, cache.find(cache.stamp(model, Map.of("level", "all"))));
        assertNull(cache.find(cache.stamp(model, Map.of("level", "basic"))), "other settings, another entry");
        assertTrue(Files.isDirectory(entry), "an entry of other settings of a source that is still there stays");
        try (var left = Files.list(dir.resolve("cache"))) {
            assertEquals(1, left.count(), "no staging folder is left behind");
        }
    }

    @Test
    void anEntryWhoseSourceChangedOrWhoseFixedSettingsChangedGoesAtTheNextLookUp() throws Exception {
        Path model = source("weights");
        Path folder = dir.resolve("cache");
        DerivedFileCache cache = new DerivedFileCache(folder, Map.of("format", "1"));
        Path first = cache.store(cache.stamp(model, Map.of()), staging -> Files.writeString(staging.resolve("a"), "1"));

        DerivedFileCache newerFormat = new DerivedFileCache(folder, Map.of("format", "2"));
        DerivedFileCache.Stamp stamp = newerFormat.stamp(model, Map.of());
        assertNotEquals(first.getFileName().toString(), stamp.key());
        assertNull(newerFormat.find(stamp));
        assertFalse(Files.exists(first), "made under another format: stale");

        Path second = newerFormat.store(stamp, staging -> Files.writeString(staging.resolve("a"), "2"));
        Files.writeString(model, "fine-tuned weights");
        assertNull(newerFormat.find(newerFormat.stamp(model, Map.of())));
        assertFalse(Files.exists(second), "its source changed: stale");
    }

    @Test
    void onlyStagingFoldersAbandonedForAnHourArePruned() throws Exception {
        Path model = source("weights");
        Path folder = dir.resolve("cache");
        Path abandoned = Files.createDirectories(folder.resolve(".abc.1"));
        Path inProgress = Files.createDirectories(folder.resolve(".abc.2"));
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        DerivedFileCache cache = new DerivedFileCache(folder, Map.of());
        cache.find(cache.stamp(model, Map.of()));
        assertFalse(Files.exists(abandoned));
        assertTrue(Files.exists(inProgress), "another process may still be writing it");
    }
}
