package dev.fillmask.job.cli;

import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.engine.importer.TinyCheckpoints;
import dev.fillmask.engine.importer.huggingface.HuggingFaceImport;
import dev.fillmask.engine.importer.hub.CheckpointImporter;
import dev.fillmask.engine.model.ModelVersion;
import dev.fillmask.engine.testing.FakeHub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fill-mask model ORG/NAME}, in-process, against a fake hub on 127.0.0.1 (never the real one). */
class HubModelTest {
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final byte[] WEIGHTS = new byte[200_000];

    @TempDir
    Path home;

    private FakeHub hub;
    private final List<Path> imported = new ArrayList<>();

    private record Run(int exitCode, String out, String err) {}

    @BeforeEach
    void startHub() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", "{\"model_type\": \"xlm-roberta\"}".getBytes(StandardCharsets.UTF_8));
        files.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors", WEIGHTS);
        hub = new FakeHub().repo("test-org/tiny-xlmr", COMMIT, files);
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    /** Stands in for the checkpoint importer: the model folder gets the checkpoint's weights. */
    private final CheckpointImporter importer = (checkpoint, out, progress) -> {
        imported.add(checkpoint);
        Files.createDirectories(out);
        Files.copy(checkpoint.resolve("model.safetensors"), out.resolve("model.safetensors"));
        return out;
    };

    private Run model(Map<String, String> environment, String id, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HubModel.run(id, args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), environment, home, importer);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void downloadsImportsAndPrintsTheModelFolder() throws IOException {
        Run run = model(Map.of("HF_ENDPOINT", hub.endpoint()), "test-org/tiny-xlmr", "--revision", COMMIT);

        assertEquals(0, run.exitCode(), run.err());
        Path folder = home.resolve("models/test-org--tiny-xlmr@" + COMMIT).toAbsolutePath();
        assertEquals(folder + System.lineSeparator(), run.out());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(folder.resolve("model.safetensors")));
        assertEquals(List.of(home.resolve("downloads/test-org--tiny-xlmr/" + COMMIT).toAbsolutePath()), imported);
        assertTrue(run.err().contains("model.safetensors: 200.0 kB, SHA-256 checked"), run.err());
    }

    /**
     * The whole way with the real importer: a tiny XLM-R checkpoint served in the hub's layout, its weights redirected
     * to another host and cut half-way once, downloads, resumes, imports, and is then a model by its hub id, byte for
     * byte the model a direct import of the same checkpoint makes.
     */
    @Test
    void aCheckpointDownloadedThroughACutTransferImportsAsADirectImportDoes() throws IOException {
        TinyCheckpoints.Checkpoint checkpoint = TinyCheckpoints.write(home.resolve("source"), TinyCheckpoints.Flavor.XLM_ROBERTA);
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (var listing = Files.list(checkpoint.dir())) {
            for (Path file : listing.sorted().toList()) {
                files.put(file.getFileName().toString(), Files.readAllBytes(file));
            }
        }
        hub.repo("test-org/tiny-real", COMMIT, files);
        hub.redirect(FakeHub.Redirect.OTHER_ORIGIN);
        hub.cutOnce(files.get("model.safetensors"));

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = HubModel.run("test-org/tiny-real", new String[0], new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of("HF_ENDPOINT", hub.endpoint()), home,
                HubModel.IMPORTER);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(hub.requests().stream().anyMatch(r -> r.range() != null), "the cut transfer resumed with a Range");

        Path byId = ModelCatalog.resolve("test-org/tiny-real", home, new PrintStream(new ByteArrayOutputStream()));
        Path direct = HuggingFaceImport.importCheckpoint(checkpoint.dir(), home.resolve("direct"),
                new PrintStream(new ByteArrayOutputStream()));
        assertArrayEquals(Files.readAllBytes(direct.resolve("model.onnx")), Files.readAllBytes(byId.resolve("model.onnx")));
        assertEquals(ModelVersion.of(direct), ModelVersion.of(byId));
    }

    @Test
    void aPrivateModelWithoutTokenIsAClearErrorWithoutAStackTrace() {
        hub.privateRepo("test-org/tiny-xlmr", "hf_right");

        Run run = model(Map.of("HF_ENDPOINT", hub.endpoint()), "test-org/tiny-xlmr");

        assertEquals(1, run.exitCode());
        assertTrue(run.err().startsWith("fill-mask model: test-org/tiny-xlmr needs signing in (HTTP 401)"), run.err());
        assertTrue(run.err().contains("set HF_TOKEN"), run.err());
        assertFalse(run.err().contains("\tat "), run.err());
        assertFalse(Files.exists(home.resolve("models/test-org--tiny-xlmr")));
    }

    @Test
    void aBadRevisionIsAUsageError() {
        assertEquals(2, CliRun.of("model", "test-org/tiny-xlmr", "--revision", "a b").exitCode());
    }

    @Test
    void theModelCommandTellsHubIdsFromFoldersAndNames() {
        assertTrue(HubModel.isHubId("FacebookAI/xlm-roberta-base"));
        assertFalse(HubModel.isHubId("bert-base-uncased"));
        assertFalse(HubModel.isHubId("/tmp/models/x"));
        assertFalse(HubModel.isHubId("./models"));
        assertFalse(HubModel.isHubId("src/main"), "a folder here is a folder, not a hub id");

        CliRun run = CliRun.of("model", "FacebookAI/xlm-roberta-base", "--help");
        assertEquals(0, run.exitCode());
        String help = run.out();
        assertTrue(help.startsWith("usage: ./fill-mask model FacebookAI/xlm-roberta-base [options]"), help);
        assertTrue(help.contains("--revision REV"), help);
        assertTrue(help.contains("HF_TOKEN"), help);
    }
}
