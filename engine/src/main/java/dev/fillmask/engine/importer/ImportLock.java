package dev.fillmask.engine.importer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * Keeps two imports or downloads of the same thing apart, in other processes and in this one: the second waits for
 * the first, then usually finds the work done. A file lock for other processes; a {@link FileLock} belongs to the
 * whole JVM, so the threads of one JVM queue on a monitor first. Work under one lock may take another (a download
 * imports what it fetched), but never the same lock file again: Java would fail that with a bare
 * OverlappingFileLockException, so it fails here first, saying which file two steps share.
 */
public final class ImportLock {
    /** The work done holding the lock. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws IOException;
    }

    private static final Object IN_PROCESS = new Object();
    /** The lock files this JVM holds; guarded by {@link #IN_PROCESS}. */
    private static final Set<Path> HELD = new HashSet<>();

    private ImportLock() {}

    /**
     * Runs {@code work} holding {@code lockFile} (created with its folder if missing), first saying on
     * {@code progress} that it waits when another process holds it; {@code what}: what the lock keeps, for that line.
     */
    public static <T> T holding(Path lockFile, String what, PrintStream progress, Work<T> work) throws IOException {
        Path file = lockFile.toAbsolutePath().normalize();
        synchronized (IN_PROCESS) {
            if (!HELD.add(file)) {
                throw new IllegalStateException("two steps of one import use the same lock file " + file
                        + ": each step needs a lock file of its own");
            }
            try {
                Files.createDirectories(file.getParent());
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock();
                    if (lock == null) {
                        progress.println("another process is working on " + what + "; waiting for it");
                        lock = channel.lock();
                    }
                    try (FileLock ignored = lock) {
                        return work.run();
                    }
                }
            } finally {
                HELD.remove(file);
            }
        }
    }
}
