package dev.fillmask.engine.importer.hub;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Keeps two downloads (or imports) of the same thing apart: the second waits for the first and then finds its work
 * done. A file lock for other processes; FileLock is per process, so threads of one JVM queue on a monitor first.
 */
final class FolderLock {
    @FunctionalInterface
    interface Work<T> {
        T run() throws IOException;
    }

    private static final Object IN_PROCESS = new Object();

    private FolderLock() {}

    static <T> T holding(Path lockFile, String what, PrintStream progress, Work<T> work) throws IOException {
        synchronized (IN_PROCESS) {
            Files.createDirectories(lockFile.getParent());
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.tryLock();
                if (lock == null) {
                    progress.println("another process is working on " + what + "; waiting for it");
                    lock = channel.lock();
                }
                try (FileLock ignored = lock) {
                    return work.run();
                }
            }
        }
    }
}
