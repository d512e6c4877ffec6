package dev.fillmask.engine.importer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A folder in the cache that an import makes once and every later run reuses. A folder only counts once its
 * manifest checks out, and it only appears under its name by an atomic rename of a finished staging folder, so a
 * crash, a full disk or a copy gone wrong never leaves something that is taken as good. A file lock makes a second
 * process wait for the first one's import and then reuse it. Public for the other importers
 * ({@code importer.huggingface}), which write their folders the same way.
 */
public final class CachedImport {
    /** Writes the import's files into {@code staging}; {@code scratch} is for what may be thrown away afterwards. */
    @FunctionalInterface
    public interface Producer {
        void produce(Path staging, Path scratch, PrintStream progress) throws IOException;
    }

    private final Path parent;
    private final String name;
    private final int formatVersion;
    private final List<String> requiredFiles;

    public CachedImport(Path parent, String name, int formatVersion, List<String> requiredFiles) {
        this.parent = parent.toAbsolutePath();
        this.name = name;
        this.formatVersion = formatVersion;
        this.requiredFiles = List.copyOf(requiredFiles);
    }

    Path target() {
        return parent.resolve(name);
    }

    /** Null if the target is a good finished import, else why not. */
    String problem() {
        return ImportManifest.problem(target(), formatVersion, requiredFiles);
    }

    /**
     * The target if it is a good finished import, else imports it: {@code producer} writes into a staging folder,
     * the manifest ({@code about} plus every file's size and SHA-256) and the import marker are added, and the
     * staging folder is renamed to the target.
     */
    public Path ensure(Producer producer, Map<String, String> about, PrintStream progress) {
        if (problem() == null) {
            return target();
        }
        try {
            return ImportLock.holding(parent.resolve("." + name + ".lock"), "an import into " + target(), progress, () -> {
                String problem = problem();
                if (problem == null) {
                    progress.println("reusing " + target() + ", imported meanwhile by another process");
                    return target();
                }
                importUnderLock(producer, about, problem, progress);
                return target();
            });
        } catch (IOException e) {
            throw new ModelImportException("cannot import into " + target() + ": " + e, e);
        }
    }

    private void importUnderLock(Producer producer, Map<String, String> about, String problem, PrintStream progress)
            throws IOException {
        long start = System.nanoTime();
        // Holding the lock, every staging or scratch folder here is a leftover of a process that died importing.
        deleteLeftovers();
        if (Files.exists(target())) {
            progress.println(target() + " is not a finished import (" + problem + "); importing it again");
            Path stale = parent.resolve("." + name + ".stale-" + suffix());
            Files.move(target(), stale, StandardCopyOption.ATOMIC_MOVE);
            deleteRecursively(stale);
        }
        String suffix = suffix();
        Path staging = Files.createDirectory(parent.resolve("." + name + ".partial-" + suffix));
        Path scratch = Files.createDirectory(parent.resolve("." + name + ".scratch-" + suffix));
        try {
            producer.produce(staging, scratch, progress);
            ImportManifest.write(staging, formatVersion, about);
            String stagedProblem = ImportManifest.problem(staging, formatVersion, requiredFiles);
            if (stagedProblem != null) {
                throw new ModelImportException("the import into " + staging + " is incomplete: " + stagedProblem);
            }
            Files.move(staging, target(), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteRecursively(scratch);
            deleteRecursively(staging);
        }
        progress.printf(Locale.ROOT, "done: %s in %.1f s%n", target(), (System.nanoTime() - start) / 1e9);
    }

    private void deleteLeftovers() throws IOException {
        try (Stream<Path> siblings = Files.list(parent)) {
            for (Path p : siblings.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith("." + name + ".partial-") || n.startsWith("." + name + ".scratch-")
                        || n.startsWith("." + name + ".stale-")) {
                    deleteRecursively(p);
                }
            }
        }
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    static void deleteRecursively(Path root) throws IOException {
        dev.fillmask.engine.model.FileTrees.deleteRecursively(root);
    }
}
