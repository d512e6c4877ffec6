package dev.fillmask.job.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * A small Markdown results file under {@code job/target/reliability/}, written by a reliability run from its own
 * measurements, and echoed to stdout. Written also when the run fails (with the failure), so a red run leaves its
 * numbers behind.
 */
public final class ResultsFile {
    public static final Path DIR = Path.of("target", "reliability").toAbsolutePath();

    private final Path file;
    private final StringBuilder text = new StringBuilder();

    public ResultsFile(String name, String title) {
        this.file = DIR.resolve(name + ".md");
        text.append("# ").append(title).append("\n\n")
                .append("Run ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
                .append(" on ").append(Runtime.getRuntime().availableProcessors()).append(" cores, Java ")
                .append(System.getProperty("java.version")).append(".\n\n");
    }

    public ResultsFile line(String line) {
        text.append(line).append('\n');
        return this;
    }

    public ResultsFile paragraph(String paragraph) {
        text.append(paragraph).append("\n\n");
        return this;
    }

    public ResultsFile heading(String heading) {
        text.append("## ").append(heading).append("\n\n");
        return this;
    }

    /** A Markdown table. */
    public ResultsFile table(List<String> header, List<List<String>> rows) {
        text.append("| ").append(String.join(" | ", header)).append(" |\n|");
        header.forEach(h -> text.append("---|"));
        text.append('\n');
        for (List<String> row : rows) {
            text.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        text.append('\n');
        return this;
    }

    public Path file() {
        return file;
    }

    /** Writes the file and prints it. */
    public Path write() {
        try {
            Files.createDirectories(DIR);
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
        System.out.println("---- " + file + " ----\n" + text);
        return file;
    }

    public static String seconds(long millis) {
        return millis < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    public static String mib(long bytes) {
        return bytes < 0 ? "n/a" : String.format(Locale.ROOT, "%d MiB", bytes >> 20);
    }
}
