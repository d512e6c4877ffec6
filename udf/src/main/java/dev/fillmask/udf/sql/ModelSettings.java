package dev.fillmask.udf.sql;

import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.importer.ModelCatalog;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.EngineStartException;
import dev.fillmask.engine.ExecutionProvider;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelFolderException;
import dev.fillmask.schemas.RequestLimits;
import dev.fillmask.udf.BatchPolicy;
import dev.fillmask.udf.EngineUnavailableException;
import dev.fillmask.udf.SlotResources;

import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.functions.FunctionContext;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Set;

/**
 * What a SQL function needs to open its engine, read from {@link FillMaskModelOptions} where the statement is planned
 * and carried to the TaskManagers in the function: the model folder (the built-in model resolved to its folder), the
 * engine's options, the batch policy and the default top_k.
 */
public record ModelSettings(String modelFolder, EngineOptions engineOptions, BatchPolicy batchPolicy,
                            int defaultTopK) implements Serializable {

    /** The settings {@code options} give; a wrong value is an {@link IllegalArgumentException} naming the option. */
    public static ModelSettings of(ReadableConfig options) {
        RequestLimits limits = new RequestLimits(options.get(FillMaskModelOptions.MAX_REQUEST_BYTES),
                options.get(FillMaskModelOptions.MAX_INPUT_CHARS), options.get(FillMaskModelOptions.MAX_MASKS),
                options.get(FillMaskModelOptions.MAX_TARGETS), options.get(FillMaskModelOptions.MAX_TOP_K),
                options.get(FillMaskModelOptions.MAX_ANSWER_BYTES));
        int threads = options.get(FillMaskModelOptions.THREADS);
        if (threads < 0) {
            throw new IllegalArgumentException("'" + FillMaskModelOptions.THREADS.key()
                    + "' must be >= 0 (0 = cores / subtasks), got " + threads);
        }
        int topK = options.get(FillMaskModelOptions.TOP_K);
        if (topK < 1 || topK > limits.maxTopK()) {
            throw new IllegalArgumentException("'" + FillMaskModelOptions.TOP_K.key() + "' must be between 1 and '"
                    + FillMaskModelOptions.MAX_TOP_K.key() + "' (" + limits.maxTopK() + "), got " + topK);
        }
        EngineOptions engineOptions = EngineOptions.defaults()
                .withLimits(limits)
                .withIntraOpThreads(threads)
                .withProvider(options.get(FillMaskModelOptions.PROVIDER), device(options.get(FillMaskModelOptions.DEVICE)),
                        options.get(FillMaskModelOptions.CPU_FALLBACK));
        BatchPolicy policy = new BatchPolicy(options.get(FillMaskModelOptions.BATCH_SIZE),
                options.get(FillMaskModelOptions.BATCH_MAX_DELAY));
        return new ModelSettings(modelFolder(options.get(FillMaskModelOptions.MODEL)).toString(), engineOptions,
                policy, topK);
    }

    /** {@code auto} or a GPU number, as a device id. */
    private static int device(String value) {
        String v = value.trim();
        if (v.equalsIgnoreCase("auto")) {
            return EngineOptions.AUTO_DEVICE;
        }
        try {
            int id = Integer.parseInt(v);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("'" + FillMaskModelOptions.DEVICE.key()
                + "' must be auto or a GPU number (0, 1, ...), got '" + value + "'");
    }

    private static Path modelFolder(String model) {
        // Resolved where the statement is planned; on a cluster the same path must exist on every TaskManager.
        try {
            return ModelCatalog.resolve(model, System.err);
        } catch (ModelImportException e) {
            throw new IllegalArgumentException("'" + FillMaskModelOptions.MODEL.key() + "': " + e.getMessage(), e);
        }
    }

    /** This subtask's engine: its share of the cores, its GPU. */
    public FillMaskEngine openEngine(FunctionContext context) {
        Set<org.apache.flink.api.common.externalresource.ExternalResourceInfo> gpus =
                engineOptions.deviceId() == EngineOptions.AUTO_DEVICE && engineOptions.provider() == ExecutionProvider.CUDA
                ? context.getExternalResourceInfos(SlotResources.GPU_RESOURCE) : Set.of();
        int subtasks = Math.min(context.getTaskInfo().getNumberOfParallelSubtasks(),
                Runtime.getRuntime().availableProcessors());
        EngineOptions options = SlotResources.forSubtask(engineOptions, subtasks, gpus,
                context.getTaskInfo().getIndexOfThisSubtask());
        try {
            return FillMaskEngine.open(Path.of(modelFolder), options);
        } catch (EngineStartException | ModelFolderException e) {
            throw new EngineUnavailableException("fill-mask subtask " + context.getTaskInfo().getTaskNameWithSubtasks()
                    + " cannot open its engine: " + e.getMessage(), e);
        }
    }
}
