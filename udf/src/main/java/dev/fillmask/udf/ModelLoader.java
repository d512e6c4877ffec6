package dev.fillmask.udf;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelVersion;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
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
    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);
    /** Shared by the subtasks of a TaskManager (of a job's class loader). */
    private static final Semaphore ONE_LOAD_AT_A_TIME = new Semaphore(1);
    /**
     * How long {@link #close()} waits for a load in flight. A cancelled task closes its operator on the task thread,
     * and Flink kills the whole TaskManager when a task has not ended {@code task.cancellation.timeout} (180 s by
     * default) after the cancel; a load can take longer than that (a built-in model's first use imports it), so the
     * wait stays well below it.
     */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(60);

    private final ModelResolver resolver;
    private final EngineOptions slotOptions;
    private final ExecutorService thread;
    private final Duration closeWait;
    /** Set by {@link #close()}: a load that ends after it closes its own engine, as nobody will take it. */
    private volatile boolean closed;

    /** A load's outcome: an open engine, or why there is none. */
    record Result(ModelChange change, FillMaskEngine engine, ServingModel model, Path folder, long millis,
                  String error) {
        boolean loaded() {
            return engine != null;
        }
    }

    ModelLoader(ModelResolver resolver, EngineOptions slotOptions, String threadName) {
        this(resolver, slotOptions, threadName, CLOSE_WAIT);
    }

    /** The same, waiting {@code closeWait} in {@link #close()} (a test's shorter wait). */
    ModelLoader(ModelResolver resolver, EngineOptions slotOptions, String threadName, Duration closeWait) {
        this.closeWait = closeWait;
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
                if (closed) {
                    engine.close();
                    return new Result(change, null, null, folder, millisSince(start),
                            "the subtask closed while the model loaded");
                }
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
        thread.execute(new Closing(engine));
    }

    /**
     * Waits for the loads and closes queued before, up to {@link #CLOSE_WAIT} (60 s), then stops the thread. A load
     * still running then is interrupted and left to end on the loader's own (daemon) thread: waiting for its turn it
     * stops at once; a built-in model's import stops or finishes in its staging folder (only a complete import is
     * ever moved into the cache, and the next import clears what is left); a session being created finishes, and the
     * loader closes it at once ({@link #closed}), so its memory is not kept. Old engines still waiting to be closed
     * are closed here.
     */
    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        boolean ended = false;
        try {
            ended = thread.awaitTermination(closeWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // Flink interrupts a task thread that is slow to cancel: stop waiting, keep the interrupt.
            Thread.currentThread().interrupt();
        }
        if (!ended) {
            LOG.warn("fill-mask: a model load did not end within {} s of the subtask's close: it is interrupted and "
                    + "ends on its own thread, which closes what it opened", closeWait.toSeconds());
            for (Runnable notRun : thread.shutdownNow()) {
                if (notRun instanceof Closing closing) {
                    closing.run();
                }
            }
        }
    }

    /** An old engine's close, queued behind the loads before it. */
    private record Closing(FillMaskEngine engine) implements Runnable {
        @Override
        public void run() {
            engine.close();
        }
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
