package dev.fillmask.engine.quantize;

import dev.fillmask.schemas.FillMaskRequest;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.testing.SharedDefaultModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import ai.onnx.proto.OnnxMl.ModelProto;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.model.ModelFolder;
import dev.fillmask.engine.onnx.OnnxModelFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8 copy of the real default model (the default options: per-row activation scales, outlier channels and the
 * last layer in float32) agrees with fp32 on the best token of 24 of these 25 masks (one near-tie, 'football' 0.099
 * vs 'golf' 0.092, flips) and on 115/115 of the bench corpus ({@code ./fill-mask bench --heads-and-int8}). The older
 * per-tensor mode gets 23/25 and top-5 overlap 0.952 here (0.965 on the corpus), so both thresholds catch a fall back
 * to it.
 *
 * <p>The CPU matters. ONNX Runtime's u8×s8 MatMul on x86 CPUs without VNNI (AVX2 only) multiplies with
 * {@code vpmaddubsw}, which adds pairs of products into 16 bits and saturates with full-range 8-bit weights; VNNI
 * (AVX-512 VNNI, AVX-VNNI, AMX) sums into 32 bits. On such a CPU (the project's AMD EPYC, AVX2) the default 8-bit
 * weights gave 21/25, top-5 overlap 0.888 and a flip over a clear gap ('windows' 0.429 → 'glass', fp32's 'glass'
 * 0.243): a real loss, not noise, which no margin could accept without also accepting the per-tensor mode. The
 * project's remedy for those CPUs is 7-bit weights ({@link Int8Options#reduceRange()}, {@code quantize
 * --reduce-range}), which cannot saturate (2 × 255 × 63 < 32767); so on them the test quantizes that way, and got
 * 25/25 and 0.968.
 *
 * <p>The top-5 threshold is 0.96 (at most 5 of the 125 top-five places lost), not tighter, because the places lost
 * are swaps of near-ties at the 5th/6th boundary: in fp32 the 5th and 6th candidates are within 0.005 of each other
 * on 19 of the 25 masks, and which of those swap depends on the kernel's rounding, not on the quantizer's quality.
 * It stays above the per-tensor mode's 0.952.
 */
class DefaultModelInt8Test {
    @TempDir
    Path dir;

    private static final List<String> SENTENCES = List.of(
            "Paris is the [MASK] of France.",
            "The man worked as a [MASK].",
            "Hello I'm a [MASK] model.",
            "She poured a cup of [MASK] and sat down to read the newspaper.",
            "The children played in the [MASK] until it got dark.",
            "He forgot his [MASK] at home, so he could not unlock the door.",
            "The [MASK] barked at the mailman every morning.",
            "We took the [MASK] to the airport because our car had broken down.",
            "The doctor told him to drink more [MASK] and get some rest.",
            "Water boils at one hundred degrees [MASK] at sea level.",
            "The [MASK] sat on the [MASK].",
            "My favourite season is [MASK], because the leaves turn red and gold.",
            "The nurse gave the patient a glass of [MASK].",
            "She parked her [MASK] in the garage and went inside.",
            "The students listened carefully while the professor explained the [MASK].",
            "We watched the sun set over the [MASK] from the top of the hill.",
            "The firefighters arrived quickly and put out the [MASK].",
            "He plays [MASK] every Saturday with his friends from work.",
            "The shop on the corner sells newspapers, sweets and [MASK].",
            "Berlin is the capital of [MASK].",
            "The meeting was postponed because the manager was [MASK].",
            "After the storm, the streets were covered with broken [MASK].",
            "She has been learning to play the [MASK] since she was six.",
            "The train arrived at the [MASK] ten minutes late.");

    /** The held-out corpus the bench ships (job module), read from the source tree: the engine cannot depend on it. */
    private static final Path HELD_OUT = Path.of("..", "job", "src", "main", "resources", "bench", "heldout.jsonl");

    /**
     * The fused form with 8-bit weights (uint8 on CPUs without VNNI, where int8 weights must be 7-bit) against the
     * form as imported with the defaults, both against fp32, on the bench's held-out corpus (prose the quantizer was
     * neither calibrated nor tuned on) and on the sentences above. No threshold here was chosen by looking at the
     * held-out results: the fused form must agree at least as often as the form as imported, and clear the 0.96 bar
     * the test above has always used; its graph must be the fused one.
     */
    @Test
    void theFusedFormWithEightBitWeightsAgreesAtLeastAsOftenOnTheHeldOutCorpus() throws IOException {
        Path fp32 = SharedDefaultModel.path();
        Int8Options imported = Int8Options.defaults().withFused(false);
        Int8Options fused = imported.withFused(true).withUnsignedWeights(CpuFeatures.x86WithoutVnni());
        Int8Quantizer.FolderResult oldForm = Int8Quantizer.quantizeFolder(fp32, dir.resolve("imported"), imported,
                System.out);
        Int8Quantizer.FolderResult newForm = Int8Quantizer.quantizeFolder(fp32, dir.resolve("fused"), fused,
                System.out);

        ModelProto model = OnnxModelFile.read(newForm.out().resolve(ModelFolder.MODEL_FILE));
        Map<String, Integer> ops = new TreeMap<>();
        model.getGraph().getNodeList().forEach(n -> ops.merge(n.getOpType(), 1, Integer::sum));
        assertEquals(12, ops.get("MultiHeadAttention"), ops::toString);
        assertEquals(24, ops.get("SkipLayerNormalization"), ops::toString);
        assertEquals(newForm.quantized(), ops.get("DynamicQuantizeMatMul"), ops::toString);
        assertEquals(null, ops.get("Softmax"), ops::toString);

        List<FillMaskRequest> heldOut = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(HELD_OUT)) {
            if (!line.isBlank()) {
                heldOut.add(FillMaskRequest.of(json.readTree(line).get("inputs").asText()));
            }
        }
        assertTrue(heldOut.size() >= 100, "the held-out corpus has " + heldOut.size() + " requests");
        List<FillMaskRequest> sentences = SENTENCES.stream().map(FillMaskRequest::of).toList();
        try (FillMaskEngine reference = FillMaskEngine.open(fp32, EngineOptions.defaults());
             FillMaskEngine before = FillMaskEngine.open(oldForm.out(), EngineOptions.defaults());
             FillMaskEngine after = FillMaskEngine.open(newForm.out(), EngineOptions.defaults())) {
            AccuracyReport oldHeldOut = AccuracyReport.compare(reference, before, heldOut, 16);
            AccuracyReport newHeldOut = AccuracyReport.compare(reference, after, heldOut, 16);
            AccuracyReport newSentences = AccuracyReport.compare(reference, after, sentences, 6);
            String reports = oldHeldOut.format("fp32", "int8 as imported, held-out")
                    + newHeldOut.format("fp32", "int8 fused, held-out")
                    + newSentences.format("fp32", "int8 fused, sentences");
            System.out.print(reports);
            assertTrue(newHeldOut.top1Agreement() >= oldHeldOut.top1Agreement(), reports);
            assertTrue(newHeldOut.top1Agreement() >= 0.96, reports);
            assertTrue(newSentences.top1Agreement() >= 0.96, reports);
        }
    }

    @Test
    void int8AgreesWithFp32OnTheBestToken() throws IOException {
        Path fp32 = SharedDefaultModel.path();
        Int8Options defaults = Int8Options.defaults();
        Int8Options options = CpuFeatures.x86WithoutVnni() ? defaults.withReduceRange(true) : defaults;
        System.out.println("weights: " + (options.reduceRange() ? "7-bit (x86 without VNNI)" : "8-bit"));
        Int8Quantizer.FolderResult result = Int8Quantizer.quantizeFolder(fp32, dir.resolve("int8"), options, System.out);
        System.out.println(result.describe());

        List<FillMaskRequest> corpus = SENTENCES.stream().map(FillMaskRequest::of).toList();
        try (FillMaskEngine reference = FillMaskEngine.open(fp32, EngineOptions.defaults());
             FillMaskEngine int8 = FillMaskEngine.open(result.out(), EngineOptions.defaults())) {
            AccuracyReport report = AccuracyReport.compare(reference, int8, corpus, 6);
            System.out.print(report.format("fp32", "int8"));
            assertTrue(report.top1Agreement() >= 0.96, () -> report.format("fp32", "int8"));
            assertTrue(report.top5Overlap() >= 0.96, () -> report.format("fp32", "int8"));
        }
    }
}
