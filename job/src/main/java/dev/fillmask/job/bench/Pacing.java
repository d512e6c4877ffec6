package dev.fillmask.job.bench;

import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/** Sending at a set rate, as the jobs' latency rows do: request i leaves at i / rate seconds after the first. */
final class Pacing {
    private Pacing() {}

    /** Calls {@code send} with 0 .. count-1, each at its moment (at once when that has passed). */
    static void atRate(int count, double perSecond, IntConsumer send) throws InterruptedException {
        long interval = (long) (1e9 / perSecond);
        long next = System.nanoTime();
        for (int i = 0; i < count; i++) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            send.accept(i);
            next += interval;
        }
    }
}
