package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;

import java.util.HashSet;
import java.util.Set;

/**
 * A subtask's care after a failure ({@link PoisonPills#DEAD_LETTER}): it runs one record at a time and notes each in
 * flight ({@link InFlightMarkers}) until the replay has surely passed the point where the previous attempt failed;
 * the records noted when the previous attempt failed are refused instead of run. Not recovering (a first attempt, or
 * {@link PoisonPills#RETRY}), it does nothing.
 *
 * <p>Where the failure happened is not known, only that it was after the checkpoint the job restarted from, within
 * about one checkpoint interval's records. So recovery ends at the first checkpoint that completes after at least
 * {@code minRecords} records ran alone: twice the records the subtask took between its last two checkpoints. Ending
 * at the first checkpoint after the restart instead (as this once did) lets a checkpoint that completes before the
 * replay even reaches the poison pill end the recovery, and the pill then fails batch after batch, attempt after
 * attempt, unnoticed: on a busy machine, for minutes.
 */
final class Recovery {
    private final InFlightMarkers inFlight;
    private final Set<String> failedBefore;
    private final long minRecords;
    private boolean active;
    private long ranAlone;
    private long endsAtCheckpoint = Long.MAX_VALUE;

    private Recovery(InFlightMarkers inFlight, Set<String> failedBefore, long minRecords, boolean active) {
        this.inFlight = inFlight;
        this.failedBefore = failedBefore;
        this.minRecords = minRecords;
        this.active = active;
    }

    static Recovery none() {
        return new Recovery(null, new HashSet<>(), 0, false);
    }

    /**
     * Recovering after a failure: what the failed attempt had in flight is read from {@code inFlight}; records run
     * alone until at least {@code minRecords} (at least one) have, and a checkpoint after them completes.
     */
    static Recovery after(InFlightMarkers inFlight, long minRecords) {
        return new Recovery(inFlight, new HashSet<>(inFlight.readAll()), Math.max(1, minRecords), true);
    }

    /** How many records must run alone before a checkpoint can end the recovery. */
    long minRecords() {
        return minRecords;
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
        if (active) {
            ranAlone++;
            if (identity != null) {
                inFlight.clear();
            }
        }
    }

    /** A checkpoint's barrier passed; once enough records ran alone before it, its completion ends the recovery. */
    void checkpointTaken(long checkpointId) {
        if (active && ranAlone >= minRecords && endsAtCheckpoint == Long.MAX_VALUE) {
            endsAtCheckpoint = checkpointId;
        }
    }

    /** A checkpoint completed: if it is the one after enough records, every replayed record is past; batching again. */
    boolean checkpointCompleted(long checkpointId) {
        if (!active || checkpointId < endsAtCheckpoint) {
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
