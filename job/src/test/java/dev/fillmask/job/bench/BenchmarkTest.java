package dev.fillmask.job.bench;

import dev.fillmask.engine.testing.TinyMaskedLm;
import dev.fillmask.job.local.ListenAddress;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./fill-mask bench} runs and prints its table, on the tiny model (seconds, not minutes): a row per raw-session
 * configuration, the grouped raw row the engine's ratio is taken against, the engine rows, another model's row with
 * its memory, and the summary. Figures
 * are not asserted: a benchmark measures, it does not pass or fail.
 */
class BenchmarkTest {
    @TempDir
    static Path dir;

    @Test
    void theTableHasEveryRowAndTheSummary() throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        Path other = TinyMaskedLm.write(dir.resolve("other-tiny"));
        new Benchmark(model, List.of(other), 1, 1, ListenAddress.loopback(),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(progress, true, StandardCharsets.UTF_8)).run(false);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> rows = lines.stream().filter(l -> l.startsWith("| ") && !l.startsWith("| what")).toList();
        assertEquals(List.of(
                        Benchmark.RAW + " | short | 1", Benchmark.RAW + " | short | 4", Benchmark.RAW + " | short | 16",
                        Benchmark.RAW_GROUPED + " | short | 16", Benchmark.RAW + " | long | 4",
                        Benchmark.ENGINE + " | short | 1", Benchmark.ENGINE + " | short | 16",
                        Benchmark.ENGINE + " | long | 4", Benchmark.OTHER_MODEL + "other-tiny | short | 16"),
                rows.stream().map(r -> r.substring(2, nthIndexOf(r, " | ", 3))).toList());
        for (String row : rows) {
            double rate = Double.parseDouble(row.split(" \\| ")[3]);
            assertTrue(rate > 0, "a positive rate: " + row);
        }
        String otherRow = rows.get(rows.size() - 1);
        assertTrue(otherRow.matches(".* \\| weights [\\d,]+ MB, RSS [+-][\\d,]+ MB \\|$"), otherRow);
        assertTrue(lines.get(lines.size() - 1).startsWith("summary: engine/raw "), lines.get(lines.size() - 1));
    }

    private static int nthIndexOf(String s, String part, int n) {
        int at = -1;
        for (int i = 0; i < n; i++) {
            at = s.indexOf(part, at + 1);
        }
        return at;
    }
}
