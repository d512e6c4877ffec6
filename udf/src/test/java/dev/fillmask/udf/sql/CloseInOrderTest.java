package dev.fillmask.udf.sql;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CloseInOrderTest {

    @Test
    void everyStepClosesInOrderAndTheFirstFailureCarriesTheLaterOnes() {
        List<String> closed = new ArrayList<>();
        IllegalStateException batcher = new IllegalStateException("batcher");
        IllegalStateException function = new IllegalStateException("function");
        Exception thrown = assertThrows(IllegalStateException.class, () -> CloseInOrder.closeAll(
                () -> { closed.add("batcher"); throw batcher; },
                null,
                () -> closed.add("model"),
                () -> { closed.add("function"); throw function; }));
        assertEquals(List.of("batcher", "model", "function"), closed, "a failing close does not skip the rest");
        assertEquals(batcher, thrown);
        assertArrayEquals(new Throwable[] {function}, thrown.getSuppressed());
    }

    @Test
    void nothingToCloseIsNoError() throws Exception {
        CloseInOrder.closeAll(null, null);
    }
}
