package dev.fillmask.job.bench;

import dev.fillmask.engine.importer.ModelCatalog;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What opening and running one engine added to this process's resident memory (Linux: VmRSS in /proc/self/status),
 * beside the size of the model's weights: the figure a TaskManager slot pays for its session. Taken before the
 * engine opens and after it has run the benchmark, so ONNX Runtime's arena is included.
 */
final class SessionMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    private final long rssBefore;

    private SessionMemory(long rssBefore) {
        this.rssBefore = rssBefore;
    }

    static SessionMemory before() {
        return new SessionMemory(residentBytes());
    }

    /** "weights 711 MB, RSS +745 MB"; the RSS part is left out where /proc is not there. */
    String describe(Path model) {
        long now = residentBytes();
        String weights = String.format(Locale.ROOT, "weights %,d MB", Math.round(ModelCatalog.weightBytes(model) / 1e6));
        return now < 0 || rssBefore < 0 ? weights
                : weights + String.format(Locale.ROOT, ", RSS %+,d MB", Math.round((now - rssBefore) / 1e6));
    }

    /** VmRSS in bytes, or -1 where it cannot be read. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: the figure is left out
        }
        return -1;
    }
}
