package dev.fillmask.gateway.http;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BoundedBodyTest {
    @Test
    void aBodyUpToTheLimitIsReadWhole() throws Exception {
        byte[] body = new byte[1000];
        body[999] = 7;
        assertArrayEquals(body, BoundedBody.read("1000", new ByteArrayInputStream(body), 1000));
        assertArrayEquals(body, BoundedBody.read(null, new ByteArrayInputStream(body), 1000));
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeAnyByteIsRead() {
        CountingStream body = new CountingStream(Long.MAX_VALUE);
        BodyTooLargeException e = assertThrows(BodyTooLargeException.class,
                () -> BoundedBody.read("5000000000", body, 1 << 20));
        assertEquals(0, body.read.get(), "not one byte read");
        assertTrue(e.getMessage().contains("5,000,000,000"), e.getMessage());
    }

    @Test
    void aBodyWithoutLengthIsCountedAndRefusedAtTheFirstByteOverTheLimit() {
        CountingStream endless = new CountingStream(Long.MAX_VALUE);
        assertThrows(BodyTooLargeException.class, () -> BoundedBody.read(null, endless, 100_000));
        assertEquals(100_001, endless.read.get(), "read no further than one byte over the limit");
        // A body that lies about its length (shorter header, longer body) is still cut at the limit.
        CountingStream liar = new CountingStream(Long.MAX_VALUE);
        assertThrows(BodyTooLargeException.class, () -> BoundedBody.read("10", liar, 100_000));
    }

    /** An endless body of zeros that counts what was read. */
    private static final class CountingStream extends InputStream {
        final AtomicLong read = new AtomicLong();
        private final long length;

        CountingStream(long length) {
            this.length = length;
        }

        @Override
        public int read() {
            return read.get() < length ? (int) (read.incrementAndGet() * 0) : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            int n = (int) Math.min(len, length - read.get());
            read.addAndGet(n);
            return n <= 0 ? -1 : n;
        }
    }
}
