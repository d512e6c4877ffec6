package dev.fillmask.engine;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;

import java.util.Locale;

/** ONNX Runtime's graph optimization levels, by the names its documentation uses. */
public enum GraphOptimization {
    NONE(OptLevel.NO_OPT),
    BASIC(OptLevel.BASIC_OPT),
    EXTENDED(OptLevel.EXTENDED_OPT),
    ALL(OptLevel.ALL_OPT);

    final OptLevel ortLevel;

    GraphOptimization(OptLevel ortLevel) {
        this.ortLevel = ortLevel;
    }

    /** The level as ONNX Runtime's Java API names it. */
    public OptLevel ortLevel() {
        return ortLevel;
    }

    public static GraphOptimization parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown graph optimization level '" + name
                    + "': use none, basic, extended or all");
        }
    }

    /** The lower-case name options and messages use (Flink matches enum options by it, ignoring case). */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
