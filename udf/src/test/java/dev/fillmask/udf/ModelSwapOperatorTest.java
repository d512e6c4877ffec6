package dev.fillmask.udf;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.model.ModelVersion;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.testing.TinyMaskedLm;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.TwoInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operator's model swap in Flink's two-input test harness, on two tiny models whose files differ (A's LM head at
 * every position, B's at the masks only): requests are answered by A while B loads, a batch's answers all come from
 * one model, a failed load keeps A and says why, a bad control record is refused, and a restored operator serves the
 * model of its checkpoint, also one that was still loading then.
 */
class ModelSwapOperatorTest {
    @TempDir
    static Path dir;
    private static Path modelA;
    private static Path modelB;
    private static String versionA;
    private static String versionB;
    /** Holds B's load in the resolver until a test opens it, so that a test can look at the subtask meanwhile. */
    private static volatile CountDownLatch loadGate = new CountDownLatch(0);

    @BeforeAll
    static void writeModels() {
        modelA = TinyMaskedLm.write(dir.resolve("tiny-a"), HeadForm.FULL);
        modelB = TinyMaskedLm.write(dir.resolve("tiny-b"), HeadForm.AT_MASKS);
        // the expected versions come from the engine's own hash of the files, not from the operator
        versionA = ModelVersion.of(modelA);
        versionB = ModelVersion.of(modelB);
        assertNotEquals(versionA, versionB, "two models with different files");
    }

    /** Each answer is "line => model name version", so a test sees which model answered which record. */
    static final class ModelLines implements FillMaskRecords<String, String> {
        private transient FillMaskCodec codec;

        @Override
        public DecodedRequest decode(String record) {
            if (codec == null) {
                codec = new FillMaskCodec();
            }
            return codec.readRequest(record);
        }

        @Override
        public String answered(String record, FillMaskAnswer answer) {
            throw new AssertionError("the operator names the model of every answer");
        }

        @Override
        public String answered(String record, FillMaskAnswer answer, ServingModel model) {
            if (answer.isError()) {
                throw new AssertionError("request " + record + " got " + answer);
            }
            return record + " => " + model.name() + " " + model.version();
        }
    }

    private static ModelResolver gatedFolders() {
        return model -> {
            loadGate.await();
            return ModelResolver.FOLDERS.resolve(model);
        };
    }

    private static TwoInputStreamOperatorTestHarness<String, ModelChange, String> harness(int batchSize)
            throws Exception {
        FillMaskOperator<String, String> operator = new FillMaskOperator<>(modelA,
                EngineOptions.defaults().withIntraOpThreads(1), new BatchPolicy(batchSize, Duration.ofHours(1)),
                new ModelLines(), PoisonPills.DEAD_LETTER, gatedFolders());
        return new TwoInputStreamOperatorTestHarness<>(operator);
    }

    private static FillMaskOperator<String, String> operatorOf(
            TwoInputStreamOperatorTestHarness<String, ModelChange, String> h) {
        @SuppressWarnings("unchecked")
        FillMaskOperator<String, String> operator = (FillMaskOperator<String, String>) h.getOperator();
        return operator;
    }

    private static String request(int i) {
        return "{\"inputs\": \"the cat number " + i + " sat on the <mask>.\"}";
    }

    private static void send(TwoInputStreamOperatorTestHarness<String, ModelChange, String> h, int from, int to)
            throws Exception {
        for (int i = from; i < to; i++) {
            h.processElement1(request(i), i);
        }
    }

    /** The model (name and version) of each answer, in output order. */
    private static List<String> modelsOf(List<String> answers) {
        return answers.stream().map(a -> a.substring(a.indexOf(" => ") + 4)).toList();
    }

    private static List<ModelStatus> statuses(TwoInputStreamOperatorTestHarness<String, ModelChange, String> h) {
        List<ModelStatus> statuses = new ArrayList<>();
        var side = h.getSideOutput(FillMaskStream.MODEL_STATUS);
        if (side != null) {
            for (StreamRecord<ModelStatus> record : side) {
                statuses.add(record.getValue());
            }
        }
        return statuses;
    }

    private static String a() {
        return "tiny-a " + versionA;
    }

    private static String b() {
        return "tiny-b " + versionB;
    }

    @Test
    void requestsAreAnsweredByTheOldModelWhileTheNewOneLoadsAndEachBatchByOneModel() throws Exception {
        loadGate = new CountDownLatch(1);
        try (var h = harness(4)) {
            h.open();
            send(h, 0, 2);
            h.processElement2(ModelChange.of("change-1", modelB.toString(), null), 0);
            send(h, 2, 8); // B cannot load yet: two batches of four run on A
            assertEquals(List.of(a(), a(), a(), a(), a(), a(), a(), a()), modelsOf(h.extractOutputValues()));
            assertEquals(List.of(), statuses(h), "nothing to report while B loads");

            send(h, 8, 10); // half a batch waits ...
            loadGate.countDown();
            operatorOf(h).awaitLoad();
            send(h, 10, 12); // ... and runs on B when it is full: B took over between two batches
            h.processElement1(request(12), 12);
            h.prepareSnapshotPreBarrier(1);
            List<String> models = modelsOf(h.extractOutputValues());
            assertEquals(13, models.size(), "one answer per request");
            assertEquals(List.of(b(), b(), b(), b(), b()), models.subList(8, 13));

            List<ModelStatus> statuses = statuses(h);
            assertEquals(1, statuses.size(), "one status for the one subtask");
            ModelStatus status = statuses.get(0);
            assertEquals(ModelStatus.Outcome.SWAPPED, status.outcome());
            assertEquals("change-1", status.id());
            assertEquals(0, status.subtask());
            assertEquals(1, status.subtasks());
            assertEquals(modelB.toString(), status.model());
            assertEquals(versionB, status.version());
            assertEquals(new ServingModel("tiny-b", versionB), status.serving());
            assertNull(status.error());
            assertEquals(ModelVersion.shortNumber(versionB), operatorOf(h).metrics().modelVersion());
            assertEquals(1, operatorOf(h).metrics().modelSwaps.getCount());
        } finally {
            loadGate.countDown();
        }
    }

    @Test
    void aSwapCompletesWithoutRequestsWhenItsPollTimerFires() throws Exception {
        try (var h = harness(4)) {
            h.open();
            h.setProcessingTime(1_000);
            h.processElement2(ModelChange.of("idle", modelB.toString(), versionB.substring(0, 8)), 0);
            operatorOf(h).awaitLoad();
            assertEquals(List.of(), statuses(h), "not swapped before the task thread looks");
            h.setProcessingTime(2_000);
            assertEquals(ModelStatus.Outcome.SWAPPED, statuses(h).get(0).outcome());
            send(h, 0, 4);
            assertEquals(List.of(b(), b(), b(), b()), modelsOf(h.extractOutputValues()));
        }
    }

    @Test
    void aLoadThatFailsKeepsTheOldModelAndSaysWhy() throws Exception {
        Path damaged = TinyMaskedLm.write(dir.resolve("tiny-damaged"));
        truncate(damaged.resolve("model.onnx"));
        Path missing = dir.resolve("no-such-model");
        List<ModelChange> changes = List.of(
                ModelChange.of("missing", missing.toString(), null),
                ModelChange.of("damaged", damaged.toString(), null),
                ModelChange.of("other-version", modelB.toString(), "0123456789abcdef"),
                ModelChange.fromJson("not-json", "swap to b please".getBytes(StandardCharsets.UTF_8)),
                ModelChange.fromJson("no-model", "{\"version\": \"0123456789abcdef\"}".getBytes(StandardCharsets.UTF_8)));
        try (var h = harness(2)) {
            h.open();
            for (ModelChange change : changes) {
                h.processElement2(change, 0);
                operatorOf(h).awaitLoad();
                send(h, 0, 2);
            }
            assertEquals(List.of(a(), a(), a(), a(), a(), a(), a(), a(), a(), a()), modelsOf(h.extractOutputValues()),
                    "A serves throughout");
            List<ModelStatus> statuses = statuses(h);
            assertEquals(List.of("missing", "damaged", "other-version", "not-json", "no-model"),
                    statuses.stream().map(ModelStatus::id).toList());
            assertEquals(List.of(ModelStatus.Outcome.FAILED, ModelStatus.Outcome.FAILED, ModelStatus.Outcome.FAILED,
                    ModelStatus.Outcome.REJECTED, ModelStatus.Outcome.REJECTED),
                    statuses.stream().map(ModelStatus::outcome).toList());
            assertTrue(statuses.get(0).error().contains("does not exist"), statuses.get(0).error());
            assertTrue(statuses.get(1).error().contains("model.onnx"), statuses.get(1).error());
            assertTrue(statuses.get(2).error().contains("has version " + versionB), statuses.get(2).error());
            assertTrue(statuses.get(3).error().contains("not JSON"), statuses.get(3).error());
            assertTrue(statuses.get(4).error().contains("no \"model\""), statuses.get(4).error());
            for (ModelStatus status : statuses) {
                assertEquals(new ServingModel("tiny-a", versionA), status.serving(), "A still serves");
            }
            assertEquals(3, operatorOf(h).metrics().modelSwapFailures.getCount());
            assertEquals(0, operatorOf(h).metrics().modelSwaps.getCount());
            assertEquals(ModelVersion.shortNumber(versionA), operatorOf(h).metrics().modelVersion());
        }
    }

    @Test
    void aRestoredOperatorServesTheModelOfItsCheckpointAndFinishesASwapThatWasLoading() throws Exception {
        OperatorSubtaskState swapped;
        try (var h = harness(2)) {
            h.open();
            h.processElement2(ModelChange.of("to-b", modelB.toString(), null), 0);
            operatorOf(h).awaitLoad();
            send(h, 0, 2);
            assertEquals(List.of(b(), b()), modelsOf(h.extractOutputValues()));
            h.prepareSnapshotPreBarrier(1);
            swapped = h.snapshot(1, 1);
        }
        OperatorSubtaskState loading;
        try (var restored = harness(2)) {
            restored.initializeState(swapped);
            restored.open();
            send(restored, 0, 2);
            assertEquals(List.of(b(), b()), modelsOf(restored.extractOutputValues()), "B, as at the checkpoint");
            assertEquals(List.of(), statuses(restored), "a restore is no swap");

            loadGate = new CountDownLatch(1);
            restored.processElement2(ModelChange.of("back-to-a", modelA.toString(), null), 0);
            restored.prepareSnapshotPreBarrier(2);
            loading = restored.snapshot(2, 2); // taken while A loads: the change is not done
            loadGate.countDown();
        }
        try (var again = harness(2)) {
            again.initializeState(loading);
            again.open();
            send(again, 0, 2);
            assertEquals(List.of(b(), b()), modelsOf(again.extractOutputValues()), "B serves while A loads again");
            operatorOf(again).awaitLoad();
            send(again, 2, 4);
            assertEquals(List.of(b(), b(), a(), a()), modelsOf(again.extractOutputValues()));
            assertEquals(List.of("back-to-a"), statuses(again).stream().map(ModelStatus::id).toList());
        } finally {
            loadGate.countDown();
        }
    }

    @Test
    void aCheckpointedModelThatIsGoneFallsBackToTheStartUpModelAndSaysSo() throws Exception {
        Path copy = TinyMaskedLm.write(dir.resolve("tiny-deleted-later"), HeadForm.AT_MASKS);
        OperatorSubtaskState state;
        try (var h = harness(2)) {
            h.open();
            h.processElement2(ModelChange.of("to-copy", copy.toString(), null), 0);
            operatorOf(h).awaitLoad();
            h.prepareSnapshotPreBarrier(1);
            state = h.snapshot(1, 1);
        }
        try (var files = Files.list(copy)) {
            for (Path file : files.toList()) {
                Files.delete(file);
            }
        }
        Files.delete(copy);
        try (var restored = harness(2)) {
            restored.initializeState(state);
            restored.open();
            send(restored, 0, 2);
            assertEquals(List.of(a(), a()), modelsOf(restored.extractOutputValues()));
            ModelStatus status = statuses(restored).get(0);
            assertEquals(ModelStatus.Outcome.FAILED, status.outcome());
            assertTrue(status.error().contains("restored from a checkpoint that served " + copy), status.error());
        }
    }

    private static void truncate(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 3));
    }
}
