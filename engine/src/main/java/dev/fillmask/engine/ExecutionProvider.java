package dev.fillmask.engine;

import java.util.Locale;

/** Where ONNX Runtime runs the model. CUDA needs the {@code onnxruntime_gpu} build and CUDA 12 / cuDNN 9 on the node. */
public enum ExecutionProvider {
    CPU,
    CUDA;

    public static ExecutionProvider parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown execution provider '" + name + "': use cpu or cuda");
        }
    }

    /** The lower-case name options and messages use (Flink matches enum options by it, ignoring case). */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
