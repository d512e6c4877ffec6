package dev.fillmask.job.cli;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.importer.BuiltInModel;
import dev.fillmask.engine.importer.DefaultModelCheckpoint;
import dev.fillmask.engine.importer.TinyCheckpoints;
import dev.fillmask.engine.testing.SharedBuiltInModels;
import dev.fillmask.job.bench.BenchCorpus;
import dev.fillmask.schemas.Candidate;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./fill-mask import} in-process: the default model's own weights, written as a Hugging Face checkpoint
 * (transformers' names, torch's layouts, two safetensors shards and an index), import to a model that answers the
 * bench corpus as the TF-imported default model does; and the command's usage and errors.
 */
class ImportCommandTest {
    private static final double SCORE_TOLERANCE = 1e-5;

    @TempDir
    Path dir;

    @Test
    void theDefaultModelFromTheHubLayoutAnswersAsTheTfImportOnTheBenchCorpus() throws IOException {
        Path defaultModel = SharedBuiltInModels.path(BuiltInModel.DEFAULT);
        Path hub = DefaultModelCheckpoint.write(dir.resolve("bert-base-uncased-hub"), defaultModel);
        assertTrue(Files.isRegularFile(hub.resolve("model-00002-of-00002.safetensors")));
        Path out = dir.resolve("imported");

        CliRun run = CliRun.of("import", hub.toString(), "--out", out.toString());

        assertEquals(0, run.exitCode(), run.err());
        System.out.print(run.err()); // the import's progress and time, for the record
        assertEquals(out.toAbsolutePath().toString(), run.out().strip());
        assertTrue(run.err().contains("BertForMaskedLM"), run.err());
        List<FillMaskRequest> corpus = BenchCorpus.shortSet();
        EngineOptions options = EngineOptions.defaults();
        List<FillMaskAnswer> expected;
        List<FillMaskAnswer> actual;
        try (FillMaskEngine tf = FillMaskEngine.open(defaultModel, options)) {
            expected = tf.predict(corpus);
        }
        try (FillMaskEngine hf = FillMaskEngine.open(out, options)) {
            actual = hf.predict(corpus);
        }
        double largest = 0;
        for (int i = 0; i < corpus.size(); i++) {
            List<List<Candidate>> e = rows(expected.get(i));
            List<List<Candidate>> a = rows(actual.get(i));
            assertEquals(e.size(), a.size(), corpus.get(i).inputs());
            for (int m = 0; m < e.size(); m++) {
                for (int k = 0; k < e.get(m).size(); k++) {
                    Candidate ec = e.get(m).get(k);
                    Candidate ac = a.get(m).get(k);
                    String where = corpus.get(i).inputs() + " mask " + m + " rank " + k;
                    assertEquals(ec.token(), ac.token(), where);
                    assertEquals(ec.tokenStr(), ac.tokenStr(), where);
                    assertEquals(ec.sequence(), ac.sequence(), where);
                    assertEquals(ec.score(), ac.score(), SCORE_TOLERANCE, where);
                    largest = Math.max(largest, Math.abs(ec.score() - ac.score()));
                }
            }
        }
        System.out.printf("hub-layout import vs TF import: %d requests, largest score difference %.2e%n",
                corpus.size(), largest);
    }

    private static List<List<Candidate>> rows(FillMaskAnswer answer) {
        if (answer instanceof FillMaskAnswer.SingleMask single) {
            return List.of(single.candidates());
        }
        return assertInstanceOf(FillMaskAnswer.MultiMask.class, answer, answer::toString).rows();
    }

    @Test
    void aTinyCheckpointImportsAndTheFolderIsPrinted() {
        Path hub = TinyCheckpoints.write(dir.resolve("hub"), TinyCheckpoints.Flavor.XLM_ROBERTA).dir();
        CliRun run = CliRun.of("import", hub.toString(), "--out", dir.resolve("xlmr").toString());
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(dir.resolve("xlmr").toAbsolutePath().toString(), run.out().strip());
        assertTrue(Files.isRegularFile(dir.resolve("xlmr").resolve("model.onnx")));
    }

    @Test
    void aBadCheckpointIsOneClearLineAndExitCode2() throws IOException {
        Path hub = TinyCheckpoints.write(dir.resolve("hub"), TinyCheckpoints.Flavor.BERT).dir();
        Files.writeString(hub.resolve("config.json"), "{\"architectures\": [\"T5ForConditionalGeneration\"]}");
        CliRun run = CliRun.of("import", hub.toString(), "--out", dir.resolve("t5").toString());
        assertEquals(2, run.exitCode());
        List<String> lines = run.err().lines().toList();
        assertEquals(1, lines.size(), run.err());
        assertTrue(lines.get(0).startsWith("fill-mask import: "), run.err());
        assertTrue(lines.get(0).contains("T5ForConditionalGeneration") && lines.get(0).contains("XLMRobertaForMaskedLM"),
                run.err());
        assertFalse(Files.exists(dir.resolve("t5")));
    }

    @Test
    void usage() {
        CliRun noOut = CliRun.of("import", dir.toString());
        assertEquals(2, noOut.exitCode());
        assertTrue(noOut.err().contains("--out DIR is required"), noOut.err());

        CliRun noDir = CliRun.of("import", "--out", dir.resolve("x").toString());
        assertEquals(2, noDir.exitCode());
        assertTrue(noDir.err().contains("name the checkpoint folder"), noDir.err());

        CliRun help = CliRun.of("import", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("usage: ./fill-mask import [options] DIR"), help.out());
        assertTrue(help.out().contains("--out DIR"), help.out());
    }
}
