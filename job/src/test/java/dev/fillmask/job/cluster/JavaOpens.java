package dev.fillmask.job.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code --add-opens} Flink needs on Java 17, as the build writes them from the parent pom's
 * {@code fillmask.jvm.opens} into {@code job/target/jvm-opens.args} (the launcher passes the same file), for the JVMs
 * the tests start themselves; the test JVMs get the list in their argLine.
 */
public final class JavaOpens {
    private JavaOpens() {}

    /** The file: {@code fillmask.cluster.jvmOpens} (set by failsafe), else {@code target/jvm-opens.args}. */
    public static Path file() {
        return Path.of(System.getProperty("fillmask.cluster.jvmOpens", "target/jvm-opens.args")).toAbsolutePath();
    }

    /** The options of {@link #file()}, one per element. */
    public static List<String> fromBuild() {
        Path file = file();
        try {
            List<String> options = Arrays.stream(Files.readString(file, StandardCharsets.UTF_8).trim().split("\\s+"))
                    .filter(o -> !o.isEmpty()).toList();
            if (options.isEmpty() || !options.stream().allMatch(o -> o.startsWith("--add-opens="))) {
                throw new IllegalStateException(file + " is not a list of --add-opens: " + options);
            }
            return options;
        } catch (IOException e) {
            throw new UncheckedIOException("no " + file + " (written by the job module's generate-resources phase: "
                    + "run `mvn verify` first)", e);
        }
    }
}
