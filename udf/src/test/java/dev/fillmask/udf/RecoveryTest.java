package dev.fillmask.udf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When a subtask's recovery after a failure ends, and what it refuses. */
class RecoveryTest {
    @TempDir
    Path dir;

    private InFlightMarkers markers() {
        return InFlightMarkers.of(dir.toUri().toString(), "job", "operator", 0);
    }

    private static void runAlone(Recovery recovery, String identity) {
        recovery.running(identity);
        recovery.ran(identity);
    }

    @Test
    void aCheckpointThatCompletesBeforeTheReplayReachedAnythingDoesNotEndIt() {
        Recovery recovery = Recovery.after(markers(), 3);
        recovery.checkpointTaken(7);
        assertFalse(recovery.checkpointCompleted(7), "no record ran alone before checkpoint 7's barrier");
        runAlone(recovery, "r1");
        runAlone(recovery, "r2");
        recovery.checkpointTaken(8);
        assertFalse(recovery.checkpointCompleted(8), "2 of the 3 records");
        runAlone(recovery, "r3");
        assertTrue(recovery.active());
        recovery.checkpointTaken(9);
        assertFalse(recovery.checkpointCompleted(8), "an older checkpoint");
        assertTrue(recovery.checkpointCompleted(9));
        assertFalse(recovery.active(), "batching again");
        assertFalse(recovery.checkpointCompleted(10), "it ends once");
    }

    @Test
    void theRecordInFlightWhenTheAttemptFailedIsRefusedOnceAndOnlyIt() {
        InFlightMarkers before = markers();
        before.mark("topic/0/42"); // the attempt died while this record ran alone
        Recovery recovery = Recovery.after(markers(), 0);
        assertEquals(Set.of("topic/0/42"), recovery.failedBefore());
        assertEquals(1, recovery.minRecords(), "at least one record, however quiet the last interval was");
        assertNull(recovery.refusal("topic/0/41"));
        assertNotNull(recovery.refusal("topic/0/42"));
        assertNull(recovery.refusal("topic/0/42"), "refused once");
    }

    @Test
    void aFirstAttemptDoesNothing() {
        Recovery none = Recovery.none();
        assertFalse(none.active());
        none.checkpointTaken(1);
        assertFalse(none.checkpointCompleted(1));
        assertNull(none.refusal("anything"));
    }
}
