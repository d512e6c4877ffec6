package dev.fillmask.job.bench;

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

/**
 * {@code ./fill-mask bench --slots-memory} runs its measuring JVMs and prints a row per way of holding the weights,
 * with a figure per slot count, on the tiny model (seconds). Figures are not asserted: a benchmark measures.
 */
class SlotsMemoryTest {
    @TempDir
    Path dir;

    @Test
    void theTableHasARowPerWayAndAFigurePerSlotCount() throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new SlotsMemory(model, List.of(2, 1), 1, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("| weights | prepacking | 1 slot | 2 slots | each added slot | added slot / weights "
                + "| engine req/s (batch 16) |",
                lines.get(0));
        List<String> rows = lines.stream().filter(l -> l.startsWith("| ") && !l.startsWith("| weights")).toList();
        assertEquals(SlotsMemory.WAYS.stream().map(SlotsMemory.Way::label).toList(),
                rows.stream().map(r -> r.split(" \\| ")[0].substring(2)).toList());
        for (String row : rows) {
            assertTrue(row.matches("\\| [^|]+ \\| (on|off) \\| [+-][\\d,]+ MB \\| [+-][\\d,]+ MB \\| [+-][\\d,]+ MB \\| "
                    + "-?\\d+ % \\| [\\d.]+ \\|"), row);
        }
        assertTrue(lines.get(lines.size() - 1).startsWith("summary: RSS growth"), lines.get(lines.size() - 1));
    }
}
