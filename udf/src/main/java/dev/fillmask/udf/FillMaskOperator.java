package dev.fillmask.udf;

import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.EngineStartException;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.model.ModelFolderException;
import dev.fillmask.engine.model.ModelVersion;

import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.ProcessingTimeService;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;

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
 * checkpointed state, and the records need no state of the operator's own (its only state is the model it serves,
 * below). (With one input, Flink chains it to its neighbours by default: no copies, no network hop.) Answers leave in arrival order, so the output of
 * one input partition keeps its order. A record whose request is malformed gets its error answer in its place.
 *
 * <p>A request the engine cannot answer gets its error answer; the engine itself keeps such a failure to the request
 * that caused it. What fails the task all the same (the model broken for every request, or a record that crashes
 * the process) restarts it; after a restart, replayed records run one at a time, each noted in flight, until the
 * replay has passed the failure ({@link Recovery}), and a record that was in flight when that careful attempt failed too is answered with
 * an error instead of being run again ({@link PoisonPills}).
 *
 * <p>With a second input, a stream of {@link ModelChange}s broadcast to every subtask, it swaps its model while it
 * runs: a subtask loads the new engine on a thread of its own ({@link ModelLoader}) while the old one keeps
 * answering, switches to it between two batches (never inside one: a batch's answers come from one model, and
 * {@link FillMaskRecords#answered(Object, FillMaskAnswer, ServingModel)} names it), then closes the old one. A load
 * that fails keeps the old model. Either way the subtask emits a {@link ModelStatus} to the side output
 * {@link FillMaskStream#MODEL_STATUS}. The model served, and changes not yet done, are the operator's (broadcast)
 * state, so a job restored from a checkpoint serves the model it served then. A change reaches the subtask as soon as
 * the requests buffered before it on the network let its checkpoint barrier through: the TaskManagers should debloat
 * those buffers, and subtask 0 warns at its start when they do not.
 */
public final class FillMaskOperator<IN, OUT> extends AbstractStreamOperator<OUT>
        implements OneInputStreamOperator<IN, OUT>, TwoInputStreamOperator<IN, ModelChange, OUT>, BoundedMultiInput,
        ProcessingTimeService.ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;
    private static final long NO_TIMESTAMP = Long.MIN_VALUE;
    private static final Logger LOG = LoggerFactory.getLogger(FillMaskOperator.class);
    /** How often a subtask looks whether a model it loads is ready, when no batch runs to look for it. */
    private static final long SWAP_POLL_MILLIS = 50;
    /** The records taken in since the last checkpoint, for {@link Recovery} after a restart. */
    static final ListStateDescriptor<Long> RECORDS_PER_CHECKPOINT =
            new ListStateDescriptor<>("fill-mask-records-per-checkpoint", Long.class);
    /** The operator's model state: the change it serves and pending ones ({@link ModelChanges}). */
    static final MapStateDescriptor<String, String> MODEL_STATE = new MapStateDescriptor<>("fill-mask-model",
            BasicTypeInfo.STRING_TYPE_INFO, BasicTypeInfo.STRING_TYPE_INFO);

    private final String modelFolder;
    private final EngineOptions engineOptions;
    private final BatchPolicy policy;
    private final FillMaskRecords<IN, OUT> records;
    private final PoisonPills poisonPills;
    private final ModelResolver modelResolver;

    private transient FillMaskEngine engine;
    /** The model {@link #engine} holds, named on every answer. */
    private transient ServingModel serving;
    private transient ModelLoader loader;
    /** The change served, the one loading and those waiting for it. */
    private transient ModelChanges changes;
    private transient boolean swapPollPending;
    private transient BroadcastState<String, String> modelState;
    private transient List<Pending<IN>> waiting;
    private transient StreamRecord<OUT> reusableOutput;
    private transient long oldestArrival;
    private transient boolean timerPending;
    private transient FillMaskMetrics metrics;
    private transient Recovery recovery;
    /** Records taken between the last two checkpoints: how far a replay after a failure reaches, about. */
    private transient ListState<Long> recordsPerCheckpoint;
    private transient long lastCheckpointRecords;
    private transient long recordsSinceCheckpoint;

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
        this(modelFolder, engineOptions, policy, records, poisonPills, ModelResolver.FOLDERS);
    }

    /** The same, with how the model of a {@link ModelChange} on the second input becomes a folder. */
    public FillMaskOperator(Path modelFolder, EngineOptions engineOptions, BatchPolicy policy,
                            FillMaskRecords<IN, OUT> records, PoisonPills poisonPills, ModelResolver modelResolver) {
        this.modelFolder = modelFolder.toString();
        this.engineOptions = engineOptions;
        this.policy = policy;
        this.records = records;
        this.poisonPills = poisonPills;
        this.modelResolver = modelResolver;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelState = context.getOperatorStateStore().getBroadcastState(MODEL_STATE);
        recordsPerCheckpoint = context.getOperatorStateStore().getListState(RECORDS_PER_CHECKPOINT);
        for (Long records : recordsPerCheckpoint.get()) {
            lastCheckpointRecords = Math.max(lastCheckpointRecords, records);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        recordsPerCheckpoint.update(List.of(recordsSinceCheckpoint));
        recordsSinceCheckpoint = 0;
        recovery.checkpointTaken(context.getCheckpointId());
        changes.snapshot(modelState);
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
        loader = new ModelLoader(modelResolver, slotOptions, "fill-mask-model-loader-" + subtask());
        warnIfChangesMayWaitBehindRequests();
        changes = new ModelChanges(loader);
        ModelChange restored = changes.restore(modelState);
        if (restored == null) {
            openStartupModel(slotOptions);
        } else {
            openRestoredModel(restored, slotOptions);
        }
        startNextLoad();
        int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
        recovery = Recovery.none();
        if (poisonPills == PoisonPills.DEAD_LETTER && attempt > 0) {
            recovery = Recovery.after(InFlightMarkers.of(inFlightBaseFolder(),
                    getRuntimeContext().getJobInfo().getJobId().toHexString(), getOperatorID().toHexString(),
                    getRuntimeContext().getTaskInfo().getIndexOfThisSubtask()), 2 * lastCheckpointRecords);
            LOG.warn("fill-mask: attempt {} after a failure: answering replayed records one at a time (at least {}, then "
                    + "until a checkpoint), noting each in {}; {} record(s) failed the previous attempt and get an error "
                    + "answer: {}", attempt, recovery.minRecords(), recovery.markers().folder(),
                    recovery.failedBefore().size(), recovery.failedBefore());
        }
    }

    /**
     * With a second input, requests reach this operator through network buffers, and model changes and checkpoint
     * barriers wait behind the requests buffered there (the inputs are aligned at each barrier). Unless the
     * TaskManager sizes those buffers to the throughput (buffer debloating), a backlog fills them with a minute or
     * more of requests on a CPU, and every swap and every checkpoint waits that long: said once, by subtask 0.
     */
    private void warnIfChangesMayWaitBehindRequests() {
        if (subtask() != 0 || getOperatorConfig().getInputs(getUserCodeClassloader()).length < 2) {
            return;
        }
        Configuration taskManager = getContainingTask().getEnvironment().getTaskManagerInfo().getConfiguration();
        if (!taskManager.get(TaskManagerOptions.BUFFER_DEBLOAT_ENABLED)) {
            LOG.warn("fill-mask: the TaskManager does not debloat its network buffers ({} is false): under a backlog "
                    + "a model swap, and every checkpoint with the commit of its answers, waits until the requests "
                    + "buffered before the operator are answered, a minute or more; set it to true on the "
                    + "TaskManagers (docs/operations.md, swapping the model)",
                    TaskManagerOptions.BUFFER_DEBLOAT_ENABLED.key());
        }
    }

    private void openStartupModel(EngineOptions slotOptions) {
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
        serving = ServingModel.of(Path.of(modelFolder), version);
        changes.serving(null);
        metrics.modelLoaded(version, loadMillis);
        LOG.info("fill-mask: subtask {} serves model {} version {} (modelVersion metric {}), opened in {} ms",
                subtask(), modelFolder, version, ModelVersion.shortNumber(version), loadMillis);
    }

    /**
     * A restored subtask serves the model its checkpoint served. If that cannot be loaded any more (its folder is
     * gone), it serves the start-up model, and says so as a failed change, rather than not starting at all.
     */
    private void openRestoredModel(ModelChange restored, EngineOptions slotOptions) {
        ModelLoader.Result result = loader.loadHere(restored);
        if (result.loaded()) {
            engine = result.engine();
            serving = result.model();
            changes.serving(restored);
            metrics.modelLoaded(serving.version(), result.millis());
            LOG.info("fill-mask: subtask {} restored: serves model {} ({}) version {} as at its checkpoint "
                    + "(modelVersion metric {}), opened in {} ms", subtask(), restored.model(), result.folder(),
                    serving.version(), ModelVersion.shortNumber(serving.version()), result.millis());
            return;
        }
        openStartupModel(slotOptions);
        String why = "restored from a checkpoint that served " + restored.model() + ", which cannot be loaded now ("
                + result.error() + "); serving the job's model " + modelFolder + " instead";
        metrics.modelSwapFailures.inc();
        LOG.warn("fill-mask: subtask {} {}", subtask(), why);
        emitStatus(restored, ModelStatus.Outcome.FAILED, why, result);
    }

    /** Handles a change of model: an invalid one gets its status at once, a valid one loads after those before it. */
    @Override
    public void processElement2(StreamRecord<ModelChange> element) {
        ModelChange change = element.getValue();
        if (!change.isValid()) {
            LOG.warn("fill-mask: subtask {} ignores a control record (id {}): {}", subtask(), change.id(),
                    change.invalid());
            emitStatus(change, ModelStatus.Outcome.REJECTED, change.invalid(), null);
            return;
        }
        LOG.info("fill-mask: subtask {} loads model {}{} (id {}) beside model {} version {}", subtask(),
                change.model(), change.version() == null ? "" : " version " + change.version(), change.id(),
                serving.name(), serving.version());
        changes.add(change);
        startNextLoad();
    }

    private void startNextLoad() {
        changes.startNext();
        if (changes.isLoading()) {
            scheduleSwapPoll();
        }
    }

    /** While a model loads, looks every few milliseconds whether it is ready, for a subtask that has no batch to run. */
    private void scheduleSwapPoll() {
        if (!swapPollPending) {
            swapPollPending = true;
            getProcessingTimeService().registerTimer(
                    getProcessingTimeService().getCurrentProcessingTime() + SWAP_POLL_MILLIS, time -> {
                        swapPollPending = false;
                        swapIfLoaded();
                        if (changes.isLoading()) {
                            scheduleSwapPoll();
                        }
                    });
        }
    }

    /**
     * Between two batches (on the task thread, as every batch): a model done loading takes over, or its failure is
     * reported and the old one stays. The old engine is closed on the loader's thread.
     */
    private void swapIfLoaded() {
        ModelChanges.Finished finished = changes.takeFinished();
        if (finished == null) {
            return;
        }
        ModelLoader.Result result = finished.result();
        ModelChange change = finished.change();
        if (result.loaded()) {
            FillMaskEngine old = engine;
            ServingModel before = serving;
            engine = result.engine();
            serving = result.model();
            changes.serving(change);
            loader.closeLater(old);
            metrics.modelLoaded(serving.version(), result.millis());
            metrics.modelSwaps.inc();
            LOG.info("fill-mask: subtask {} swapped model {} version {} for model {} ({}) version {} (id {}, "
                    + "modelVersion metric {}), loaded in {} ms", subtask(), before.name(), before.version(),
                    change.model(), result.folder(), serving.version(), change.id(),
                    ModelVersion.shortNumber(serving.version()), result.millis());
            emitStatus(change, ModelStatus.Outcome.SWAPPED, null, result);
        } else {
            metrics.modelSwapFailures.inc();
            LOG.warn("fill-mask: subtask {} cannot swap to model {} (id {}), keeps serving model {} version {}: {}",
                    subtask(), change.model(), change.id(), serving.name(), serving.version(), result.error());
            emitStatus(change, ModelStatus.Outcome.FAILED, result.error(), result);
        }
        startNextLoad();
    }

    private void emitStatus(ModelChange change, ModelStatus.Outcome outcome, String error, ModelLoader.Result result) {
        ModelStatus status = new ModelStatus(subtask(), getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(),
                change.id(), change.model(), outcome, error,
                result == null || result.folder() == null ? null : result.folder().toString(),
                result == null || result.model() == null ? null : result.model().version(),
                result == null ? -1 : result.millis(), serving);
        output.collect(FillMaskStream.MODEL_STATUS, new StreamRecord<>(status));
    }

    private int subtask() {
        return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
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

    /** For tests in this package: waits until the model being loaded, if any, is loaded or has failed (not swapped yet). */
    void awaitLoad() {
        changes.awaitLoad();
    }

    /** For tests in this package: the metrics after {@link #open()}. */
    FillMaskMetrics metrics() {
        return metrics;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        if (recovery.checkpointCompleted(checkpointId)) {
            LOG.info("fill-mask: checkpoint {} completed after the restart and {} replayed records run alone: batching "
                    + "again", checkpointId, recovery.minRecords());
        }
    }

    @Override
    public void processElement1(StreamRecord<IN> element) throws Exception {
        processElement(element);
    }

    @Override
    public void processElement(StreamRecord<IN> element) throws Exception {
        metrics.requests.inc();
        recordsSinceCheckpoint++;
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

    /** The requests' watermarks pass as they do with one input: the control stream has no say in event time. */
    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {
        // the control stream's time means nothing to the requests
    }

    @Override
    protected void processWatermarkStatus(WatermarkStatus status, int inputId) throws Exception {
        if (inputId == 0) {
            super.processWatermarkStatus(status, inputId);
        }
    }

    /** The end of the requests runs what waits, even while the control stream goes on. */
    @Override
    public void endInput(int inputId) {
        if (inputId == 1) {
            runBatch();
        }
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
            if (loader != null) {
                loader.close(); // waits, a bounded time, for a load in flight and for old engines being closed
                loader = null;
            }
            if (changes != null) {
                changes.closeUnserved();
            }
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
        swapIfLoaded();
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
            reusableOutput.replace(records.answered(pending.record(), answer, serving));
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
