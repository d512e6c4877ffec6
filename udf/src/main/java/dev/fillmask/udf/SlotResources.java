package dev.fillmask.udf;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.ExecutionProvider;

import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one slot's engine may use of its TaskManager: a fair share of the cores, and on GPU TaskManagers one of the
 * GPUs Flink's external resource framework gave the TaskManager.
 */
public final class SlotResources {
    /** The external resource name of the GPUs (Flink's {@code external-resources: gpu}). */
    public static final String GPU_RESOURCE = "gpu";
    /** The property Flink's GPU driver gives each GPU: its index on the node. */
    static final String GPU_INDEX = "index";

    private SlotResources() {}

    /**
     * {@code options} with the threads and device this slot should use. Threads 0 ("auto") become cores / slots of
     * this TaskManager: several sessions that each use every core run far slower than one core each. A CUDA device
     * of {@link EngineOptions#AUTO_DEVICE} becomes the GPU Flink assigned, spread over the subtasks, or 0 when Flink
     * assigned none.
     */
    static EngineOptions forSlot(EngineOptions options, Configuration taskManagerConfig,
                                 Set<ExternalResourceInfo> gpus, int subtaskIndex) {
        return forSubtask(options, taskManagerConfig.get(TaskManagerOptions.NUM_TASK_SLOTS), gpus, subtaskIndex);
    }

    /**
     * {@link #forSlot}, for a subtask that cannot see its TaskManager's configuration (a SQL function): the cores
     * are shared by {@code sharingSubtasks} engines.
     */
    public static EngineOptions forSubtask(EngineOptions options, int sharingSubtasks, Set<ExternalResourceInfo> gpus,
                                           int subtaskIndex) {
        EngineOptions result = options;
        if (options.intraOpThreads() == 0) {
            int cores = Runtime.getRuntime().availableProcessors();
            result = result.withIntraOpThreads(Math.max(1, cores / Math.max(1, sharingSubtasks)));
        }
        if (options.provider() == ExecutionProvider.CUDA && options.deviceId() == EngineOptions.AUTO_DEVICE) {
            int device = gpuIndex(gpus, subtaskIndex).orElse(0);
            result = result.withProvider(options.provider(), device, options.cpuFallback());
        }
        return result;
    }

    static Optional<Integer> gpuIndex(Set<ExternalResourceInfo> gpus, int subtaskIndex) {
        List<Integer> indexes = gpus.stream()
                .map(info -> info.getProperty(GPU_INDEX).orElse(null))
                .filter(Objects::nonNull)
                .map(String::trim)
                .filter(s -> s.matches("\\d+"))
                .map(Integer::valueOf)
                .sorted()
                .toList();
        if (indexes.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(indexes.get(subtaskIndex % indexes.size()));
    }
}
