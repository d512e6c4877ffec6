package dev.fillmask.job.bench;

import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.testing.TinyMaskedLm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fill-mask bench --fusions} runs and prints a row per round and the medians, on the tiny model. */
class FusionTimingTest {
    @TempDir
    static Path dir;

    @Test
    void theTableHasARowPerRoundAndTheMedians() {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"), HeadForm.AT_MASKS);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new FusionTiming(model, 2, 1, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        List<String> rows = lines.stream().filter(l -> l.startsWith("| ") && !l.startsWith("| round")).toList();
        assertEquals(List.of("1", "2", "median"), rows.stream().map(r -> r.split(" \\| ")[0].substring(2)).toList());
        for (String row : rows) {
            String[] cells = row.split(" \\| ");
            assertTrue(Double.parseDouble(cells[1]) > 0 && Double.parseDouble(cells[2]) > 0, row);
        }
    }
}
