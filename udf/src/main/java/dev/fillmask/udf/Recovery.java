package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;

import java.util.HashSet;
import java.util.Set;

/**
 * A subtask's care after a failure ({@link PoisonPills#DEAD_LETTER}): until its first checkpoint completes, it runs
 * one record at a time and notes each in flight ({@link InFlightMarkers}); the records noted when the previous
 * attempt failed are refused instead of run. Not recovering (a first attempt, or {@link PoisonPills#RETRY}), it does
 * nothing.
 */
final class Recovery {
    private final InFlightMarkers inFlight;
    private final Set<String> failedBefore;
    private boolean active;

    private Recovery(InFlightMarkers inFlight, Set<String> failedBefore, boolean active) {
        this.inFlight = inFlight;
        this.failedBefore = failedBefore;
        this.active = active;
    }

    static Recovery none() {
        return new Recovery(null, new HashSet<>(), false);
    }

    /** Recovering after a failure: what the failed attempt had in flight is read from {@code inFlight}. */
    static Recovery after(InFlightMarkers inFlight) {
        return new Recovery(inFlight, new HashSet<>(inFlight.readAll()), true);
    }

    /** Whether records run one at a time now. */
    boolean active() {
        return active;
    }

    /** How many records failed the previous attempt, and which. */
    Set<String> failedBefore() {
        return Set.copyOf(failedBefore);
    }

    /** The refusal of the record {@code identity} if it failed the previous attempt (once), else {@code null}. */
    DecodedRequest.Invalid refusal(String identity) {
        if (identity == null || !failedBefore.remove(identity)) {
            return null;
        }
        return new DecodedRequest.Invalid("this request was being answered when the job failed, and again when it "
                + "recovered, so it is not run a third time (a poison pill: " + identity + ")");
    }

    /** The record {@code identity} (may be null: then nothing is noted) is about to run. */
    void running(String identity) {
        if (active && identity != null) {
            inFlight.mark(identity);
        }
    }

    /** The record {@code identity} ran and its answer left. */
    void ran(String identity) {
        if (active && identity != null) {
            inFlight.clear();
        }
    }

    /** A checkpoint completed: every replayed record before it is past; batching again. */
    boolean checkpointCompleted() {
        if (!active) {
            return false;
        }
        active = false;
        inFlight.clear();
        return true;
    }

    InFlightMarkers markers() {
        return inFlight;
    }
}
