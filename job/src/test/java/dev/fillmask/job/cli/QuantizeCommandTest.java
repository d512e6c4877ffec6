package dev.fillmask.job.cli;

import dev.fillmask.job.bench.BenchCorpus;
import dev.fillmask.engine.testing.TinyMaskedLm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fill-mask quantize} in-process, on the tiny model: the int8 folder is written and the report printed. */
class QuantizeCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesTheInt8FolderAndPrintsTheReport() throws IOException {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        Path corpus = Files.writeString(dir.resolve("corpus.jsonl"), """
                {"inputs": "the cat sat on the <mask>."}
                {"inputs": "the <mask> worked as a <mask> in paris."}
                {"inputs": "she is a <mask>."}
                """);
        Path out = dir.resolve("int8");

        CliRun run = CliRun.of("quantize", "--model", model.toString(), "--out", out.toString(), "--corpus", corpus.toString(),
                "--threads", "1", "--batch-size", "2");

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(Files.isRegularFile(out.resolve("model.onnx")));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(run.err().contains("MatMuls to int8"), run.err());
        assertTrue(run.out().contains("on 3 requests (4 masks)"), run.out());
        assertTrue(run.out().contains("top-1 agreement"), run.out());
        assertTrue(run.out().contains("top-5 overlap"), run.out());
        assertTrue(run.out().contains("max |score diff|"), run.out());
    }

    @Test
    void theFusedStaticFormIsWrittenAndBothShippedCorporaAreReported() throws IOException {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        Path out = dir.resolve("int8");

        CliRun run = CliRun.of("quantize", "--model", model.toString(), "--out", out.toString(), "--graph", "fused",
                "--activations", "static", "--threads", "1");

        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("fused graph, static activation scales"), run.err());
        assertTrue(run.out().contains("the bench corpus:"), run.out());
        assertTrue(run.out().contains("the held-out corpus:"), run.out());
        assertEquals(2, CliRun.of("quantize", "--model", model.toString(), "--out", out.toString(), "--graph", "both")
                .exitCode());
    }

    @Test
    void theHeldOutCorpusIsAboutAHundredOtherRequestsNeverUsedForCalibration() throws IOException {
        var heldOut = BenchCorpus.heldOutSet();
        assertTrue(heldOut.size() >= 100, "requests: " + heldOut.size());
        Set<String> bench = new HashSet<>();
        BenchCorpus.shortSet().forEach(r -> bench.add(r.inputs()));
        String calibration;
        try (InputStream in = QuantizeCommandTest.class.getResourceAsStream(
                "/dev/fillmask/engine/quantize/calibration.txt")) {
            calibration = new String(in.readAllBytes(), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        }
        for (var r : heldOut) {
            int masks = r.inputs().split("\\[MASK]", -1).length - 1;
            assertTrue(masks >= 1 && masks <= 2, r.inputs());
            assertFalse(bench.contains(r.inputs()), "also in the bench corpus: " + r.inputs());
            // No sentence of it in the calibration texts (compared with the mask cut out).
            for (String part : r.inputs().toLowerCase(Locale.ROOT).split("\\[mask]")) {
                assertTrue(part.trim().length() < 25 || !calibration.contains(part.trim()),
                        "calibration text overlaps: " + r.inputs());
            }
        }
    }

    @Test
    void theOutputFolderIsRequired() {
        CliRun run = CliRun.of("quantize", "--model", dir.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--out"), run.err());
    }

    @Test
    void theShippedCorpusHasAboutAHundredRequestsWithOneOrTwoMasks() {
        var requests = BenchCorpus.shortSet();
        assertTrue(requests.size() >= 100, "requests: " + requests.size());
        for (var r : requests) {
            int masks = r.inputs().split("\\[MASK]", -1).length - 1;
            int words = r.inputs().split("\\s+").length;
            assertTrue(masks >= 1 && masks <= 2, r.inputs());
            assertTrue(words >= 5 && words <= 60, r.inputs());
        }
    }
}
