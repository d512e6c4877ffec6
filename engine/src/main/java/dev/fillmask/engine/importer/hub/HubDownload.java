package dev.fillmask.engine.importer.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.engine.importer.ImportLock;
import dev.fillmask.engine.model.FileTrees;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Downloads the files a fill-mask import reads from a hub repository: {@code config.json}, the tokenizer files and
 * the safetensors weights ({@code model.safetensors}, or {@code model.safetensors.index.json} and every shard it
 * names), into {@code <downloads>/<org>--<name>/<revision>}.
 *
 * <ul>
 *   <li><b>One commit.</b> The first request tells which commit the revision is at ({@code X-Repo-Commit}); every
 *       file is then fetched at that commit, so a branch that moves meanwhile cannot mix two states. The commit is
 *       recorded, and a later call whose revision is still at it downloads nothing (a commit sha as the revision
 *       does not even ask the hub).</li>
 *   <li><b>Staging.</b> Files go into {@code .<revision>.partial} beside the target, and the finished folder is
 *       renamed into place atomically: a folder under its name is always complete.</li>
 *   <li><b>Resume.</b> Bytes arrive in {@code <file>.incomplete}; a transfer that breaks off continues with a
 *       {@code Range} request, in this run or the next. A server that ignores the range sends everything, and the
 *       file starts over.</li>
 *   <li><b>Checksums.</b> Each file is checked against the ETag the hub gave before it gets its name (see
 *       {@link BlobChecksum}); a mismatch is an error and the bytes are thrown away.</li>
 * </ul>
 */
public final class HubDownload {
    /**
     * A finished download: its folder, the commit it holds, and {@code contents}, an id of its files (names, sizes
     * and checksums) that stays the same across commits that changed none of them (a README edit, say).
     */
    public record Checkpoint(Path folder, HubRepoId repo, HubRevision revision, String commit, String contents) {}

    public static final String CONFIG = "config.json";
    public static final List<String> REQUIRED = List.of(CONFIG, "tokenizer.json");
    public static final List<String> OPTIONAL = List.of("tokenizer_config.json", "special_tokens_map.json");
    public static final String WEIGHTS = "model.safetensors";
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";

    /**
     * How a download paces itself: a progress line at most every {@code progressEvery}; a transfer that receives
     * nothing for {@code stallLimit} counts as broken; one file's transfer may break {@code attempts} times in a run
     * (the next run resumes).
     */
    record Pacing(Duration progressEvery, Duration stallLimit, int attempts) {
        static final Pacing DEFAULT = new Pacing(Duration.ofSeconds(5), Duration.ofSeconds(60), 5);
    }

    private static final String COMMIT_MARKER = ".commit";
    private static final String INCOMPLETE = ".incomplete";
    private static final Pattern PLAIN_FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");

    private final HubAccess access;
    private final HubHttp http;
    private final Path root;
    private final PrintStream progress;
    private final Pacing pacing;

    /** Downloads into {@code <home>/downloads}. */
    public HubDownload(HubAccess access, Path home, PrintStream progress) {
        this(access, home.resolve("downloads"), progress, Pacing.DEFAULT);
    }

    HubDownload(HubAccess access, Path downloads, PrintStream progress, Pacing pacing) {
        this.access = access;
        this.http = new HubHttp(access);
        this.root = downloads.toAbsolutePath();
        this.progress = progress;
        this.pacing = pacing;
    }

    /** Where the download of {@code repo} at {@code revision} is (or will be). */
    public Path folder(HubRepoId repo, HubRevision revision) {
        return root.resolve(repo.folderName()).resolve(revision.encoded());
    }

    /** The checkpoint folder of {@code repo} at {@code revision}, downloaded first unless it is there at the same commit. */
    public Checkpoint ensure(HubRepoId repo, HubRevision revision) {
        Path target = folder(repo, revision);
        DownloadRecord done = DownloadRecord.read(target);
        if (done != null && revision.isCommit()) {
            progress.println(repo + " at commit " + revision + " is downloaded: " + target);
            return done.checkpoint(target, repo, revision);
        }
        try {
            return ImportLock.holding(target.resolveSibling("." + target.getFileName() + ".lock"), target.toString(), progress,
                    () -> ensureUnderLock(repo, revision, target));
        } catch (IOException e) {
            throw new HubDownloadException("cannot write the download of " + repo + " into " + target + ": " + e, e);
        }
    }

    private Checkpoint ensureUnderLock(HubRepoId repo, HubRevision revision, Path target) throws IOException {
        DownloadRecord done = DownloadRecord.read(target);
        HubHttp.Metadata config;
        try {
            config = http.metadata(access.resolveUrl(repo, revision.encoded(), CONFIG));
        } catch (IOException e) {
            if (done != null) {
                progress.println("cannot reach " + access.endpoint() + " (" + e + "); using the download of commit "
                        + done.commit() + " in " + target);
                return done.checkpoint(target, repo, revision);
            }
            throw unreachable(e);
        } catch (HubStatusException e) {
            throw explain(e, repo, revision, CONFIG);
        }
        String commit = commitOf(config, repo);
        if (done != null && done.commit().equals(commit)) {
            progress.println(repo + " at " + revision + " (commit " + commit + ") is downloaded: " + target);
            return done.checkpoint(target, repo, revision);
        }
        if (done != null) {
            progress.println(repo + " at " + revision + " moved from commit " + done.commit() + " to " + commit
                    + "; downloading what changed");
        }
        return download(repo, revision, commit, target, done);
    }

    private String commitOf(HubHttp.Metadata config, HubRepoId repo) {
        String commit = config.commit();
        if (commit == null) {
            throw new HubDownloadException(access.endpoint() + " answered for " + repo + " without the X-Repo-Commit"
                    + " header the hub sends: is " + HubAccess.ENDPOINT_VARIABLE + " a Hugging Face hub or mirror?");
        }
        try {
            return new HubRevision(commit).name();
        } catch (IllegalArgumentException e) {
            throw new HubDownloadException(access.endpoint() + " named the commit of " + repo + " '" + commit
                    + "', which is not a commit id");
        }
    }

    /** {@code previous}: the download of an earlier commit in {@code target}, whose unchanged files are reused; or null. */
    private Checkpoint download(HubRepoId repo, HubRevision revision, String commit, Path target, DownloadRecord previous)
            throws IOException {
        long start = System.nanoTime();
        Path staging = target.resolveSibling("." + target.getFileName() + ".partial");
        prepareStaging(staging, commit);
        progress.println("downloading " + repo + " at " + revision + " (commit " + commit + ") from "
                + access.endpoint() + " into " + staging);
        HubRevision pinned = new HubRevision(commit);
        Earlier earlier = new Earlier(target, previous);
        Map<String, DownloadRecord.Entry> files = new LinkedHashMap<>();
        for (String name : REQUIRED) {
            files.put(name, fetch(repo, pinned, name, true, staging, earlier));
        }
        for (String name : OPTIONAL) {
            DownloadRecord.Entry entry = fetch(repo, pinned, name, false, staging, earlier);
            if (entry != null) {
                files.put(name, entry);
            } else {
                progress.println("  " + name + ": not in the repository (optional)");
            }
        }
        DownloadRecord.Entry weights = fetch(repo, pinned, WEIGHTS, false, staging, earlier);
        if (weights != null) {
            files.put(WEIGHTS, weights);
        } else {
            progress.println("  " + WEIGHTS + ": not in the repository; looking for sharded weights");
            DownloadRecord.Entry index = fetch(repo, pinned, WEIGHTS_INDEX, false, staging, earlier);
            if (index == null) {
                throw new HubDownloadException(repo + " at " + revision + " has neither " + WEIGHTS + " nor "
                        + WEIGHTS_INDEX + ": the import reads safetensors weights only (a repository with only"
                        + " pytorch_model.bin or TensorFlow weights cannot be imported)");
            }
            files.put(WEIGHTS_INDEX, index);
            for (String shard : shards(staging.resolve(WEIGHTS_INDEX), repo)) {
                files.put(shard, fetch(repo, pinned, shard, true, staging, earlier));
            }
        }
        DownloadRecord record = new DownloadRecord(repo.toString(), revision.name(), commit,
                access.endpoint().toString(), files);
        removeAllBut(staging, files.keySet());
        record.write(staging);
        if (Files.exists(target)) {
            Path stale = target.resolveSibling("." + target.getFileName() + ".stale-" + UUID.randomUUID().toString().substring(0, 8));
            Files.move(target, stale, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.deleteRecursively(stale);
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        progress.printf(Locale.ROOT, "downloaded %s at %s: %d files, %s in %.1f s, in %s%n", repo, revision,
                files.size(), TransferProgress.size(record.totalBytes()), (System.nanoTime() - start) / 1e9, target);
        return record.checkpoint(target, repo, revision);
    }

    /** The files of the previous download in the target folder, for reuse when a new commit left them unchanged. */
    private record Earlier(Path folder, DownloadRecord record) {
        /** The earlier file of this name if it has the same checksum-bearing ETag and size, else null. */
        Path same(String name, HubHttp.Metadata meta) {
            DownloadRecord.Entry entry = record == null ? null : record.files().get(name);
            if (entry == null || BlobChecksum.kind(meta.etag()) == null || !meta.etag().equals(entry.etag())
                    || entry.size() != meta.size()) {
                return null;
            }
            return folder.resolve(name);
        }
    }

    /** The staging folder of an earlier run is kept (its finished and partial files) if it was for the same commit. */
    private void prepareStaging(Path staging, String commit) throws IOException {
        Path marker = staging.resolve(COMMIT_MARKER);
        if (Files.isDirectory(staging)) {
            String was = Files.isRegularFile(marker) ? Files.readString(marker, StandardCharsets.UTF_8).trim() : "";
            if (was.equals(commit)) {
                progress.println("continuing the earlier download in " + staging);
                return;
            }
            FileTrees.deleteRecursively(staging);
        }
        Files.createDirectories(staging);
        Files.writeString(marker, commit, StandardCharsets.UTF_8);
    }

    private static void removeAllBut(Path staging, Set<String> keep) throws IOException {
        try (Stream<Path> list = Files.list(staging)) {
            for (Path p : list.toList()) {
                if (!keep.contains(p.getFileName().toString())) {
                    FileTrees.deleteRecursively(p);
                }
            }
        }
    }

    /** The shard files of a sharded checkpoint, from its index's {@code weight_map}; each must be a plain file name. */
    private static Set<String> shards(Path index, HubRepoId repo) throws IOException {
        JsonNode weightMap;
        try {
            weightMap = new ObjectMapper().readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new HubDownloadException(WEIGHTS_INDEX + " of " + repo + " is not valid JSON: " + e.getMessage(), e);
        }
        Set<String> shards = new TreeSet<>();
        weightMap.forEach(file -> shards.add(file.asText()));
        if (shards.isEmpty()) {
            throw new HubDownloadException(WEIGHTS_INDEX + " of " + repo + " has no weight_map naming the shard files");
        }
        for (String shard : shards) {
            // The names become paths here: one from a hostile index must not step out of the folder.
            if (!PLAIN_FILE_NAME.matcher(shard).matches() || shard.endsWith(INCOMPLETE)
                    || shard.equals(DownloadRecord.FILE) || shard.equals(COMMIT_MARKER)) {
                throw new HubDownloadException(WEIGHTS_INDEX + " of " + repo + " names the shard '" + shard
                        + "', which is not a plain file name; refusing it");
            }
        }
        return shards;
    }

    /** One file into the staging folder; null if it is optional and the repository has none. */
    private DownloadRecord.Entry fetch(HubRepoId repo, HubRevision pinned, String name, boolean required, Path staging,
                                       Earlier earlier) throws IOException {
        HubHttp.Metadata meta;
        try {
            meta = http.metadata(access.resolveUrl(repo, pinned.encoded(), name));
        } catch (HubStatusException e) {
            if (!required && e.isEntryNotFound()) {
                return null;
            }
            throw explain(e, repo, pinned, name);
        } catch (IOException e) {
            throw unreachable(e);
        }
        Path file = staging.resolve(name);
        if (Files.isRegularFile(file) && (meta.size() < 0 || Files.size(file) == meta.size())) {
            progress.println("  " + name + ": " + TransferProgress.size(Files.size(file)) + ", downloaded before");
            return new DownloadRecord.Entry(Files.size(file), meta.etag());
        }
        Path unchanged = earlier.same(name, meta);
        if (unchanged != null && Files.isRegularFile(unchanged) && Files.size(unchanged) == meta.size()) {
            linkOrCopy(unchanged, file);
            progress.println("  " + name + ": " + TransferProgress.size(meta.size()) + ", unchanged since commit "
                    + earlier.record().commit());
            return new DownloadRecord.Entry(meta.size(), meta.etag());
        }
        Path partial = staging.resolve(name + INCOMPLETE);
        transfer(repo, pinned, name, meta, partial);
        String kind = BlobChecksum.kind(meta.etag());
        String digest = BlobChecksum.digest(partial, meta.etag());
        long size = Files.size(partial);
        if (digest != null && !digest.equals(meta.etag())) {
            Files.delete(partial);
            throw new HubDownloadException(name + " of " + repo + " (commit " + pinned + ") arrived with the " + kind + " "
                    + digest + ", but the hub gives " + meta.etag() + ": the bytes were damaged or altered on the way."
                    + " They were thrown away and nothing was imported; run the command again to download the file anew");
        }
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        progress.println("  " + name + ": " + TransferProgress.size(size)
                + (kind != null ? ", " + kind + " checked" : ", no checksum from the server (size checked)"));
        return new DownloadRecord.Entry(size, meta.etag());
    }

    /** A hard link costs no space and no time; where the file system has none, a copy. */
    private static void linkOrCopy(Path from, Path to) throws IOException {
        Files.deleteIfExists(to);
        try {
            Files.createLink(to, from);
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(from, to);
        }
    }

    private void transfer(HubRepoId repo, HubRevision pinned, String name, HubHttp.Metadata meta, Path partial)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                transferOnce(name, meta, partial);
                return;
            } catch (HubStatusException e) {
                if (!e.isRetryable() || attempt >= pacing.attempts()) {
                    throw explain(e, repo, pinned, name);
                }
                progress.println("  " + name + ": " + e.getMessage() + "; trying again");
            } catch (IOException e) {
                long kept = Files.isRegularFile(partial) ? Files.size(partial) : 0;
                if (attempt >= pacing.attempts()) {
                    throw new HubDownloadException(name + " of " + repo + ": the transfer broke off " + pacing.attempts()
                            + " times (last: " + e.getMessage() + "); the " + TransferProgress.size(kept) + " received"
                            + " are kept in " + partial + ", and running the command again resumes there", e);
                }
                progress.println("  " + name + ": the transfer broke off at " + TransferProgress.size(kept) + " ("
                        + e.getMessage() + "); resuming");
            }
            pause(attempt);
        }
    }

    private void transferOnce(String name, HubHttp.Metadata meta, Path partial) throws IOException, HubStatusException {
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        long size = meta.size();
        if (size >= 0 && have > size) {
            Files.delete(partial);
            have = 0;
        }
        if (size == 0 || (size > 0 && have == size)) {
            if (size == 0) {
                Files.write(partial, new byte[0]);
            }
            return;
        }
        TransferProgress lines = new TransferProgress(progress, name, have, size, pacing.progressEvery());
        FileSink.Outcome outcome = http.fetchInto(meta.location(), have, partial, lines::update, pacing.stallLimit());
        if (!outcome.wrote()) {
            Files.deleteIfExists(partial);
            throw new IOException(outcome.status() == 416
                    ? "the server has no bytes from " + have + " on; starting over"
                    : "asked for the bytes from " + have + " on, the server sent from " + outcome.start() + "; starting over");
        }
        if (have > 0 && outcome.status() == 206) {
            progress.println("  " + name + ": resumed at " + TransferProgress.size(have)
                    + (size > 0 ? " of " + TransferProgress.size(size) : ""));
        } else if (have > 0) {
            progress.println("  " + name + ": the server does not resume transfers (it sent the whole file); started over");
        }
        long got = Files.size(partial);
        if (size >= 0 && got < size) {
            throw new IOException("the transfer ended after " + got + " of " + size + " bytes");
        }
        if (size >= 0 && got > size) {
            Files.delete(partial);
            throw new IOException("the server sent " + got + " bytes, " + size + " were announced; starting over");
        }
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(Math.min(500L * attempt, 5_000L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubDownloadException("interrupted while downloading");
        }
    }

    private HubDownloadException unreachable(IOException e) {
        return new HubDownloadException("cannot reach " + access.endpoint() + " (" + e + "): no network, or "
                + HubAccess.ENDPOINT_VARIABLE + " points at the wrong place", e);
    }

    /** An HTTP error answer in words that say what to do; the token itself is never part of it. */
    private HubDownloadException explain(HubStatusException e, HubRepoId repo, HubRevision revision, String file) {
        String code = e.errorCode;
        String message;
        if (e.status == 401) {
            message = access.hasToken()
                    ? "the hub refused the token in " + HubAccess.TOKEN_VARIABLE + " for " + repo + " (HTTP 401): the"
                            + " token is wrong or expired, or the repository does not exist"
                    : repo + " needs signing in (HTTP 401): it does not exist, or it is private or gated; for a private"
                            + " or gated model set " + HubAccess.TOKEN_VARIABLE + " to an access token of an account"
                            + " that may read it";
        } else if (e.status == 403) {
            String gated = "GatedRepo".equals(code) ? "gated" : "restricted";
            message = access.hasToken()
                    ? "the account of the token in " + HubAccess.TOKEN_VARIABLE + " has no access to " + repo + " (HTTP 403,"
                            + " " + gated + "): request access on the model's page on the hub, then try again"
                    : repo + " is " + gated + " (HTTP 403): set " + HubAccess.TOKEN_VARIABLE + " to an access token of an"
                            + " account that has been granted access";
        } else if (e.status == 404 && "RepoNotFound".equals(code)) {
            message = "there is no repository " + repo + " on " + access.endpoint()
                    + (access.hasToken() ? " that this token may see" : " (if it is private, set " + HubAccess.TOKEN_VARIABLE + ")");
        } else if (e.status == 404 && "RevisionNotFound".equals(code)) {
            message = repo + " has no revision '" + revision + "' (a branch, a tag or a commit)";
        } else if (e.status == 404) {
            message = repo + " at " + revision + " has no " + file
                    + (code == null && file.equals(CONFIG) ? " (or there is no such repository or revision)" : "");
        } else {
            message = "the hub answered HTTP " + e.status + (code != null ? " (" + code + ")" : "") + " for " + file
                    + " of " + repo + " at " + HubHttp.display(e.url);
        }
        if (e.errorMessage != null && !e.errorMessage.isBlank()) {
            message += " [the hub says: " + e.errorMessage.strip() + "]";
        }
        return new HubDownloadException(message);
    }
}
