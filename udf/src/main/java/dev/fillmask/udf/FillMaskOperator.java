package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.EngineStartException;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelFolderException;
import dev.fillmask.engine.model.ModelVersion;

import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The fill-mask operator: ONE engine (one ONNX Runtime session, one tokenizer) per parallel instance, i.e. per slot,
 * opened in {@link #open()} and closed in {@link #close()}. Records wait in a micro-batch that runs when it is full,
 * when its oldest record has waited the policy's delay, before every checkpoint barrier leaves the operator and at
 * the end of input. So the buffer is always empty when state is snapshotted: no record ever sits outside
 * checkpointed state, and the operator needs no state of its own. (Flink chains it to its neighbours by default:
 * no copies, no network hop.) Answers leave in arrival order, so the output of
 * one input partition keeps its order. A record whose request is malformed gets its error answer in its place.
 *
 * <p>A request the engine cannot answer gets its error answer; the engine itself keeps such a failure to the request
 * that caused it. What fails the task all the same (the model broken for every request, or a record that crashes
 * the process) restarts it; after a restart, replayed records run one at a time, each noted in flight, until the
 * first checkpoint completes, and a record that was in flight when that careful attempt failed too is answered with
 * an error instead of being run again ({@link PoisonPills}).
 */
public final class FillMaskOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, ProcessingTimeService.ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;
    private static final long NO_TIMESTAMP = Long.MIN_VALUE;
    private static final Logger LOG = LoggerFactory.getLogger(FillMaskOperator.class);

    private final String modelFolder;
    private final EngineOptions engineOptions;
    private final BatchPolicy policy;
    private final FillMaskRecords<IN, OUT> records;
    private final PoisonPills poisonPills;

    private transient FillMaskEngine engine;
    private transient List<Pending<IN>> waiting;
    private transient StreamRecord<OUT> reusableOutput;
    private transient long oldestArrival;
    private transient boolean timerPending;
    private transient FillMaskMetrics metrics;
    private transient Recovery recovery;

    /**
     * A record waiting for its batch: its value and timestamp, not its StreamRecord (upstream may reuse that object
     * for the next record), and its request as decoded on arrival.
     */
    private record Pending<IN>(IN record, DecodedRequest request, long timestamp) {}

    /**
     * @param modelFolder a model folder in the Hugging Face ONNX export layout, readable on every TaskManager
     * @param engineOptions session options; threads 0 means cores / slots of the TaskManager, device
     *     {@link EngineOptions#AUTO_DEVICE} the GPU Flink's {@code gpu} external resource gave this slot
     */
    public FillMaskOperator(Path modelFolder, EngineOptions engineOptions, BatchPolicy policy,
                            FillMaskRecords<IN, OUT> records) {
        this(modelFolder, engineOptions, policy, records, PoisonPills.DEAD_LETTER);
    }

    /** The same, with a policy for records that fail the job again after a restart. */
    public FillMaskOperator(Path modelFolder, EngineOptions engineOptions, BatchPolicy policy,
                            FillMaskRecords<IN, OUT> records, PoisonPills poisonPills) {
        this.modelFolder = modelFolder.toString();
        this.engineOptions = engineOptions;
        this.policy = policy;
        this.records = records;
        this.poisonPills = poisonPills;
    }

    @Override
    public void open() throws Exception {
        super.open();
        waiting = new ArrayList<>(policy.maxSize());
        reusableOutput = new StreamRecord<>(null);
        metrics = new FillMaskMetrics(getMetricGroup(), () -> waiting.size());
        Set<ExternalResourceInfo> gpus = engineOptions.deviceId() == EngineOptions.AUTO_DEVICE
                ? getRuntimeContext().getExternalResourceInfos(SlotResources.GPU_RESOURCE)
                : Set.of();
        EngineOptions slotOptions = SlotResources.forSlot(engineOptions,
                getContainingTask().getEnvironment().getTaskManagerInfo().getConfiguration(), gpus,
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        long loadStart = System.nanoTime();
        try {
            engine = FillMaskEngine.open(Path.of(modelFolder), slotOptions);
        } catch (EngineStartException | ModelFolderException e) {
            throw new EngineUnavailableException("fill-mask subtask "
                    + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks() + " cannot open its engine: "
                    + e.getMessage(), e);
        }
        long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
        // After the open: the folder has been checked against its manifest, so the manifest's hash stands for it.
        String version = ModelVersion.of(engine.modelFolder().path());
        metrics.modelLoaded(version, loadMillis);
        LOG.info("fill-mask: subtask {} serves model {} version {} (modelVersion metric {}), opened in {} ms",
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(), modelFolder, version,
                ModelVersion.shortNumber(version), loadMillis);
        int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        recovery = Recovery.none();
        if (poisonPills == PoisonPills.DEAD_LETTER && attempt > 0) {
            recovery = Recovery.after(InFlightMarkers.of(inFlightBaseFolder(),
                    getRuntimeContext().getJobInfo().getJobId().toHexString(), getOperatorID().toHexString(),
                    getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()));
            LOG.warn("fill-mask: attempt {} after a failure: answering replayed records one at a time until the next "
                    + "checkpoint, noting each in {}; {} record(s) failed the previous attempt and get an error answer: {}",
                    attempt, recovery.markers().folder(), recovery.failedBefore().size(), recovery.failedBefore());
        }
    }

    /**
     * Where in-flight records are noted: beside the checkpoints when the cluster has a checkpoint folder (reachable
     * from every TaskManager), else in the temporary folder (enough when the job restarts in the same process).
     */
    private String inFlightBaseFolder() {
        String key = "execution.checkpointing.dir";
        String folder = getContainingTask().getEnvironment().getJobConfiguration().getString(key, null);
        if (folder == null) {
            folder = getContainingTask().getEnvironment().getTaskManagerInfo().getConfiguration().getString(key, null);
        }
        return folder != null ? folder : System.getProperty("java.io.tmpdir");
    }

    /** For tests in this package: the metrics after {@link #open()}. */
    FillMaskMetrics metrics() {
        return metrics;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        if (recovery.checkpointCompleted()) {
            LOG.info("fill-mask: checkpoint {} completed after the restart: batching again", checkpointId);
        }
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        metrics.requests.inc();
        if (waiting.isEmpty()) {
            oldestArrival = getProcessingTimeService().getCurrentProcessingTime();
            scheduleDeadline(oldestArrival + policy.maxDelay().toMillis());
        }
        IN record = element.getValue();
        DecodedRequest request = recovery.refusal(records.identity(record));
        if (request != null) {
            metrics.poisonPills.inc();
        } else {
            request = records.decode(record);
        }
        waiting.add(new Pending<>(record, request, element.hasTimestamp() ? element.getTimestamp() : NO_TIMESTAMP));
        if (recovery.active() || waiting.size() >= policy.maxSize()) {
            runBatch();
        }
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        timerPending = false;
        if (waiting.isEmpty()) {
            return;
        }
        long deadline = oldestArrival + policy.maxDelay().toMillis();
        if (time >= deadline) {
            runBatch();
        } else {
            scheduleDeadline(deadline);
        }
    }

    private void scheduleDeadline(long deadline) {
        // One timer at a time: a timer that fires for a batch already run finds a younger batch and re-arms itself.
        if (!timerPending) {
            timerPending = true;
            getProcessingTimeService().registerTimer(deadline, this);
        }
    }

    /** A watermark must not overtake the records waiting here, or they would turn late downstream. */
    @Override
    public void processWatermark(Watermark mark) throws Exception {
        runBatch();
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        runBatch();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    @Override
    public void finish() throws Exception {
        runBatch();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (engine != null) {
                engine.close();
                engine = null;
            }
        } finally {
            super.close();
        }
    }

    /** Runs the model once on every valid waiting request, then emits every waiting record's answer in order. */
    private void runBatch() {
        if (waiting == null || waiting.isEmpty()) {
            return;
        }
        List<DecodedRequest> requests = new ArrayList<>(waiting.size());
        for (Pending<IN> pending : waiting) {
            requests.add(pending.request());
        }
        // While recovering a batch is one record: the one noted in flight.
        String noted = recovery.active() ? records.identity(waiting.get(0).record()) : null;
        recovery.running(noted);
        long start = System.nanoTime();
        List<FillMaskAnswer> answers = engine.answer(requests);
        metrics.inferenceMillis.update((System.nanoTime() - start) / 1_000_000);
        metrics.batchSize.update(waiting.size());
        for (int i = 0; i < waiting.size(); i++) {
            Pending<IN> pending = waiting.get(i);
            FillMaskAnswer answer = answers.get(i);
            if (answer.isError()) {
                metrics.errors.inc();
            }
            reusableOutput.replace(records.answered(pending.record(), answer));
            if (pending.timestamp() == NO_TIMESTAMP) {
                reusableOutput.eraseTimestamp();
            } else {
                reusableOutput.setTimestamp(pending.timestamp());
            }
            output.collect(reusableOutput);
            metrics.answers.inc();
        }
        waiting.clear();
        recovery.ran(noted);
    }
}
