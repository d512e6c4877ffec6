package dev.fillmask.engine.importer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImportLockTest {
    @TempDir
    Path dir;
    private final PrintStream progress = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @Test
    void workUnderOneLockMayTakeAnother() throws Exception {
        String result = ImportLock.holding(dir.resolve("a/.download.lock"), "a download", progress,
                () -> ImportLock.holding(dir.resolve("a/.import.lock"), "an import", progress, () -> "both held"));
        assertEquals("both held", result);
    }

    /** Two steps sharing a lock file: a clear error naming it, not Java's bare OverlappingFileLockException. */
    @Test
    void takingTheSameLockFileAgainIsAClearError() throws Exception {
        Path file = dir.resolve(".model.lock");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ImportLock.holding(file, "outer",
                progress, () -> ImportLock.holding(dir.resolve("sub/../.model.lock"), "inner", progress, () -> "")));
        assertTrue(e.getMessage().contains(file.toAbsolutePath().normalize().toString()), e.getMessage());
        // Released on the way out: the same file can be taken again.
        assertEquals("again", ImportLock.holding(file, "again", progress, () -> "again"));
    }

    @Test
    void threadsOfOneProcessTakeTurns() throws Exception {
        Path file = dir.resolve(".turns.lock");
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch secondStarted = new CountDownLatch(1);
        Thread first = new Thread(() -> run(file, () -> {
            events.add("first in");
            firstInside.countDown();
            secondStarted.await();
            Thread.sleep(100); // the second is asking for the lock meanwhile
            events.add("first out");
            return null;
        }));
        first.start();
        firstInside.await();
        Thread second = new Thread(() -> {
            secondStarted.countDown();
            run(file, () -> {
                events.add("second in");
                return null;
            });
        });
        second.start();
        first.join();
        second.join();
        assertEquals(List.of("first in", "first out", "second in"), events);
    }

    private interface Body {
        Object run() throws Exception;
    }

    private void run(Path file, Body body) {
        try {
            ImportLock.holding(file, "turns", progress, () -> {
                try {
                    return body.run();
                } catch (Exception e) {
                    throw new java.io.IOException(e);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
