package dev.fillmask.gateway.kafka;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PendingAnswersTest {
    private static final KafkaAnswer ANSWER = new KafkaAnswer("[]".getBytes(), "m", "v");

    @Test
    void eachAnswerGoesToTheRequestWaitingUnderItsKeyOnce() {
        PendingAnswers table = new PendingAnswers("gw-a/", 10, Duration.ofMinutes(1));
        List<PendingAnswers.Pending> entries = table.reserve(3);
        assertEquals(3, entries.stream().map(PendingAnswers.Pending::key).distinct().count());
        entries.forEach(e -> assertTrue(table.owns(e.key())));
        assertFalse(table.owns("gw-b/1"));
        assertTrue(table.complete(entries.get(1).key(), ANSWER));
        assertArrayEquals(ANSWER.value(), entries.get(1).answer().join().value());
        assertFalse(table.complete(entries.get(1).key(), ANSWER), "a repeated answer finds nobody waiting");
        assertFalse(table.complete("gw-a/999", ANSWER));
        assertEquals(2, table.size());
    }

    @Test
    void theTableIsBoundedAndFreesAPlaceForEveryAnswerTimeoutOrFailure() {
        PendingAnswers table = new PendingAnswers("gw/", 3, Duration.ofMillis(50));
        List<PendingAnswers.Pending> first = table.reserve(2);
        assertEquals(List.of(), table.reserve(2), "2 + 2 > 3: refused as a whole");
        assertEquals(1, table.reserve(1).size());
        CompletionException timedOut = assertThrows(CompletionException.class, () -> first.get(0).answer().join());
        assertInstanceOf(TimeoutException.class, timedOut.getCause());
        assertFalse(table.complete(first.get(0).key(), ANSWER), "a late answer finds nobody waiting");
        awaitSize(table, 0);
        assertEquals(3, table.reserve(3).size());
    }

    @Test
    void closingFailsEveryRequestStillWaitingAndRefusesNewOnes() {
        PendingAnswers table = new PendingAnswers("gw/", 10, Duration.ofMinutes(1));
        List<PendingAnswers.Pending> entries = table.reserve(4);
        table.complete(entries.get(0).key(), ANSWER);
        assertEquals(3, table.close(503, "shutting down"));
        for (PendingAnswers.Pending e : entries.subList(1, 4)) {
            CompletionException failed = assertThrows(CompletionException.class, () -> e.answer().join());
            assertEquals(503, ((GatewayException) failed.getCause()).status());
        }
        assertEquals(503, assertThrows(GatewayException.class, () -> table.reserve(1)).status());
    }

    private static void awaitSize(PendingAnswers table, int size) {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (table.size() != size && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertEquals(size, table.size());
    }
}
