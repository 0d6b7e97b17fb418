package org.streamrec.flink.serving;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;

import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.InternalTimer;
import org.apache.flink.streaming.api.operators.InternalTimerService;
import org.apache.flink.streaming.api.operators.Triggerable;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.ServingControl;
import org.streamrec.flink.io.UserIdHash;
import org.streamrec.model.NextItemScorer;
import org.streamrec.model.TopK;

/**
 * The serving job's keyed session operator, on {@code keyBy(userId)}. Input 1: validated {@link ClickEvent}s;
 * input 2: {@link ModelAnnouncement}s, broadcast to every subtask (not keyed, so no keyed state is touched there).
 *
 * <p>Per event: (a) the prequential check of the event's item against the last recommendations issued to the user
 * in this session ({@link PrequentialMetrics}); (b) session handling: a new session when the producer's session id
 * changes or the event-time gap since the last event exceeds the session gap; an event-time timer per user, due no
 * later than {@code lastEventTime + gap} and moved only when it fires early, clears the user's state, with a
 * processing-time state TTL as a backstop when event time stops; (c) one GRU step on the stored hidden vector (plain
 * Java arrays, in model-core); (d) a scoring request appended to an in-memory micro-batch.
 *
 * <p>The batch is scored with one {@link NextItemScorer#topKRows} call (one matrix product for all rows, then
 * {@link TopK} per row), when it reaches its size, when its processing-time bound fires, before a checkpoint barrier
 * ({@link #prepareSnapshotPreBarrier}, so no request crosses a checkpoint: the batch is not in state, and a restore
 * replays the events it came from), before a watermark is forwarded (so no output is late), before a model swap
 * (rows were computed with the old model), at end of input, and before an event of a user who still has a pending
 * request (so the prequential check always sees the user's latest recommendations). Each event yields exactly one
 * {@link Recommendation}.
 *
 * <p>Decisions: an item the model does not know is not stepped (the GRU has no row for it), but it is kept in the
 * session's recent items (a later model version may know it) and the event is still answered, from the session's
 * current hidden state if an earlier item was known, otherwise with the popularity fallback (strategy FALLBACK), the
 * same answer as for a cold session. Sessions whose hidden state was computed by another model version recompute it
 * from their stored recent items on their next event; with more than {@code maxSessionItems} items the older ones
 * are gone, so the recomputed state covers only the stored suffix.
 *
 * <p>Model swaps: which version to load, queue, swap in or ignore is decided by {@link ModelVersions} (plain Java,
 * no Flink types); {@link ServingModels} runs the loads on a loader thread while the subtask keeps serving and hands a
 * finished one to the task thread, where this operator flushes the batch and swaps. This operator keeps the Flink
 * side: state handles, timers, inputs, the micro-batch hand-off ({@link MicroBatch}), and the checkpoint and restore
 * of the versions: the current, loading and queued models in union operator state (a restore resumes from the newest
 * of them), the known versions and the pin in broadcast state. The metrics are held by {@link ServingMetrics}.
 *
 * <p>Input 2 also carries the {@link ServingControl} commands, broadcast like the announcements: a pin makes every
 * subtask serve one announced version (rollback) until an unpin; a user deletion is applied by the one subtask whose
 * key groups hold that user (see {@link #onControl}). Every announcement seen is remembered, so a pin can find its
 * snapshot; both the remembered versions and the pin survive a restore.
 *
 * <p>Longer than the project's ~500-line guide (about 90 of its lines are this comment and imports): what remains is
 * the Flink side of one operator, two inputs, keyed and broadcast state and the flush points that must sit next to
 * them; the decisions are in the classes above. Model versions stay in {@code Tuple3}/{@code Tuple2} operator state
 * and are converted to {@link ModelRef} at the boundary, so checkpoints and savepoints of earlier builds restore.
 */
public final class SessionRecommenderOperator extends AbstractStreamOperator<Recommendation>
        implements TwoInputStreamOperator<ClickEvent, Either<ModelAnnouncement, ServingControl>, Recommendation>,
        Triggerable<String, VoidNamespace>, BoundedMultiInput {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SessionRecommenderOperator.class);
    private static final String PIN_KEY = "pinned";

    private final SessionSettings settings;
    private final ServingModelLoader loader;
    private final String initialModelUri;

    private transient ValueState<SessionState> sessionState;
    private transient InternalTimerService<VoidNamespace> sessionTimers;
    /**
     * (version, uri, checksum) of the current model and of any announcement being loaded or queued, so a restored
     * job reloads the newest model it had swapped to or was about to. Written at each checkpoint from
     * {@link ModelVersions#inFlight()}; the Tuple3 layout is that of earlier releases, so their savepoints restore.
     */
    private transient ListState<Tuple3<Long, String, String>> modelListState;
    /**
     * Every model version remembered by {@link #versions}: version → (snapshot URI, checksum, "" when none); written
     * at each checkpoint, read on restore.
     */
    private transient BroadcastState<Long, Tuple2<String, String>> knownModels;
    /** The pinned version under {@link #PIN_KEY}; absent when not pinned. Written at each checkpoint. */
    private transient BroadcastState<String, Long> pinState;
    private transient ModelVersions versions;

    private transient ServingModels models;
    /** The served model, read on every event; {@link #models} swaps it. */
    private transient ServingModel model;

    private transient MicroBatch batch;
    private transient MicroBatch.Answer answer;
    private transient ScheduledFuture<?> batchTimer;
    /** Incremented at each flush; a batch-timer callback from an earlier batch sees a different value and does nothing. */
    private transient long batchGeneration;
    private transient StreamRecord<Recommendation> reuse;

    private transient ServingMetrics metrics;

    public SessionRecommenderOperator(SessionSettings settings, ServingModelLoader loader, String initialModelUri) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.loader = Objects.requireNonNull(loader, "loader");
        this.initialModelUri = Objects.requireNonNull(initialModelUri, "initialModelUri");
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelListState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(
                "serving-model", Types.TUPLE(Types.LONG, Types.STRING, Types.STRING)));
        knownModels = context.getOperatorStateStore().getBroadcastState(new MapStateDescriptor<>(
                "known-models", Types.LONG, Types.TUPLE(Types.STRING, Types.STRING)));
        pinState = context.getOperatorStateStore().getBroadcastState(new MapStateDescriptor<>(
                "model-pin", Types.STRING, Types.LONG));
        versions = new ModelVersions();
        List<ModelRef> remembered = new ArrayList<>();
        for (var entry : knownModels.immutableEntries()) {
            remembered.add(new ModelRef(entry.getKey(), entry.getValue().f0, entry.getValue().f1));
        }
        Long restoredPin = pinState.get(PIN_KEY);
        versions.restore(remembered, restoredPin == null ? ModelVersions.NOT_PINNED : restoredPin);
        // Restored: the pinned version if there is one, else the newest model this job served or had started to load,
        // falling back to older ones and finally to the configured start-up model. Loading here is synchronous: the
        // subtask is not processing yet.
        List<ModelRef> candidates = List.of();
        if (context.isRestored()) {
            List<ModelRef> checkpointed = new ArrayList<>();
            for (Tuple3<Long, String, String> entry : modelListState.get()) {
                checkpointed.add(new ModelRef(entry.f0, entry.f1, entry.f2));
            }
            candidates = versions.restoreCandidates(checkpointed);
            LOG.info("Restoring from a checkpoint; pinned version {}; model candidates, in order: {}",
                    versions.pinned() == ModelVersions.NOT_PINNED ? "none" : versions.pinned(), candidates);
        }
        models = new ServingModels(versions, loader, settings.k());
        model = models.loadFirst(candidates, initialModelUri);
    }

    @Override
    public void open() throws Exception {
        super.open();
        ValueStateDescriptor<SessionState> sessionDescriptor =
                new ValueStateDescriptor<>("session", TypeInformation.of(SessionState.class));
        if (settings.stateTtlMs() > 0) {
            StateTtlConfig ttl = StateTtlConfig.newBuilder(Duration.ofMillis(settings.stateTtlMs()))
                    .updateTtlOnCreateAndWrite()
                    .neverReturnExpired()
                    .build();
            sessionDescriptor.enableTimeToLive(ttl);
        }
        sessionState = getRuntimeContext().getState(sessionDescriptor);
        sessionTimers = getInternalTimerService("session-gap", VoidNamespaceSerializer.INSTANCE, this);

        batch = new MicroBatch(settings.batchMaxSize(), settings.k());
        answer = (r, ids, scores, count) -> issue(r.userId(), r.state(), r.eventId(), r.eventTime(), r.arrivalTime(),
                ids, scores, count, RecommendationStrategy.MODEL);
        reuse = new StreamRecord<>(null);

        warmUpOnce(model);

        metrics = new ServingMetrics(getMetricGroup(), () -> model.version(), versions::pinned);
        models.open("model-loader-" + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks(),
                getProcessingTimeService(), metrics, next -> {
                    // Pending rows were stepped with the old model; score them with it.
                    flushBatch();
                    model = next;
                });
    }

    /** Set once the serving path of this class loader's model code has been compiled by the JIT. */
    private static boolean warmedUp;

    /**
     * Runs the model's serving path on a throw-away model until the JIT has compiled it, once per class loader (a job
     * on a TaskManager), before the first event. Cold, the Vector API kernels run 10-100x slower for the first seconds,
     * and the load test measured seconds of queued events after each start; the warm-up costs about a second of one
     * core. Other subtasks of the job wait for it rather than start cold.
     */
    private static synchronized void warmUpOnce(ServingModel model) {
        if (warmedUp) {
            return;
        }
        long start = System.nanoTime();
        int batches = model.scorer().warmUp();
        warmedUp = true;
        LOG.info("Serving path warmed up for the JIT: {} batches in {} ms", batches, (System.nanoTime() - start) / 1_000_000);
    }

    // ---------------------------------------------------------------- events

    @Override
    public void processElement1(StreamRecord<ClickEvent> record) throws Exception {
        ClickEvent event = record.getValue();
        String user = event.getUserId();
        metrics.eventsIn.inc();
        long arrival = getProcessingTimeService().getCurrentProcessingTime();
        if (batch.hasRequestOf(user)) {
            flushBatch();
            setCurrentKey(user);
        }
        long time = event.getEventTime().toEpochMilli();
        String item = event.getItemId();
        SessionState state = sessionState.value();
        // The timer belongs to the user, not to the session: a new session keeps the one that is set.
        long sessionTimer = state == null ? 0 : state.sessionTimer;
        if (state == null || Sessions.startsNew(state, event, time, settings.sessionGapMs())) {
            metrics.sessionsStarted.inc();
            state = Sessions.start(user, event, time, model.version());
        } else if (state.lastRecommended != null) {
            metrics.prequential.record(state.lastRecommended, item);
        }
        // The size check also catches a different model published under the same version number.
        if (state.modelVersion != model.version()
                || state.hidden != null && state.hidden.length != model.hiddenSize()) {
            Sessions.recomputeHidden(state, model);
        }
        state.items = Sessions.appendBounded(state.items, item, settings.maxSessionItems());
        int row = model.rowOf(item);
        if (row >= 0) {
            if (state.hidden == null) {
                state.hidden = model.scorer().newSession();
            }
        } else {
            metrics.unknownItems.inc();
        }
        state.lastEventTime = Math.max(state.lastEventTime, time);
        state.sessionTimer = sessionTimer;
        armSessionTimer(state);

        if (state.hidden == null) {
            issue(user, state, event.getEventId(), time, arrival, model.fallbackItems(),
                    model.fallbackScores(), model.fallbackItems().length, RecommendationStrategy.FALLBACK);
        } else {
            // The GRU step and the state write wait for the flush, which steps the whole batch at once (stepAll).
            // Nothing reads this user's state before then: an event or a session timer of a user with a pending
            // request flushes first, and so does a checkpoint.
            enqueue(new MicroBatch.Request(user, event.getEventId(), time, arrival, state, row,
                    settings.excludeSeen() ? Sessions.knownRows(state.items, model) : null));
        }
    }

    // ---------------------------------------------------------------- session timers

    /**
     * Makes sure a session-gap timer is due no later than the session's end ({@code lastEventTime + gap}). A timer
     * that is due earlier is left alone: when it fires, {@link #onEventTime} finds the session still open and sets
     * the next one. Moving the timer on every event (a delete and a put in RocksDB's timer column family each time)
     * filled that column family with as many entries as events between two checkpoints, and every checkpoint waited
     * for their flush (about 50 ms at 5,000 events/s; BENCHMARKS.md); now a user's timer changes about once per gap.
     */
    private void armSessionTimer(SessionState state) {
        long end = state.lastEventTime + settings.sessionGapMs();
        if (state.sessionTimer == 0 || state.sessionTimer > end) {
            // Timers are a set per key and time, so registering one that exists (a restored state) is harmless.
            sessionTimers.registerEventTimeTimer(VoidNamespace.INSTANCE, end);
            state.sessionTimer = end;
        }
    }

    @Override
    public void onEventTime(InternalTimer<String, VoidNamespace> timer) throws Exception {
        String user = timer.getKey();
        if (batch.hasRequestOf(user)) {
            // Issuing that request after the clear below would write recommendations into a closed session.
            flushBatch();
            setCurrentKey(user);
        }
        SessionState state = sessionState.value();
        if (state == null) {
            return;
        }
        if (state.lastEventTime + settings.sessionGapMs() <= timer.getTimestamp()) {
            sessionState.clear();
            metrics.sessionsExpired.inc();
        } else if (state.sessionTimer <= timer.getTimestamp()) {
            // The session went on after this timer was set: the next one is due at its current end.
            state.sessionTimer = 0;
            armSessionTimer(state);
            sessionState.update(state);
        }
        // Otherwise the state records a later timer, still due, and this one was superseded (a new session that began
        // out of order got an earlier timer, or the state was restored from before it recorded its timer).
    }

    @Override
    public void onProcessingTime(InternalTimer<String, VoidNamespace> timer) {
        // Only event-time timers are registered on this service; the batch bound uses the ProcessingTimeService.
    }

    // ---------------------------------------------------------------- micro-batch

    private void enqueue(MicroBatch.Request request) throws Exception {
        int size = batch.add(request);
        if (size >= settings.batchMaxSize()) {
            flushBatch();
        } else if (size == 1) {
            long generation = batchGeneration;
            long due = getProcessingTimeService().getCurrentProcessingTime() + settings.batchMaxDelayMs();
            batchTimer = getProcessingTimeService().registerTimer(due, now -> {
                if (generation == batchGeneration) {
                    flushBatch();
                }
            });
        }
    }

    /** Scores the micro-batch ({@link MicroBatch#score}) and issues each row's top-k. */
    void flushBatch() throws Exception {
        if (batch.size() == 0) {
            return;
        }
        batchGeneration++;
        if (batchTimer != null) {
            batchTimer.cancel(false);
            batchTimer = null;
        }
        batch.score(model, metrics, answer);
    }

    /**
     * Stores the list in the user's session state as the last recommendations (for the next prequential check), writes
     * that state, and emits the list.
     */
    private void issue(String user, SessionState state, String eventId, long eventTime, long arrival, String[] ids,
                       float[] itemScores, int count, RecommendationStrategy strategy) throws Exception {
        setCurrentKey(user);
        state.lastRecommended = Arrays.copyOf(ids, count);
        sessionState.update(state);
        String sessionId = state.sessionId;
        List<RecommendedItem> items = new ArrayList<>(count);
        for (int j = 0; j < count; j++) {
            items.add(new RecommendedItem(ids[j], itemScores[j]));
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        Recommendation rec = Recommendation.newBuilder()
                .setTriggeringEventId(eventId)
                .setUserId(user)
                .setSessionId(sessionId)
                .setItems(items)
                .setModelVersion(model.version())
                .setStrategy(strategy)
                .setEventTime(Instant.ofEpochMilli(eventTime))
                .setEmitTime(Instant.ofEpochMilli(now))
                .build();
        output.collect(reuse.replace(rec, eventTime));
        metrics.recommendationsOut.inc();
        if (strategy == RecommendationStrategy.FALLBACK) {
            metrics.fallbackOut.inc();
        }
        metrics.eventTimeLatency.update(Math.max(0, now - eventTime));
        metrics.processingLatency.update(Math.max(0, now - arrival));
    }

    // ---------------------------------------------------------------- model announcements and control

    @Override
    public void processElement2(StreamRecord<Either<ModelAnnouncement, ServingControl>> record) throws Exception {
        Either<ModelAnnouncement, ServingControl> value = record.getValue();
        if (value.isLeft()) {
            onAnnouncement(value.left());
        } else {
            onControl(value.right());
        }
    }

    /**
     * {@link ModelVersions#announce} remembers the announcement and decides; {@link ServingModels} loads on its loader
     * thread, so the subtask keeps serving with the current model meanwhile, and swaps on the task thread.
     */
    void onAnnouncement(ModelAnnouncement announcement) {
        models.announce(ModelRef.of(announcement));
    }

    /**
     * PIN_MODEL_VERSION and UNPIN_MODEL_VERSION reach every subtask and act on each; DELETE_USER reaches every
     * subtask too (input 2 is broadcast) and is applied by the one that owns the user's key group. Routing deletions
     * here rather than through the keyed input keeps them out of the events' watermarks: a control source without
     * event time in the keyed union would hold event time back.
     */
    void onControl(ServingControl control) throws Exception {
        if (control.getCommand() == null) {
            refuse(control, "no command");
            return;
        }
        switch (control.getCommand()) {
            case PIN_MODEL_VERSION -> {
                String refusal = models.pin(control);
                if (refusal != null) {
                    refuse(control, refusal);
                }
            }
            case UNPIN_MODEL_VERSION -> models.unpin(control);
            case DELETE_USER -> deleteUser(control);
        }
    }

    /**
     * Clears the user's session state and timer on the subtask that owns the user: the same key-group arithmetic
     * that {@code keyBy} routes with, so the owner is the subtask that receives the user's events. A request of the
     * user still waiting in the micro-batch is answered first, since its event arrived before the deletion.
     */
    private void deleteUser(ServingControl control) throws Exception {
        String user = control.getUserId();
        if (user == null || user.isBlank()) {
            refuse(control, "DELETE_USER without a user id");
            return;
        }
        var task = getRuntimeContext().getTaskInfo();
        int owner = KeyGroupRangeAssignment.assignKeyToParallelOperator(user, task.getMaxNumberOfParallelSubtasks(),
                task.getNumberOfParallelSubtasks());
        if (owner != task.getIndexOfThisSubtask()) {
            return;
        }
        if (batch.hasRequestOf(user)) {
            flushBatch();
        }
        setCurrentKey(user);
        SessionState state = sessionState.value();
        if (state != null && state.sessionTimer != 0) {
            sessionTimers.deleteEventTimeTimer(VoidNamespace.INSTANCE, state.sessionTimer);
        }
        sessionState.clear();
        metrics.controlCommands.inc();
        metrics.userDeletions.inc();
        LOG.info("Control {} from {}: deleted the state of user {} (had a live session: {})", control.getCommandId(),
                control.getRequestedBy(), UserIdHash.of(user), state != null);
    }

    private void refuse(ServingControl control, String reason) {
        metrics.controlCommandsRefused.inc();
        LOG.warn("Refusing control {} from {} ({}): {}; serving version {} unchanged", control.getCommandId(),
                control.getRequestedBy(), control.getCommand(), reason, model.version());
    }

    // ---------------------------------------------------------------- flush points

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        // Only the events carry event time; going through the one-input path keeps the never-advancing
        // announcement input from holding the combined watermark at Long.MIN_VALUE.
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {
        // Announcements have no event time; see processWatermark1.
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        // Requests still in the batch have timestamps at or below this watermark: emit them first so none is late.
        flushBatch();
        super.processWatermark(mark);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        flushBatch();
        super.prepareSnapshotPreBarrier(checkpointId);
    }

    /** Writes {@link #versions} into the operator state, in the layout earlier releases wrote and read. */
    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<Tuple3<Long, String, String>> models = new ArrayList<>(3);
        for (ModelRef ref : versions.inFlight()) {
            models.add(Tuple3.of(ref.version(), ref.uri(), ref.checksum()));
        }
        modelListState.update(models);
        knownModels.clear();
        for (ModelRef ref : versions.known()) {
            knownModels.put(ref.version(), Tuple2.of(ref.uri(), ref.checksum()));
        }
        if (versions.pinned() == ModelVersions.NOT_PINNED) {
            pinState.remove(PIN_KEY);
        } else {
            pinState.put(PIN_KEY, versions.pinned());
        }
    }

    @Override
    public void endInput(int inputId) throws Exception {
        // The events ending is the end of input that matters: the announcement input may stay open for ever.
        if (inputId == 1) {
            flushBatch();
        }
    }

    @Override
    public void finish() throws Exception {
        flushBatch();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (batchTimer != null) {
            batchTimer.cancel(false);
        }
        if (models != null) {
            models.close();
        }
        super.close();
    }

    // ---------------------------------------------------------------- for tests

    /** The metrics, read by tests. */
    ServingMetrics metrics() {
        return metrics;
    }

    int pendingRequests() {
        return batch.size();
    }

    /** Due time of the user's recorded session-gap timer (0 when none), read from keyed state. */
    long sessionTimerOf(String user) throws Exception {
        setCurrentKey(user);
        SessionState state = sessionState.value();
        return state == null ? 0 : state.sessionTimer;
    }

    /** Waits until the snapshot load in progress (if any) has finished; the swap happens at the next check. */
    void awaitModelLoad() throws InterruptedException {
        models.awaitLoad();
    }
}
