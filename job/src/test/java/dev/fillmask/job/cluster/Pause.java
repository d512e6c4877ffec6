package dev.fillmask.job.cluster;

/** Waiting between polls in the process tests: an interrupt ends the test instead of being swallowed. */
public final class Pause {
    private Pause() {}

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
