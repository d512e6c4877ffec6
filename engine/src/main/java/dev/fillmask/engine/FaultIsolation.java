package dev.fillmask.engine;

import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * Keeps a failure to the requests that cause it. A model run over several requests that fails is split in halves,
 * and each half run again, until every request that still fails stands alone; the others get their logits. A request
 * that fails alone is at fault only if the model still works ({@code modelWorks}, asked at most once per instance):
 * otherwise the machine is, and {@link EngineFailureException} stops the caller. So one bad request costs about
 * 2 log2(batch) extra runs, and never the answers of its neighbours.
 *
 * <p>One instance per batch: it remembers that the model was found working.
 */
final class FaultIsolation {
    /** The longest part of an exception's message an error answer repeats. */
    private static final int SHOWN_MESSAGE_CHARS = 300;

    /** One model run over some requests: their mask rows' logits, in order. */
    interface ModelRun<T> {
        float[][][] run(List<T> requests) throws Exception;
    }

    private final BooleanSupplier modelWorks;
    private boolean modelFoundWorking;

    FaultIsolation(BooleanSupplier modelWorks) {
        this.modelWorks = modelWorks;
    }

    /**
     * Runs {@code requests}; each one ends in exactly one of {@code answered} (with its logits) or {@code failed}
     * (with a message saying why).
     *
     * @throws EngineFailureException if the model fails even on a request that cannot be at fault
     */
    <T> void run(List<T> requests, ModelRun<T> model, BiConsumer<T, float[][]> answered, BiConsumer<T, String> failed) {
        float[][][] logits;
        try {
            logits = model.run(requests);
        } catch (Exception | OutOfMemoryError e) {
            if (requests.size() > 1) {
                int half = requests.size() / 2;
                run(requests.subList(0, half), model, answered, failed);
                run(requests.subList(half, requests.size()), model, answered, failed);
                return;
            }
            if (!modelFoundWorking) {
                if (!modelWorks.getAsBoolean()) {
                    throw new EngineFailureException("the model fails even on a request that holds nothing but a "
                            + "mask, so the engine, not a request, is broken: " + describe(e), e);
                }
                modelFoundWorking = true;
            }
            failed.accept(requests.get(0), "the model failed on this request: " + describe(e));
            return;
        }
        for (int i = 0; i < requests.size(); i++) {
            answered.accept(requests.get(i), logits[i]);
        }
    }

    /** The exception's kind and the start of its message, on one line. */
    static String describe(Throwable e) {
        String message = e.getMessage() == null ? "" : e.getMessage().replaceAll("\\s+", " ").trim();
        if (message.length() > SHOWN_MESSAGE_CHARS) {
            message = message.substring(0, SHOWN_MESSAGE_CHARS) + "…";
        }
        String kind = e.getClass().getSimpleName();
        return message.isEmpty() ? kind : String.format(Locale.ROOT, "%s: %s", kind, message);
    }
}
