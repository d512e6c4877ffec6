package dev.fillmask.engine;

import dev.fillmask.schemas.RequestLimits;

import java.io.Serializable;

/**
 * How an engine opens its ONNX Runtime session, and the request limits it enforces.
 *
 * @param intraOpThreads threads ONNX Runtime uses inside one run; 0 means all available cores. With several
 *     engines in one process (several Flink slots) give each cores / engines: oversubscribing is far slower.
 * @param optimization the graph optimization level applied when the session is created
 * @param provider CPU, or CUDA on a GPU build
 * @param deviceId the GPU to use when the provider is CUDA, or {@link #AUTO_DEVICE}: where Flink runs the engine, the
 *     GPU Flink's {@code gpu} external resource gave the TaskManager (spread over its slots); elsewhere GPU 0
 * @param cpuFallback when CUDA is asked for but cannot be used: true runs on CPU with a warning, false fails
 * @param limits bounds on requests (masks, targets, top_k…), each answered by an error
 * @param sharedWeights the sessions of one process on the same model share one memory-mapped copy of its weights
 *     (CPU only): each further engine then costs its graph, activations and packed MatMul weights, not the model
 * @param prepacking ONNX Runtime packs every MatMul weight into the layout its kernels read fastest, a copy per
 *     session about the size of the weights that cannot be shared; false reads the weights as they are, which saves
 *     that memory per slot and costs speed (see docs/performance.md, "Memory per slot")
 * @param spinWait ONNX Runtime's intra-op threads spin while they wait for work instead of sleeping: quicker to
 *     start each operator on an otherwise idle machine, but they keep burning their cores between runs, where the
 *     TaskManager's other threads (Kafka clients, network, other slots) need them (docs/performance.md, "Spinning")
 */
public record EngineOptions(
        int intraOpThreads,
        GraphOptimization optimization,
        ExecutionProvider provider,
        int deviceId,
        boolean cpuFallback,
        RequestLimits limits,
        boolean sharedWeights,
        boolean prepacking,
        boolean spinWait) implements Serializable {

    /** The device id that means "the GPU this slot was given", or 0 outside Flink. */
    public static final int AUTO_DEVICE = -1;

    public EngineOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intra-op threads must be >= 0 (0 = all cores), got " + intraOpThreads);
        }
        if (deviceId < AUTO_DEVICE) {
            throw new IllegalArgumentException("device id must be >= 0, or auto, got " + deviceId);
        }
    }

    public static EngineOptions defaults() {
        return new EngineOptions(0, GraphOptimization.ALL, ExecutionProvider.CPU, 0, false, RequestLimits.defaults(),
                true, true, false);
    }

    public EngineOptions withIntraOpThreads(int threads) {
        return new EngineOptions(threads, optimization, provider, deviceId, cpuFallback, limits, sharedWeights,
                prepacking, spinWait);
    }

    public EngineOptions withOptimization(GraphOptimization level) {
        return new EngineOptions(intraOpThreads, level, provider, deviceId, cpuFallback, limits, sharedWeights,
                prepacking, spinWait);
    }

    public EngineOptions withProvider(ExecutionProvider newProvider, int newDeviceId, boolean fallback) {
        return new EngineOptions(intraOpThreads, optimization, newProvider, newDeviceId, fallback, limits, sharedWeights,
                prepacking, spinWait);
    }

    public EngineOptions withLimits(RequestLimits newLimits) {
        return new EngineOptions(intraOpThreads, optimization, provider, deviceId, cpuFallback, newLimits, sharedWeights,
                prepacking, spinWait);
    }

    public EngineOptions withSharedWeights(boolean shared) {
        return new EngineOptions(intraOpThreads, optimization, provider, deviceId, cpuFallback, limits, shared,
                prepacking, spinWait);
    }

    public EngineOptions withPrepacking(boolean prepack) {
        return new EngineOptions(intraOpThreads, optimization, provider, deviceId, cpuFallback, limits, sharedWeights,
                prepack, spinWait);
    }

    public EngineOptions withSpinWait(boolean spin) {
        return new EngineOptions(intraOpThreads, optimization, provider, deviceId, cpuFallback, limits, sharedWeights,
                prepacking, spin);
    }

    /** The GPU a session opens: {@link #deviceId()}, or 0 when it is still {@link #AUTO_DEVICE}. */
    public int effectiveDeviceId() {
        return Math.max(0, deviceId);
    }

    /** The thread count actually used: {@link #intraOpThreads()}, or every available core when that is 0. */
    public int effectiveIntraOpThreads() {
        return intraOpThreads > 0 ? intraOpThreads : Runtime.getRuntime().availableProcessors();
    }
}
