package dev.fillmask.engine;

/**
 * DJL calls a cloud metadata address when a tokenizer is created unless told not to (docs/operations.md). The code
 * that creates tokenizers sets the switches itself, so no launcher, test runner or TaskManager can forget them.
 */
public final class DjlOffline {
    private DjlOffline() {}

    public static void ensure() {
        setIfAbsent("OPT_OUT_TRACKING", "true");
        setIfAbsent("ai.djl.offline", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
