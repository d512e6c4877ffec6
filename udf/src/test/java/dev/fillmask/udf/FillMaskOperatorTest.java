package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.model.ModelVersion;
import dev.fillmask.engine.testing.TinyMaskedLm;

import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.testutils.MetricListener;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator in Flink's test harness, on the tiny model: when batches run (size, delay, checkpoint barrier, end of
 * input, watermark), that answers keep arrival order, malformed requests included, and that a restored operator
 * neither loses nor repeats a record.
 */
class FillMaskOperatorTest {
    @TempDir
    static Path dir;
    private static Path model;

    @BeforeAll
    static void writeModel() {
        model = TinyMaskedLm.write(dir.resolve("tiny"));
    }

    /** Records are request lines; each answer is "line => answer JSON", so tests can see which is which. */
    static final class Lines implements FillMaskRecords<String, String> {
        private transient FillMaskCodec codec;

        private FillMaskCodec codec() {
            return codec != null ? codec : (codec = new FillMaskCodec());
        }

        @Override
        public DecodedRequest decode(String record) {
            return codec().readRequest(record);
        }

        @Override
        public String answered(String record, FillMaskAnswer answer) {
            return record + " => " + codec().writeAnswerAsString(answer);
        }
    }

    private static OneInputStreamOperatorTestHarness<String, String> harness(int batchSize, Duration delay)
            throws Exception {
        FillMaskOperator<String, String> operator = new FillMaskOperator<>(model,
                EngineOptions.defaults().withIntraOpThreads(1), new BatchPolicy(batchSize, delay), new Lines());
        return new OneInputStreamOperatorTestHarness<>(operator);
    }

    private static String request(int i) {
        return "{\"inputs\": \"the cat number " + i + " sat on the <mask>.\", \"parameters\": {\"top_k\": 2}}";
    }

    private static List<String> inputsOf(List<String> outputs) {
        return outputs.stream().map(o -> o.substring(0, o.indexOf(" => "))).toList();
    }

    @Test
    void openReportsTheModelVersionAndLoadTimeInTheFillMaskMetricGroup() throws Exception {
        FillMaskOperator<String, String> operator = new FillMaskOperator<>(model,
                EngineOptions.defaults().withIntraOpThreads(1), new BatchPolicy(4, Duration.ofHours(1)), new Lines());
        try (var h = new OneInputStreamOperatorTestHarness<>(operator)) {
            h.open();
            assertEquals(ModelVersion.shortNumber(ModelVersion.of(model)), operator.metrics().modelVersion());
            assertTrue(operator.metrics().modelLoadMillis() >= 0, "set once the model is open");
        }

        // the names the dashboard queries, in the fillMask group, as numbers (Prometheus takes nothing else)
        MetricListener listener = new MetricListener();
        FillMaskMetrics metrics = new FillMaskMetrics(listener.getMetricGroup(), () -> 3);
        Gauge<Long> version = listener.<Long>getGauge(FillMaskMetrics.GROUP, "modelVersion").orElseThrow();
        Gauge<Long> loadMs = listener.<Long>getGauge(FillMaskMetrics.GROUP, "modelLoadMs").orElseThrow();
        assertEquals(-1L, version.getValue(), "no model yet");
        metrics.modelLoaded("00c0ffee" + "0".repeat(56), 1234);
        assertEquals(0x00c0ffeeL, version.getValue());
        assertEquals(1234L, loadMs.getValue());
        assertEquals(3, listener.<Integer>getGauge(FillMaskMetrics.GROUP, "recordsWaiting").orElseThrow().getValue());
        for (String counter : List.of("requests", "answers", "errors", "poisonPills")) {
            assertTrue(listener.getCounter(FillMaskMetrics.GROUP, counter).isPresent(), counter);
        }
        for (String histogram : List.of("batchSize", "inferenceLatencyMs")) {
            assertTrue(listener.getHistogram(FillMaskMetrics.GROUP, histogram).isPresent(), histogram);
        }
    }

    @Test
    void aFullBatchRunsAtOnce() throws Exception {
        try (var h = harness(3, Duration.ofHours(1))) {
            h.open();
            h.processElement(request(1), 1);
            h.processElement(request(2), 2);
            assertEquals(List.of(), h.extractOutputValues(), "two of three: the batch waits");
            h.processElement(request(3), 3);
            assertEquals(List.of(request(1), request(2), request(3)), inputsOf(h.extractOutputValues()));
            List<Long> timestamps = h.getOutput().stream()
                    .map(e -> ((StreamRecord<?>) e).getTimestamp()).toList();
            assertEquals(List.of(1L, 2L, 3L), timestamps, "each answer keeps its request's timestamp");
        }
    }

    @Test
    void aBatchRunsWhenItsOldestRecordHasWaitedTheDelay() throws Exception {
        try (var h = harness(100, Duration.ofMillis(50))) {
            h.open();
            h.setProcessingTime(1_000);
            h.processElement(request(1), 1);
            h.setProcessingTime(1_030);
            h.processElement(request(2), 2);
            h.setProcessingTime(1_049);
            assertEquals(List.of(), h.extractOutputValues());
            h.setProcessingTime(1_050);
            assertEquals(List.of(request(1), request(2)), inputsOf(h.extractOutputValues()));

            // A later record starts a new deadline of its own.
            h.setProcessingTime(2_000);
            h.processElement(request(3), 3);
            h.setProcessingTime(2_049);
            assertEquals(2, h.extractOutputValues().size());
            h.setProcessingTime(2_050);
            assertEquals(List.of(request(1), request(2), request(3)), inputsOf(h.extractOutputValues()));
        }
    }

    @Test
    void everyWaitingRecordIsAnsweredBeforeTheCheckpointBarrierAndNothingAfterARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = harness(100, Duration.ofHours(1))) {
            h.open();
            h.processElement(request(1), 1);
            h.processElement(request(2), 2);
            h.prepareSnapshotPreBarrier(7);
            assertEquals(List.of(request(1), request(2)), inputsOf(h.extractOutputValues()),
                    "nothing may wait outside checkpointed state when the barrier passes");
            snapshot = h.snapshot(7, 10);
        }
        try (var restored = harness(2, Duration.ofHours(1))) {
            restored.initializeState(snapshot);
            restored.open();
            assertEquals(List.of(), restored.extractOutputValues(), "a restore replays nothing by itself");
            restored.processElement(request(3), 3);
            restored.processElement(request(4), 4);
            assertEquals(List.of(request(3), request(4)), inputsOf(restored.extractOutputValues()));
        }
    }

    @Test
    void theEndOfInputRunsWhatWaits() throws Exception {
        try (var h = harness(100, Duration.ofHours(1))) {
            h.open();
            h.processElement(request(1), 1);
            h.getOperator().finish();
            assertEquals(List.of(request(1)), inputsOf(h.extractOutputValues()));
        }
    }

    @Test
    void aWatermarkDoesNotOvertakeWaitingRecords() throws Exception {
        try (var h = harness(100, Duration.ofHours(1))) {
            h.open();
            h.processElement(request(1), 1);
            h.processWatermark(new Watermark(5));
            List<Object> output = new ArrayList<>(h.getOutput());
            assertEquals(2, output.size());
            assertInstanceOf(StreamRecord.class, output.get(0));
            assertEquals(new Watermark(5), output.get(1));
        }
    }

    @Test
    void answersKeepArrivalOrderWithMalformedRequestsInTheirPlace() throws Exception {
        List<String> in = List.of(request(1), "not json", request(2), "{\"inputs\": 42}",
                "{\"inputs\": \"no mask here\"}", request(3), "");
        try (var h = harness(4, Duration.ofHours(1))) {
            h.open();
            long t = 0;
            for (String line : in) {
                h.processElement(line, t++);
            }
            h.prepareSnapshotPreBarrier(1);
            List<String> out = h.extractOutputValues();
            assertEquals(in, inputsOf(out), "one answer per record, in arrival order");
            FillMaskCodec codec = new FillMaskCodec();
            boolean[] error = {false, true, false, true, true, false, true};
            for (int i = 0; i < in.size(); i++) {
                FillMaskAnswer answer = codec.readAnswer(out.get(i).substring(out.get(i).indexOf(" => ") + 4));
                assertEquals(error[i], answer.isError(), "record " + i + ": " + out.get(i));
            }
            assertTrue(out.get(4).contains("No mask_token (<mask>) found on the input"), out.get(4));
        }
    }

    @Test
    void aRequestThatFailsTheModelGetsAnErrorAndTheOthersTheirAnswers() throws Exception {
        Path faulty = TinyMaskedLm.writeWithTooFewPositions(dir.resolve("too-few-positions"));
        String poison = "{\"inputs\": \"" + "the cat sat on the mat and ".repeat(20) + "<mask>.\"}";
        List<String> in = List.of(request(1), poison, request(2), request(3));
        FillMaskOperator<String, String> operator = new FillMaskOperator<>(faulty,
                EngineOptions.defaults().withIntraOpThreads(1), new BatchPolicy(4, Duration.ofHours(1)),
                new Lines());
        List<String> expected;
        try (var healthy = harness(4, Duration.ofHours(1))) {
            healthy.open();
            for (String line : List.of(request(1), request(2), request(3))) {
                healthy.processElement(line, 0);
            }
            healthy.prepareSnapshotPreBarrier(1);
            expected = healthy.extractOutputValues();
        }
        try (var h = new OneInputStreamOperatorTestHarness<>(operator)) {
            h.open();
            for (String line : in) {
                h.processElement(line, 0);
            }
            List<String> out = h.extractOutputValues();
            assertEquals(in, inputsOf(out), "one answer per record, in arrival order, and no exception");
            assertTrue(out.get(1).contains("the model failed on this request"), out.get(1));
            assertEquals(expected, List.of(out.get(0), out.get(2), out.get(3)),
                    "the others get the answers they get without the bad request beside them");
            System.out.println("| engine fault (FillMaskOperatorTest) | ONNX Runtime fails every run holding one of "
                    + in.size() + " requests | that request: " + out.get(1).substring(out.get(1).indexOf(" => ") + 4)
                    + "; the other " + (in.size() - 1) + " answered as without it; no exception |");
        }
    }

    @Test
    void aSlotThatCannotHaveItsProviderFailsWithoutRestartsSayingWhy() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(ai.onnxruntime.OrtEnvironment.getAvailableProviders()
                .contains(ai.onnxruntime.OrtProvider.CUDA), "about machines without CUDA");
        FillMaskOperator<String, String> operator = new FillMaskOperator<>(model, EngineOptions.defaults()
                .withIntraOpThreads(1).withProvider(dev.fillmask.engine.ExecutionProvider.CUDA, EngineOptions.AUTO_DEVICE, false),
                new BatchPolicy(4, Duration.ofHours(1)), new Lines());
        try (var h = new OneInputStreamOperatorTestHarness<>(operator)) {
            EngineUnavailableException e = org.junit.jupiter.api.Assertions.assertThrows(
                    EngineUnavailableException.class, h::open);
            assertTrue(e.getMessage().contains("CUDA was asked for"), e.getMessage());
            assertEquals(org.apache.flink.runtime.throwable.ThrowableType.NonRecoverableError,
                    org.apache.flink.runtime.throwable.ThrowableClassifier.getThrowableType(e));
        }
    }
}
