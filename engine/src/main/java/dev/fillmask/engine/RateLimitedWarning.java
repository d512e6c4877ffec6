package dev.fillmask.engine;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that is logged at most once per interval, with the number of times it was held back since; input
 * can repeat a warning thousands of times a second, and the log must stay readable.
 */
final class RateLimitedWarning {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedWarning(Logger log, long intervalMillis) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    void warn(String format, Object... args) {
        long now = System.nanoTime();
        long allowed = nextAllowed.get();
        if ((allowed == Long.MIN_VALUE || now - allowed >= 0) && nextAllowed.compareAndSet(allowed, now + intervalNanos)) {
            long held = suppressed.getAndSet(0);
            if (held > 0) {
                log.warn(format + " (and {} similar warnings held back)", append(args, held));
            } else {
                log.warn(format, args);
            }
        } else {
            suppressed.incrementAndGet();
        }
    }

    private static Object[] append(Object[] args, Object extra) {
        Object[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = extra;
        return all;
    }
}
