package dev.fillmask.engine.model;

import java.nio.file.Path;

/**
 * The folder where fill-mask keeps what it makes once and reuses (the imported default model). The system
 * property wins over the environment variable, so one JVM (a test run) can be pointed elsewhere without touching
 * the shell; the default sits in the user's cache folder because it can always be rebuilt.
 */
public final class FillMaskHome {
    public static final String PROPERTY = "fillmask.home";
    public static final String ENVIRONMENT_VARIABLE = "FILL_MASK_HOME";

    private FillMaskHome() {}

    /** {@code -Dfillmask.home}, else {@code $FILL_MASK_HOME}, else {@code ~/.cache/fill-mask}; absolute. */
    public static Path resolve() {
        String property = System.getProperty(PROPERTY);
        if (property != null && !property.isBlank()) {
            return Path.of(property).toAbsolutePath();
        }
        String env = System.getenv(ENVIRONMENT_VARIABLE);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".cache", "fill-mask").toAbsolutePath();
    }

    /** Where imported models live, each in a folder of its own name. */
    public static Path models() {
        return resolve().resolve("models");
    }
}
