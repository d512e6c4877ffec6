package dev.fillmask.udf;

import org.apache.flink.api.common.state.BroadcastState;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The model changes of one subtask and what a checkpoint keeps of them: the change being loaded (one at a time, on
 * the {@link ModelLoader}'s thread), those queued behind it in the order they came, and the change whose model the
 * subtask serves (none: the job's start-up model). Not thread-safe: the operator calls it from its task thread.
 */
final class ModelChanges {
    private static final String SERVING = "serving";
    private static final String PENDING = "pending-";

    /** A change whose load has ended, well or not. */
    record Finished(ModelChange change, ModelLoader.Result result) {}

    private final ModelLoader loader;
    private final Deque<ModelChange> queued = new ArrayDeque<>();
    private ModelChange loading;
    private CompletableFuture<ModelLoader.Result> load;
    private ModelChange served;

    ModelChanges(ModelLoader loader) {
        this.loader = loader;
    }

    /**
     * Reads what {@link #snapshot} kept: queues the pending changes again (loaded from {@link #startNext} on) and
     * returns the change whose model was served, or null for the start-up model.
     */
    ModelChange restore(BroadcastState<String, String> state) throws Exception {
        Map<String, String> stored = new TreeMap<>();
        for (Map.Entry<String, String> entry : state.entries()) {
            stored.put(entry.getKey(), entry.getValue());
        }
        ModelChange restored = null;
        for (Map.Entry<String, String> entry : stored.entrySet()) {
            if (entry.getKey().equals(SERVING)) {
                restored = decode(entry.getValue());
            } else {
                queued.add(decode(entry.getValue()));
            }
        }
        return restored;
    }

    /** Keeps the served change and every change not done yet, in their order, in {@code state}. */
    void snapshot(BroadcastState<String, String> state) throws Exception {
        state.clear();
        if (served != null) {
            state.put(SERVING, encode(served));
        }
        List<ModelChange> pending = new ArrayList<>();
        if (loading != null) {
            pending.add(loading);
        }
        pending.addAll(queued);
        for (int i = 0; i < pending.size(); i++) {
            // zero-padded, so that the keys' order is the changes' order when they are read back
            state.put(PENDING + String.format(Locale.ROOT, "%06d", i), encode(pending.get(i)));
        }
    }

    /** Queues a valid change behind those before it and starts loading it if none is loading. */
    void add(ModelChange change) {
        queued.add(change);
        startNext();
    }

    /** Starts loading the next queued change, unless one is loading. */
    void startNext() {
        if (load == null && !queued.isEmpty()) {
            loading = queued.poll();
            load = loader.load(loading);
        }
    }

    boolean isLoading() {
        return load != null;
    }

    /**
     * The change whose load has ended, taken off, or null while it goes on. The next one is not started here: the
     * caller first hands the engine it replaces to the loader's thread to close, so no more than two engines exist.
     */
    Finished takeFinished() {
        if (load == null || !load.isDone()) {
            return null;
        }
        Finished finished = new Finished(loading, load.join());
        load = null;
        loading = null;
        return finished;
    }

    /** The subtask serves the model of {@code change} (null: the start-up model's). */
    void serving(ModelChange change) {
        served = change;
    }

    /** Waits until the load in flight, if any, has ended (for tests: it is not taken off). */
    void awaitLoad() {
        CompletableFuture<ModelLoader.Result> inFlight = load;
        if (inFlight != null) {
            inFlight.join();
        }
    }

    /** Closes the engine of a load that ended but was not taken off; call after closing the loader. */
    void closeUnserved() {
        if (load != null && load.isDone() && load.join().loaded()) {
            load.join().engine().close();
        }
        load = null;
    }

    /** A change as the state keeps it: its JSON, after its id and a newline. */
    private static String encode(ModelChange change) {
        return (change.id() == null ? "" : change.id()) + "\n" + new String(change.toJson(), StandardCharsets.UTF_8);
    }

    private static ModelChange decode(String stored) {
        int newline = stored.indexOf('\n');
        String id = stored.substring(0, newline);
        return ModelChange.fromJson(id.isEmpty() ? null : id,
                stored.substring(newline + 1).getBytes(StandardCharsets.UTF_8));
    }
}
