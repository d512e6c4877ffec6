package dev.fillmask.engine.importer.hub;

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The download against {@link FakeHub} on 127.0.0.1: a small checkpoint in the hub's layout and with its headers,
 * the large file behind a redirect, transfers cut half-way, checksums, the hub's error answers, a sharded checkpoint,
 * and a second call that does nothing.
 */
class HubDownloadTest {
    private static final String REPO = "test-org/tiny-bert";
    private static final String COMMIT = "5f0c1a7e9b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e";
    private static final String TOKEN = "hf_testtoken_0123456789";
    /** Its git blob id, from {@code git hash-object}, and its SHA-256, from {@code sha256sum}: found apart from this code. */
    private static final byte[] CONFIG = "{\"architectures\": [\"BertForMaskedLM\"], \"model_type\": \"bert\"}\n"
            .getBytes(StandardCharsets.UTF_8);
    private static final String CONFIG_GIT_SHA1 = "1ca5cf90cb8c2e664dbcb6dcd4cbc205ef48a730";

    @TempDir
    Path home;

    private FakeHub hub;
    private final ByteArrayOutputStream progressBytes = new ByteArrayOutputStream();
    private final PrintStream progress = new PrintStream(progressBytes, true, StandardCharsets.UTF_8);
    private final List<Path> imports = new ArrayList<>();

    private static final byte[] TOKENIZER = "{\"model\": {\"type\": \"WordPiece\"}}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] TOKENIZER_CONFIG = "{\"do_lower_case\": true}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] WEIGHTS = random(1_500_000, 1);

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        hub.repo(REPO, COMMIT, checkpoint());
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private static Map<String, byte[]> checkpoint() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", CONFIG);
        files.put("tokenizer.json", TOKENIZER);
        files.put("tokenizer_config.json", TOKENIZER_CONFIG);
        files.put("model.safetensors", WEIGHTS);
        return files;
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private HubDownload download(String token, int attempts, Duration stallLimit) {
        return new HubDownload(HubAccess.of(hub.endpoint(), token), home.resolve("downloads"), progress,
                new HubDownload.Pacing(Duration.ZERO, stallLimit, attempts));
    }

    private HubDownload download(String token) {
        return download(token, 3, Duration.ofSeconds(30));
    }

    private HubDownload download() {
        return download(null);
    }

    /** Stands in for the checkpoint importer: copies the checkpoint, and counts its calls. */
    private HubModelImport modelImport(HubDownload download) {
        return new HubModelImport(download, home.resolve("models"), (checkpoint, out, progress) -> {
            imports.add(checkpoint);
            Files.createDirectories(out);
            try (Stream<Path> files = Files.list(checkpoint)) {
                for (Path f : files.toList()) {
                    Files.copy(f, out.resolve(f.getFileName()));
                }
            }
            return out;
        }, progress);
    }

    private String progress() {
        return progressBytes.toString(StandardCharsets.UTF_8);
    }

    private List<FakeHub.Request> gets() {
        return hub.requests().stream().filter(r -> r.method().equals("GET")).toList();
    }

    private List<FakeHub.Request> blobGets() {
        return hub.requests().stream().filter(r -> r.method().equals("GET") && r.path().startsWith("/cdn/")).toList();
    }

    @Test
    void downloadsTheCheckpointAtOneCommitWithItsChecksums() throws IOException {
        HubDownload.Checkpoint checkpoint = download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        Path folder = home.resolve("downloads/test-org--tiny-bert/main");
        assertEquals(folder, checkpoint.folder());
        assertEquals(COMMIT, checkpoint.commit());
        assertArrayEquals(CONFIG, Files.readAllBytes(folder.resolve("config.json")));
        assertArrayEquals(TOKENIZER, Files.readAllBytes(folder.resolve("tokenizer.json")));
        assertArrayEquals(TOKENIZER_CONFIG, Files.readAllBytes(folder.resolve("tokenizer_config.json")));
        assertArrayEquals(WEIGHTS, Files.readAllBytes(folder.resolve("model.safetensors")));
        assertFalse(Files.exists(folder.resolve("special_tokens_map.json")));
        assertTrue(Files.readString(folder.resolve(DownloadRecord.FILE)).contains(COMMIT));
        try (Stream<Path> left = Files.list(folder.getParent())) {
            assertEquals(List.of("main"), left.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")).toList(),
                    "no staging folder is left");
        }
        // Only the first question goes to the revision; every file comes from the commit it named.
        List<FakeHub.Request> resolves = hub.requests().stream().filter(r -> r.path().contains("/resolve/")).toList();
        assertEquals("/test-org/tiny-bert/resolve/main/config.json", resolves.get(0).path());
        assertTrue(resolves.stream().skip(1).allMatch(r -> r.path().contains("/resolve/" + COMMIT + "/")), resolves.toString());
        // The large file's bytes come from the redirect target, the small ones from the hub directly.
        assertEquals(1, blobGets().size());
        String out = progress();
        assertTrue(out.contains("config.json: 61 B, git SHA-1 checked"), out);
        assertTrue(out.contains("model.safetensors: 1.5 MB, SHA-256 checked"), out);
        assertTrue(out.contains("special_tokens_map.json: not in the repository (optional)"), out);
        assertTrue(out.contains("(100%)"), out);
    }

    @Test
    void theBlobIdOfAFileIsWhatGitComputes() throws IOException {
        assertEquals(CONFIG_GIT_SHA1, FakeHub.gitBlobSha1(CONFIG));
        Path file = Files.write(home.resolve("config.json"), CONFIG);
        assertEquals(CONFIG_GIT_SHA1, BlobChecksum.gitBlobSha1(file));
        assertEquals("f1c07efea5fa2d3dc8928fb0f0f3d92053af902cabfa5b1521af728da07e0be3", BlobChecksum.digest(file,
                "f1c07efea5fa2d3dc8928fb0f0f3d92053af902cabfa5b1521af728da07e0be3"));
        assertNull(BlobChecksum.kind("W/abc-123"));
    }

    @Test
    void anAbsoluteRedirectToAnotherHostGetsNoToken() throws IOException {
        hub.privateRepo(REPO, TOKEN);
        hub.redirect(FakeHub.Redirect.OTHER_ORIGIN);

        download(TOKEN).ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
        List<FakeHub.Request> storage = hub.requests().stream().filter(r -> r.server().equals("storage")).toList();
        assertEquals(1, storage.size(), hub.requests().toString());
        assertNull(storage.get(0).authorization(), "the token must not leave the hub's origin");
        assertTrue(hub.requests().stream().filter(r -> r.server().equals("hub"))
                .allMatch(r -> ("Bearer " + TOKEN).equals(r.authorization())));
        assertFalse(progress().contains(TOKEN));
        assertFalse(progress().contains("X-Amz-Signature"), "a storage URL's signature is never printed");
    }

    @Test
    void anAbsoluteRedirectToTheHubItselfKeepsTheToken() throws IOException {
        hub.privateRepo(REPO, TOKEN);
        hub.redirect(FakeHub.Redirect.ABSOLUTE);

        download(TOKEN).ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        assertEquals("Bearer " + TOKEN, blobGets().get(0).authorization());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
    }

    @Test
    void aRenamedRepositoryIsFollowed() throws IOException {
        hub.renamed("old-name/tiny-bert", REPO);

        HubDownload.Checkpoint checkpoint = download().ensure(HubRepoId.parse("old-name/tiny-bert"), HubRevision.MAIN);

        assertEquals(COMMIT, checkpoint.commit());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(checkpoint.folder().resolve("model.safetensors")));
    }

    @Test
    void aTransferCutHalfWayResumesWithARangeRequest() throws IOException {
        hub.cutOnce(WEIGHTS);

        download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        List<FakeHub.Request> transfers = blobGets();
        assertEquals(2, transfers.size(), transfers.toString());
        assertNull(transfers.get(0).range());
        assertEquals("bytes=" + WEIGHTS.length / 2 + "-", transfers.get(1).range());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
        assertTrue(progress().contains("resumed at 750.0 kB of 1.5 MB"), progress());
    }

    @Test
    void aStalledTransferIsAbortedAndResumed() throws IOException {
        hub.stallOnce(WEIGHTS);

        download(null, 3, Duration.ofSeconds(1)).ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        assertEquals("bytes=" + WEIGHTS.length / 2 + "-", blobGets().get(1).range());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
        assertTrue(progress().contains("nothing arrived for 1.0 s"), progress());
    }

    @Test
    void theNextRunResumesWhereABrokenRunStopped() throws IOException {
        hub.cutOnce(WEIGHTS);
        HubDownloadException broken = assertThrows(HubDownloadException.class,
                () -> download(null, 1, Duration.ofSeconds(30)).ensure(HubRepoId.parse(REPO), HubRevision.MAIN));
        assertTrue(broken.getMessage().contains("running the command again resumes there"), broken.getMessage());
        Path partial = home.resolve("downloads/test-org--tiny-bert/.main.partial/model.safetensors.incomplete");
        assertEquals(WEIGHTS.length / 2, Files.size(partial));
        assertFalse(Files.exists(home.resolve("downloads/test-org--tiny-bert/main")));
        hub.clearRequests();

        download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        assertEquals("bytes=" + WEIGHTS.length / 2 + "-", blobGets().get(0).range());
        // The small files finished before the break are not fetched again.
        assertTrue(gets().stream().noneMatch(r -> r.path().endsWith("/config.json")), gets().toString());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
    }

    @Test
    void aServerThatIgnoresRangeMakesTheFileStartOver() throws IOException {
        hub.cutOnce(WEIGHTS);
        hub.ignoreRange(true);

        download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        assertEquals(2, blobGets().size());
        assertEquals("bytes=" + WEIGHTS.length / 2 + "-", blobGets().get(1).range());
        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
        assertTrue(progress().contains("the server does not resume transfers"), progress());
    }

    @Test
    void aWrongChecksumFailsAndLeavesNoModel() {
        hub.wrongChecksum(REPO, "model.safetensors");

        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> modelImport(download()).ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(e.getMessage().contains("model.safetensors of test-org/tiny-bert"), e.getMessage());
        assertTrue(e.getMessage().contains("arrived with the SHA-256 " + FakeHub.sha256(WEIGHTS)), e.getMessage());
        assertTrue(e.getMessage().contains("damaged or altered"), e.getMessage());
        assertFalse(Files.exists(home.resolve("downloads/test-org--tiny-bert/main")));
        assertFalse(Files.exists(home.resolve("downloads/test-org--tiny-bert/.main.partial/model.safetensors.incomplete")));
        assertFalse(Files.exists(home.resolve("models/test-org--tiny-bert")));
        assertTrue(imports.isEmpty());
    }

    @Test
    void aPrivateRepositoryWithoutATokenSaysToSetHfToken() {
        hub.privateRepo(REPO, TOKEN);

        HubDownloadException e = assertThrows(HubDownloadException.class, () -> download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(e.getMessage().contains("test-org/tiny-bert needs signing in (HTTP 401)"), e.getMessage());
        assertTrue(e.getMessage().contains("set HF_TOKEN"), e.getMessage());
    }

    @Test
    void aWrongTokenIsRefusedWithoutShowingIt() {
        hub.privateRepo(REPO, TOKEN);

        HubDownloadException e = assertThrows(HubDownloadException.class,
                () -> download("hf_wrong_token_42").ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(e.getMessage().contains("the hub refused the token in HF_TOKEN for test-org/tiny-bert (HTTP 401)"), e.getMessage());
        assertFalse(e.getMessage().contains("hf_wrong_token_42"));
        assertFalse(progress().contains("hf_wrong_token_42"));
    }

    @Test
    void aGatedRepositoryWithoutAccessSaysSo() {
        hub.gatedRepo(REPO, TOKEN);

        HubDownloadException anonymous = assertThrows(HubDownloadException.class,
                () -> download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN));
        HubDownloadException notGranted = assertThrows(HubDownloadException.class,
                () -> download("hf_other_account").ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(anonymous.getMessage().contains("set HF_TOKEN"), anonymous.getMessage());
        assertTrue(notGranted.getMessage().contains("has no access to test-org/tiny-bert (HTTP 403, gated)"), notGranted.getMessage());
        assertTrue(notGranted.getMessage().contains("[the hub says: Access to model test-org/tiny-bert is restricted.]"),
                notGranted.getMessage());
    }

    @Test
    void noSuchRepositoryOrRevision() {
        HubDownloadException repo = assertThrows(HubDownloadException.class,
                () -> download("hf_any").ensure(HubRepoId.parse("test-org/no-such-model"), HubRevision.MAIN));
        HubDownloadException revision = assertThrows(HubDownloadException.class,
                () -> download().ensure(HubRepoId.parse(REPO), new HubRevision("v2.0")));

        assertTrue(repo.getMessage().startsWith("there is no repository test-org/no-such-model on " + hub.endpoint()), repo.getMessage());
        assertTrue(revision.getMessage().startsWith("test-org/tiny-bert has no revision 'v2.0'"), revision.getMessage());
    }

    @Test
    void aRepositoryWithoutTheTokenizerIsAClearError() throws IOException {
        Map<String, byte[]> files = checkpoint();
        files.remove("tokenizer.json");
        hub.repo(REPO, COMMIT, files);

        HubDownloadException e = assertThrows(HubDownloadException.class, () -> download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(e.getMessage().startsWith("test-org/tiny-bert at " + COMMIT + " has no tokenizer.json"), e.getMessage());
    }

    @Test
    void aShardedCheckpointBringsEveryShardItsIndexNames() throws IOException {
        byte[] first = random(400_000, 2);
        byte[] second = random(300_000, 3);
        byte[] index = """
                {"metadata": {"total_size": 700000},
                 "weight_map": {"bert.embeddings.word_embeddings.weight": "model-00001-of-00002.safetensors",
                                "bert.encoder.layer.0.output.dense.weight": "model-00001-of-00002.safetensors",
                                "cls.predictions.bias": "model-00002-of-00002.safetensors"}}
                """.getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = checkpoint();
        files.remove("model.safetensors");
        files.put("model.safetensors.index.json", index);
        files.put("model-00001-of-00002.safetensors", first);
        files.put("model-00002-of-00002.safetensors", second);
        hub.repo(REPO, COMMIT, files);

        Path folder = download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN).folder();

        assertArrayEquals(index, Files.readAllBytes(folder.resolve("model.safetensors.index.json")));
        assertArrayEquals(first, Files.readAllBytes(folder.resolve("model-00001-of-00002.safetensors")));
        assertArrayEquals(second, Files.readAllBytes(folder.resolve("model-00002-of-00002.safetensors")));
        assertFalse(Files.exists(folder.resolve("model.safetensors")));
        assertEquals(2, blobGets().size());
    }

    @Test
    void anIndexNamingAPathOutsideTheFolderIsRefused() {
        Map<String, byte[]> files = checkpoint();
        files.remove("model.safetensors");
        files.put("model.safetensors.index.json",
                "{\"weight_map\": {\"w\": \"../../evil.safetensors\"}}".getBytes(StandardCharsets.UTF_8));
        hub.repo(REPO, COMMIT, files);

        HubDownloadException e = assertThrows(HubDownloadException.class, () -> download().ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(e.getMessage().contains("names the shard '../../evil.safetensors', which is not a plain file name"), e.getMessage());
    }

    @Test
    void aSecondCallAtTheSameCommitNeitherDownloadsNorImports() throws IOException {
        HubModelImport models = modelImport(download());
        Path model = models.ensure(HubRepoId.parse(REPO), HubRevision.MAIN);
        assertEquals(home.resolve("models/test-org--tiny-bert"), model);
        assertArrayEquals(WEIGHTS, Files.readAllBytes(model.resolve("model.safetensors")));
        assertEquals(1, imports.size());
        hub.clearRequests();

        assertEquals(model, models.ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertEquals(1, imports.size(), "not imported again");
        assertEquals(List.of(new FakeHub.Request("hub", "HEAD", "/test-org/tiny-bert/resolve/main/config.json", null, null)),
                hub.requests(), "one question for the commit, and nothing fetched");
        assertTrue(progress().contains("test-org/tiny-bert at main (commit " + COMMIT + ") is downloaded"), progress());
    }

    @Test
    void aCommitAsTheRevisionIsNotEvenAskedAgain() {
        HubModelImport models = modelImport(download());
        Path model = models.ensure(HubRepoId.parse(REPO), new HubRevision(COMMIT));
        assertEquals(home.resolve("models/test-org--tiny-bert@" + COMMIT), model);
        hub.clearRequests();

        models.ensure(HubRepoId.parse(REPO), new HubRevision(COMMIT));

        assertEquals(List.of(), hub.requests());
        assertEquals(1, imports.size());
    }

    @Test
    void aRevisionThatMovedIsDownloadedAndImportedAgain() throws IOException {
        HubModelImport models = modelImport(download());
        models.ensure(HubRepoId.parse(REPO), HubRevision.MAIN);
        byte[] retrained = random(1_000_000, 4);
        String next = "aaaabbbbccccddddeeeeffff0000111122223333";
        hub.commit(REPO, next, "model.safetensors", retrained);

        hub.clearRequests();

        Path model = models.ensure(HubRepoId.parse(REPO), HubRevision.MAIN);

        assertArrayEquals(retrained, Files.readAllBytes(model.resolve("model.safetensors")));
        assertArrayEquals(CONFIG, Files.readAllBytes(model.resolve("config.json")));
        assertTrue(Files.readString(model.resolve(HubModelImport.SOURCE_FILE)).contains(next));
        assertEquals(2, imports.size());
        assertTrue(progress().contains("moved from commit " + COMMIT + " to " + next), progress());
        assertEquals(List.of("/cdn/" + FakeHub.sha256(retrained)), gets().stream().map(FakeHub.Request::path).toList(),
                "only the changed file is fetched; the others are taken from the earlier download");
    }

    @Test
    void aCommitThatChangedOnlyTheReadmeKeepsTheDownloadAndTheModel() throws IOException {
        HubModelImport models = modelImport(download());
        Path model = models.ensure(HubRepoId.parse(REPO), HubRevision.MAIN);
        String next = "1111222233334444555566667777888899990000";
        hub.commit(REPO, next, "README.md", "# tiny-bert, now with a model card".getBytes(StandardCharsets.UTF_8));
        hub.clearRequests();

        assertEquals(model, models.ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertEquals(List.of(), gets(), "nothing is fetched again");
        assertEquals(1, imports.size(), "nor imported again");
        assertTrue(Files.readString(model.resolve(HubModelImport.SOURCE_FILE)).contains(next));
        assertTrue(Files.readString(home.resolve("downloads/test-org--tiny-bert/main/" + DownloadRecord.FILE)).contains(next));
        assertArrayEquals(WEIGHTS, Files.readAllBytes(home.resolve("downloads/test-org--tiny-bert/main/model.safetensors")));
        assertTrue(progress().contains("model.safetensors: 1.5 MB, unchanged since commit " + COMMIT), progress());
        assertTrue(progress().contains("has the same checkpoint files as the import"), progress());
    }

    @Test
    void anUnreachableHubIsAClearError() throws IOException {
        String endpoint = hub.endpoint();
        hub.close();

        HubDownloadException e = assertThrows(HubDownloadException.class, () -> new HubDownload(HubAccess.of(endpoint, null),
                home, progress).ensure(HubRepoId.parse(REPO), HubRevision.MAIN));

        assertTrue(e.getMessage().startsWith("cannot reach " + endpoint), e.getMessage());
        hub = new FakeHub();
    }
}
