package dev.fillmask.udf;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelVersion;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A subtask's loader of new models: resolves and opens the engine of a {@link ModelChange} on a thread of its own,
 * so the task thread keeps answering requests with the old engine meanwhile (a load takes seconds), and closes
 * engines there too. One load at a time per JVM (a TaskManager): while one slot loads, the TaskManager holds its
 * slots' models plus one, not twice its slots' models.
 */
final class ModelLoader implements AutoCloseable {
    /** Shared by the subtasks of a TaskManager (of a job's class loader). */
    private static final Semaphore ONE_LOAD_AT_A_TIME = new Semaphore(1);

    private final ModelResolver resolver;
    private final EngineOptions slotOptions;
    private final ExecutorService thread;

    /** A load's outcome: an open engine, or why there is none. */
    record Result(ModelChange change, FillMaskEngine engine, ServingModel model, Path folder, long millis,
                  String error) {
        boolean loaded() {
            return engine != null;
        }
    }

    ModelLoader(ModelResolver resolver, EngineOptions slotOptions, String threadName) {
        this.resolver = resolver;
        this.slotOptions = slotOptions;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts loading {@code change} (after any load before it); the future never completes exceptionally. */
    CompletableFuture<Result> load(ModelChange change) {
        return CompletableFuture.supplyAsync(() -> loadHere(change), thread);
    }

    /** Loads {@code change} on the calling thread (a restored subtask's start). */
    Result loadHere(ModelChange change) {
        long start = System.nanoTime();
        Path folder = null;
        FillMaskEngine engine = null;
        try {
            ONE_LOAD_AT_A_TIME.acquire();
            try {
                folder = resolver.resolve(change.model());
                engine = FillMaskEngine.open(folder, slotOptions);
                // After the open: the folder has been checked against its manifest, so the manifest stands for it.
                String version = ModelVersion.of(engine.modelFolder().path());
                if (!change.acceptsVersion(version)) {
                    engine.close();
                    return new Result(change, null, null, folder, millisSince(start), "the model in " + folder
                            + " has version " + version + ", not " + change.version()
                            + " as the change asks: its files differ from the ones meant");
                }
                return new Result(change, engine, ServingModel.of(folder, version), folder, millisSince(start), null);
            } finally {
                ONE_LOAD_AT_A_TIME.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(change, null, null, folder, millisSince(start), "interrupted while loading");
        } catch (Exception | LinkageError e) {
            // A missing folder, a damaged file, a wrong format, a provider that is not there: all reasons to keep
            // the old model, none to fail the job.
            return new Result(change, null, null, folder, millisSince(start),
                    e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Closes {@code engine} on the loader's thread, after any load before it. */
    void closeLater(FillMaskEngine engine) {
        thread.execute(engine::close);
    }

    /** Waits for the loads and closes queued before, then stops the thread; an engine still loading is closed too. */
    @Override
    public void close() throws InterruptedException {
        thread.shutdown();
        if (!thread.awaitTermination(5, TimeUnit.MINUTES)) {
            thread.shutdownNow();
        }
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
