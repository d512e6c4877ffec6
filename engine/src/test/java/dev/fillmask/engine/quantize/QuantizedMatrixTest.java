package dev.fillmask.engine.quantize;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizedMatrixTest {
    /** 3 rows × 3 columns: a wide column, a narrow one, and one of zeros. */
    private static final float[] W = {
            1.0f, 0.01f, 0f,
            -2.0f, -0.02f, 0f,
            0.5f, 0.005f, 0f};

    @Test
    void perColumnScalesKeepNarrowColumnsPrecise() {
        QuantizedMatrix q = QuantizedMatrix.quantize(FloatBuffer.wrap(W), 3, 3, Int8Options.defaults().withReduceRange(false));
        assertEquals(3, q.scales().length);
        assertEquals(2.0f / 127, q.scales()[0], 1e-9);
        assertEquals(0.02f / 127, q.scales()[1], 1e-9);
        assertEquals(1f, q.scales()[2], "a column of zeros gets scale 1, never 0");
        assertEquals(-127, q.values()[3], "the largest magnitude of a column maps to the end of the range");
        assertEquals(-127, q.values()[4]);
        for (int i = 0; i < W.length; i++) {
            float back = q.values()[i] * q.scales()[i % 3];
            assertEquals(W[i], back, q.scales()[i % 3] / 2 + 1e-9, "element " + i);
        }
    }

    @Test
    void perTensorScaleIsOneForAll() {
        QuantizedMatrix q = QuantizedMatrix.quantize(FloatBuffer.wrap(W), 3, 3,
                Int8Options.defaults().withPerChannel(false).withReduceRange(false));
        assertEquals(1, q.scales().length);
        assertEquals(2.0f / 127, q.scales()[0], 1e-9);
        assertEquals(1, q.values()[1], "0.01 is below one step of the whole matrix's scale and rounds to 1");
    }

    @Test
    void reducedRangeStaysWithinSevenBits() {
        QuantizedMatrix q = QuantizedMatrix.quantize(FloatBuffer.wrap(W), 3, 3, Int8Options.defaults().withReduceRange(true));
        for (byte b : q.values()) {
            assertTrue(b >= -63 && b <= 63, "value " + b);
        }
        assertEquals(-63, q.values()[3]);
    }
}
