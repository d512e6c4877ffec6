package dev.fillmask.job;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.schemas.RequestLimits;

import org.apache.flink.configuration.ReadableConfig;

import java.util.Locale;

/** The engine's options as {@link FillMaskOptions#ENGINE} set them: one reading for the job and every command. */
public final class EngineSettings {
    private EngineSettings() {}

    /** The engine options the configuration sets, with these request bounds. */
    public static EngineOptions of(ReadableConfig options, RequestLimits limits) {
        int threads = options.get(FillMaskOptions.THREADS);
        if (threads < 0) {
            throw new IllegalArgumentException("--" + FillMaskOptions.flagName(FillMaskOptions.THREADS)
                    + " must be >= 0 (0 = cores / slots), got " + threads);
        }
        return EngineOptions.defaults()
                .withLimits(limits)
                .withIntraOpThreads(threads)
                .withOptimization(options.get(FillMaskOptions.OPTIMIZATION))
                .withSharedWeights(options.get(FillMaskOptions.SHARED_WEIGHTS))
                .withPrepacking(options.get(FillMaskOptions.PREPACKING))
                .withSpinWait(options.get(FillMaskOptions.SPIN_WAIT))
                .withProvider(options.get(FillMaskOptions.PROVIDER), device(options.get(FillMaskOptions.DEVICE)),
                        options.get(FillMaskOptions.CPU_FALLBACK));
    }

    /** {@code auto} or a GPU number, as a device id ({@link EngineOptions#AUTO_DEVICE} for auto). */
    static int device(String value) {
        String v = value == null ? FillMaskOptions.AUTO : value.trim().toLowerCase(Locale.ROOT);
        if (v.equals(FillMaskOptions.AUTO)) {
            return EngineOptions.AUTO_DEVICE;
        }
        try {
            int id = Integer.parseInt(v);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException("--" + FillMaskOptions.flagName(FillMaskOptions.DEVICE)
                + " must be auto or a GPU number (0, 1, ...), got '" + value + "'");
    }
}
