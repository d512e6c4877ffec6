package dev.fillmask.engine;

import org.junit.jupiter.api.Test;

import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class MaskWindowTest {
    /** [CLS]=1000, text tokens 1..n-2, [SEP]=2000; specials marked. */
    private static TokenizedText text(int n) {
        long[] ids = LongStream.range(0, n).toArray();
        ids[0] = 1000;
        ids[n - 1] = 2000;
        long[] special = new long[n];
        special[0] = 1;
        special[n - 1] = 1;
        return new TokenizedText(ids, new long[n], special);
    }

    @Test
    void shortInputIsUsedAsItIs() {
        TokenizedText t = text(10);
        ModelInput in = MaskWindow.fit(t, new int[] {4}, 10);
        assertSame(t.ids(), in.ids());
        assertArrayEquals(new int[] {4}, in.maskPositions());
    }

    @Test
    void longInputKeepsSpecialTokensAndCentresTheMasks() {
        TokenizedText t = text(100);
        ModelInput in = MaskWindow.fit(t, new int[] {50, 52}, 12);
        assertEquals(12, in.ids().length);
        assertEquals(1000, in.ids()[0]);
        assertEquals(2000, in.ids()[11]);
        // 10 text slots for a span of 3: 3 before the first mask, 4 after the last
        assertArrayEquals(new long[] {1000, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 2000}, in.ids());
        assertArrayEquals(new int[] {4, 6}, in.maskPositions());
        assertEquals(t.ids()[50], in.ids()[4]);
        assertEquals(t.ids()[52], in.ids()[6]);
    }

    @Test
    void windowSlidesToTheEndsWithoutLeavingTheText() {
        TokenizedText t = text(100);
        assertArrayEquals(new long[] {1000, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 2000},
                MaskWindow.fit(t, new int[] {2}, 12).ids());
        assertArrayEquals(new long[] {1000, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 2000},
                MaskWindow.fit(t, new int[] {97}, 12).ids());
    }

    @Test
    void masksFartherApartThanOneWindowCannotBeAnswered() {
        assertNull(MaskWindow.fit(text(100), new int[] {10, 80}, 12));
    }
}
