package org.streamrec.flink.serving;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
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
 * <p>Model swaps: a newer announcement's snapshot is loaded on a loader thread while this subtask keeps serving;
 * the task thread swaps it in when done (see {@link #onAnnouncement}). The current, loading and queued models are
 * kept in union operator state so a restore resumes from the newest of them.
 *
 * <p>Input 2 also carries the {@link ServingControl} commands, broadcast like the announcements: a pin makes every
 * subtask serve one announced version (rollback) until an unpin; a user deletion is applied by the one subtask whose
 * key groups hold that user (see {@link #onControl}). Every announcement seen is remembered in broadcast state, so a
 * pin can find its snapshot, and the pin itself is broadcast state too, so both survive a restore.
 */
public final class SessionRecommenderOperator extends AbstractStreamOperator<Recommendation>
        implements TwoInputStreamOperator<ClickEvent, Either<ModelAnnouncement, ServingControl>, Recommendation>,
        Triggerable<String, VoidNamespace>, BoundedMultiInput {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SessionRecommenderOperator.class);
    private static final int HISTOGRAM_WINDOW = 2048;
    /** How often the task thread checks whether a snapshot load has finished. */
    static final long MODEL_LOAD_POLL_MS = 20;
    /**
     * Most announced versions remembered for pinning; beyond it the oldest (never the current or pinned one) are
     * forgotten, so a trainer publishing every few minutes does not grow every subtask's broadcast state for ever.
     */
    static final int MAX_KNOWN_MODELS = 1_000;
    /** Value of the {@code pinnedModelVersion} gauge when no version is pinned. */
    static final long NOT_PINNED = -1;
    private static final String PIN_KEY = "pinned";

    private final SessionSettings settings;
    private final ServingModelLoader loader;
    private final String initialModelUri;

    private transient ValueState<SessionState> sessionState;
    private transient InternalTimerService<VoidNamespace> sessionTimers;
    /**
     * (version, uri, checksum) of the current model and of any announcement being loaded or queued, so a restored
     * job reloads the newest model it had swapped to or was about to.
     */
    private transient ListState<Tuple3<Long, String, String>> modelListState;
    /** Every model version announced (or started with): version → (snapshot URI, checksum, "" when none). */
    private transient BroadcastState<Long, Tuple2<String, String>> knownModels;
    /** The pinned version under {@link #PIN_KEY}; absent when not pinned. */
    private transient BroadcastState<String, Long> pinState;
    /** Mirror of {@link #pinState} for the task thread and the gauge: {@link #NOT_PINNED} or the pinned version. */
    private transient long pinned = NOT_PINNED;

    private transient ServingModel model;
    private transient String modelUri;
    private transient String modelChecksum;
    private transient ExecutorService loaderThread;
    /** The snapshot load in progress, or null. */
    private transient CompletableFuture<ServingModel> loading;
    private transient ModelRef loadingModel;
    /** The model to load once the load in progress ends: the newest announcement, or a pinned version. */
    private transient ModelRef queuedModel;

    private transient List<Request> pending;
    private transient Set<String> pendingUsers;
    private transient ScheduledFuture<?> batchTimer;
    /** Incremented at each flush; a batch-timer callback from an earlier batch sees a different value and does nothing. */
    private transient long batchGeneration;
    private transient List<float[]> batchHidden;
    private transient int[] batchItemRows;
    private transient String[] batchIds;
    private transient StreamRecord<Recommendation> reuse;

    private transient PrequentialMetrics prequential;
    private transient Counter eventsIn;
    /** What topKRows computed and what it ranked (rows x catalogue): how much the exact pruning saves. */
    private transient Counter itemScoresComputed;
    private transient Counter itemScoresRanked;
    /** Micro-batches scored and the rows in them: their ratio is the mean batch size over any interval. */
    private transient Counter scoringBatches;
    private transient Counter scoringRows;
    private transient Counter recommendationsOut;
    private transient Counter fallbackOut;
    private transient Counter unknownItems;
    private transient Counter sessionsStarted;
    private transient Counter sessionsExpired;
    private transient Counter modelSwaps;
    private transient Counter modelLoadFailures;
    private transient Counter announcementsIgnored;
    private transient Counter controlCommands;
    private transient Counter controlCommandsRefused;
    private transient Counter userDeletions;
    private transient Histogram batchSize;
    private transient Histogram eventTimeLatency;
    private transient Histogram processingLatency;

    public SessionRecommenderOperator(SessionSettings settings, ServingModelLoader loader, String initialModelUri) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.loader = Objects.requireNonNull(loader, "loader");
        this.initialModelUri = Objects.requireNonNull(initialModelUri, "initialModelUri");
    }

    /** A model version and where its snapshot is: what a load needs from an announcement or a pin. */
    private record ModelRef(long version, String uri, String checksum) {
        static ModelRef of(ModelAnnouncement a) {
            return new ModelRef(a.getVersion(), a.getSnapshotUri(), a.getChecksum() == null ? "" : a.getChecksum());
        }
    }

    /**
     * One event waiting in the micro-batch: its GRU step ({@code itemRow}, or -1 for an item the model does not know)
     * and the write of {@code state} happen at the flush, for the whole batch at once.
     */
    private record Request(String userId, String eventId, long eventTime, long arrivalTime, SessionState state,
                           int itemRow, int[] excluded) {
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
        Long restoredPin = pinState.get(PIN_KEY);
        pinned = restoredPin == null ? NOT_PINNED : restoredPin;
        // Restored: the pinned version if there is one, else the newest model this job served or had started to load
        // (an announcement already consumed from the source would not come again), falling back to older ones and
        // finally to the configured start-up model. Loading here is synchronous: the subtask is not processing yet.
        List<Tuple3<Long, String, String>> candidates = new ArrayList<>();
        if (context.isRestored()) {
            for (Tuple3<Long, String, String> entry : modelListState.get()) {
                candidates.add(entry);
            }
            candidates.sort((a, b) -> Long.compare(b.f0, a.f0));
            Tuple2<String, String> pinnedModel = pinned == NOT_PINNED ? null : knownModels.get(pinned);
            if (pinnedModel != null) {
                candidates.add(0, Tuple3.of(pinned, pinnedModel.f0, pinnedModel.f1));
            }
            LOG.info("Restoring from a checkpoint; pinned version {}; model candidates, in order: {}",
                    pinned == NOT_PINNED ? "none" : pinned, candidates);
        }
        for (Tuple3<Long, String, String> candidate : candidates) {
            try {
                useModel(loader.load(candidate.f1, candidate.f2.isEmpty() ? null : candidate.f2, settings.k()),
                        candidate.f1, candidate.f2);
                return;
            } catch (Exception e) {
                LOG.warn("Cannot reload model version {} from {} after restore", candidate.f0, candidate.f1, e);
            }
        }
        // Without a model the job cannot answer anything: failing here is the right outcome.
        useModel(loader.load(initialModelUri, null, settings.k()), initialModelUri, null);
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

        String loaderName = "model-loader-" + getRuntimeContext().getTaskInfo().getTaskNameWithSubtasks();
        loaderThread = Executors.newSingleThreadExecutor(runnable -> {
            Thread t = new Thread(runnable, loaderName);
            t.setDaemon(true);
            return t;
        });
        pending = new ArrayList<>(settings.batchMaxSize());
        pendingUsers = new HashSet<>();
        batchHidden = new ArrayList<>(settings.batchMaxSize());
        batchItemRows = new int[settings.batchMaxSize()];
        batchIds = new String[settings.k()];
        reuse = new StreamRecord<>(null);

        warmUpOnce(model);

        prequential = new PrequentialMetrics();
        var group = getMetricGroup();
        eventsIn = group.counter("eventsIn");
        recommendationsOut = group.counter("recommendationsOut");
        fallbackOut = group.counter("fallbackRecommendationsOut");
        unknownItems = group.counter("unknownItemEvents");
        sessionsStarted = group.counter("sessionsStarted");
        sessionsExpired = group.counter("sessionsExpired");
        modelSwaps = group.counter("modelSwaps");
        modelLoadFailures = group.counter("modelLoadFailures");
        announcementsIgnored = group.counter("modelAnnouncementsIgnored");
        controlCommands = group.counter("controlCommandsApplied");
        controlCommandsRefused = group.counter("controlCommandsRefused");
        userDeletions = group.counter("userStateDeletions");
        batchSize = group.histogram("scoringBatchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        eventTimeLatency = group.histogram("eventTimeLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        processingLatency = group.histogram("processingLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        group.gauge("modelVersion", () -> model.version());
        itemScoresComputed = group.counter("itemScoresComputed");
        itemScoresRanked = group.counter("itemScoresRanked");
        scoringBatches = group.counter("scoringBatches");
        scoringRows = group.counter("scoringRows");
        group.gauge("itemsScoredInFullShare", () -> itemScoresRanked.getCount() > 0
                ? (double) itemScoresComputed.getCount() / itemScoresRanked.getCount() : Double.NaN);
        group.gauge("pinnedModelVersion", () -> pinned);
        group.gauge("prequentialPredictions", () -> prequential.predictions());
        group.gauge("prequentialHitRate", () -> prequential.hitRate());
        group.gauge("prequentialMrr", () -> prequential.mrr());
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
        eventsIn.inc();
        long arrival = getProcessingTimeService().getCurrentProcessingTime();
        if (pendingUsers.contains(user)) {
            flushBatch();
            setCurrentKey(user);
        }
        long time = event.getEventTime().toEpochMilli();
        String item = event.getItemId();
        SessionState state = sessionState.value();
        // The timer belongs to the user, not to the session: a new session keeps the one that is set.
        long sessionTimer = state == null ? 0 : state.sessionTimer;
        if (state == null || startsNewSession(state, event, time)) {
            state = newSession(user, event, time);
        } else if (state.lastRecommended != null) {
            prequential.record(state.lastRecommended, item);
        }
        // The size check also catches a different model published under the same version number.
        if (state.modelVersion != model.version()
                || state.hidden != null && state.hidden.length != model.hiddenSize()) {
            recomputeHidden(state);
        }
        state.items = appendBounded(state.items, item, settings.maxSessionItems());
        int row = model.rowOf(item);
        if (row >= 0) {
            if (state.hidden == null) {
                state.hidden = model.scorer().newSession();
            }
        } else {
            unknownItems.inc();
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
            enqueue(new Request(user, event.getEventId(), time, arrival, state, row,
                    settings.excludeSeen() ? knownRows(state.items) : null));
        }
    }

    private boolean startsNewSession(SessionState state, ClickEvent event, long time) {
        String producerSession = event.getSessionId();
        if (producerSession != null && !producerSession.equals(state.producerSessionId)) {
            return true;
        }
        return time - state.lastEventTime > settings.sessionGapMs();
    }

    private SessionState newSession(String user, ClickEvent event, long time) {
        sessionsStarted.inc();
        SessionState s = new SessionState();
        s.producerSessionId = event.getSessionId();
        // Derived from the data, not from a clock or counter, so a replay after a failure issues the same id.
        s.sessionId = s.producerSessionId != null ? s.producerSessionId : user + "@" + time;
        s.items = new String[0];
        s.hidden = null;
        s.modelVersion = model.version();
        s.lastEventTime = time;
        return s;
    }

    /** Replays the stored items through the current model; called when the state was built by another version. */
    private void recomputeHidden(SessionState state) {
        NextItemScorer<float[]> scorer = model.scorer();
        float[] hidden = null;
        for (String item : state.items) {
            int row = model.rowOf(item);
            if (row >= 0) {
                if (hidden == null) {
                    hidden = scorer.newSession();
                }
                scorer.step(hidden, row);
            }
        }
        state.hidden = hidden;
        state.modelVersion = model.version();
    }

    static String[] appendBounded(String[] items, String item, int max) {
        int keep = Math.min(items.length, max - 1);
        String[] next = new String[keep + 1];
        System.arraycopy(items, items.length - keep, next, 0, keep);
        next[keep] = item;
        return next;
    }

    private int[] knownRows(String[] items) {
        int[] rows = new int[items.length];
        int n = 0;
        for (String item : items) {
            int row = model.rowOf(item);
            if (row >= 0) {
                rows[n++] = row;
            }
        }
        return Arrays.copyOf(rows, n);
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
        if (pendingUsers.contains(user)) {
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
            sessionsExpired.inc();
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

    private void enqueue(Request request) throws Exception {
        pending.add(request);
        pendingUsers.add(request.userId());
        if (pending.size() >= settings.batchMaxSize()) {
            flushBatch();
        } else if (pending.size() == 1) {
            long generation = batchGeneration;
            long due = getProcessingTimeService().getCurrentProcessingTime() + settings.batchMaxDelayMs();
            batchTimer = getProcessingTimeService().registerTimer(due, now -> {
                if (generation == batchGeneration) {
                    flushBatch();
                }
            });
        }
    }

    /**
     * Steps every pending session's GRU in one {@code stepAll} (the same result as one step each), writes the states,
     * scores all rows with one matrix product and issues each row's top-k.
     */
    void flushBatch() throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        batchGeneration++;
        if (batchTimer != null) {
            batchTimer.cancel(false);
            batchTimer = null;
        }
        int rows = pending.size();
        if (batchItemRows.length < rows) {
            batchItemRows = new int[rows];
        }
        batchHidden.clear();
        for (int i = 0; i < rows; i++) {
            Request r = pending.get(i);
            batchHidden.add(r.state().hidden);
            batchItemRows[i] = r.itemRow();
        }
        model.scorer().stepAll(batchHidden, batchItemRows);
        batchSize.update(rows);
        scoringBatches.inc();
        scoringRows.inc(rows);
        String[] ids = batchIds;
        long scoredBefore = model.scorer().itemsScoredInFull();
        long rankedBefore = model.scorer().itemsRanked();
        model.scorer().topKRows(batchHidden, settings.k(), i -> pending.get(i).excluded(), (i, items, scores, count) -> {
            Request r = pending.get(i);
            for (int j = 0; j < count; j++) {
                ids[j] = model.itemIdOf(items[j]);
            }
            issue(r.userId(), r.state(), r.eventId(), r.eventTime(), r.arrivalTime(), ids, scores, count,
                    RecommendationStrategy.MODEL);
        });
        if (rankedBefore >= 0) {
            itemScoresComputed.inc(model.scorer().itemsScoredInFull() - scoredBefore);
            itemScoresRanked.inc(model.scorer().itemsRanked() - rankedBefore);
        }
        pending.clear();
        pendingUsers.clear();
        batchHidden.clear();
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
        recommendationsOut.inc();
        if (strategy == RecommendationStrategy.FALLBACK) {
            fallbackOut.inc();
        }
        eventTimeLatency.update(Math.max(0, now - eventTime));
        processingLatency.update(Math.max(0, now - arrival));
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
     * Every announcement is remembered (a pin may ask for it later). A newer one starts loading its snapshot on the
     * loader thread, so the subtask keeps serving with the current model meanwhile; the swap itself happens on the
     * task thread ({@link #pollModelLoad}). Announcements arriving during a load are queued, newest wins. While a
     * version is pinned, newer announcements are only remembered.
     */
    void onAnnouncement(ModelAnnouncement announcement) throws Exception {
        ModelRef announced = ModelRef.of(announcement);
        if (!knownModels.contains(announced.version())) {
            // The first snapshot of a version is kept: version numbers are unique, and a re-announcement pointing
            // elsewhere must not replace the snapshot a later pin would roll back to.
            remember(announced);
        }
        long newest = model.version();
        if (loadingModel != null) {
            newest = Math.max(newest, loadingModel.version());
        }
        if (queuedModel != null) {
            newest = Math.max(newest, queuedModel.version());
        }
        if (announced.version() <= newest) {
            announcementsIgnored.inc();
            LOG.info("Ignoring model announcement {}: serving {}, newest known {}", announced.version(),
                    model.version(), newest);
            return;
        }
        if (pinned != NOT_PINNED) {
            LOG.info("Model version {} announced and remembered; not served while version {} is pinned",
                    announced.version(), pinned);
            return;
        }
        load(announced);
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
            case PIN_MODEL_VERSION -> pin(control);
            case UNPIN_MODEL_VERSION -> unpin(control);
            case DELETE_USER -> deleteUser(control);
        }
    }

    private void pin(ServingControl control) throws Exception {
        Long version = control.getModelVersion();
        if (version == null) {
            refuse(control, "PIN_MODEL_VERSION without a version");
            return;
        }
        Tuple2<String, String> snapshot = knownModels.get(version);
        if (snapshot == null) {
            refuse(control, "model version " + version + " was never announced to this job (known: "
                    + describeKnownVersions() + ")");
            return;
        }
        pinned = version;
        pinState.put(PIN_KEY, version);
        controlCommands.inc();
        LOG.info("Control {} from {}: pinned model version {} (serving {})", control.getCommandId(),
                control.getRequestedBy(), version, model.version());
        moveTo(new ModelRef(version, snapshot.f0, snapshot.f1));
    }

    private void unpin(ServingControl control) throws Exception {
        long wasPinned = pinned;
        pinned = NOT_PINNED;
        pinState.remove(PIN_KEY);
        controlCommands.inc();
        ModelRef newest = newestKnown();
        LOG.info("Control {} from {}: unpinned (was {}); newest known version {}, serving {}",
                control.getCommandId(), control.getRequestedBy(), wasPinned == NOT_PINNED ? "not pinned" : wasPinned,
                newest.version(), model.version());
        moveTo(newest);
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
        if (pendingUsers.contains(user)) {
            flushBatch();
        }
        setCurrentKey(user);
        SessionState state = sessionState.value();
        if (state != null && state.sessionTimer != 0) {
            sessionTimers.deleteEventTimeTimer(VoidNamespace.INSTANCE, state.sessionTimer);
        }
        sessionState.clear();
        controlCommands.inc();
        userDeletions.inc();
        LOG.info("Control {} from {}: deleted the state of user {} (had a live session: {})", control.getCommandId(),
                control.getRequestedBy(), UserIdHash.of(user), state != null);
    }

    private void refuse(ServingControl control, String reason) {
        controlCommandsRefused.inc();
        LOG.warn("Refusing control {} from {} ({}): {}; serving version {} unchanged", control.getCommandId(),
                control.getRequestedBy(), control.getCommand(), reason, model.version());
    }

    /** Makes {@code target} the version to serve: loads it unless it is served or loading already. */
    private void moveTo(ModelRef target) {
        if (model.version() == target.version()
                || loadingModel != null && loadingModel.version() == target.version()) {
            // A queued model is now unwanted; a load of another version in progress is discarded when it ends.
            queuedModel = null;
            return;
        }
        load(target);
    }

    private void load(ModelRef target) {
        if (loading == null) {
            startModelLoad(target);
        } else {
            queuedModel = target;
        }
    }

    /** Whether a model of this version should be served now: the pinned one, else anything newer than current. */
    private boolean wanted(long version) {
        return pinned != NOT_PINNED ? version == pinned : version > model.version();
    }

    private void remember(ModelRef ref) throws Exception {
        knownModels.put(ref.version(), Tuple2.of(ref.uri(), ref.checksum()));
        List<Long> versions = knownVersions();
        int excess = versions.size() - MAX_KNOWN_MODELS;
        for (int i = 0; excess > 0 && i < versions.size(); i++) {
            long oldest = versions.get(i);
            if (oldest != pinned && oldest != model.version()) {
                knownModels.remove(oldest);
                excess--;
            }
        }
    }

    private List<Long> knownVersions() throws Exception {
        List<Long> versions = new ArrayList<>();
        for (var entry : knownModels.immutableEntries()) {
            versions.add(entry.getKey());
        }
        versions.sort(null);
        return versions;
    }

    /** The known versions for a log line: all of them when few, else the oldest and newest five. */
    private String describeKnownVersions() throws Exception {
        List<Long> versions = knownVersions();
        if (versions.size() <= 10) {
            return versions.toString();
        }
        return versions.size() + " versions, " + versions.subList(0, 5) + " ... "
                + versions.subList(versions.size() - 5, versions.size());
    }

    private ModelRef newestKnown() throws Exception {
        List<Long> versions = knownVersions();
        long newest = versions.get(versions.size() - 1);
        Tuple2<String, String> snapshot = knownModels.get(newest);
        return new ModelRef(newest, snapshot.f0, snapshot.f1);
    }

    private void startModelLoad(ModelRef target) {
        loadingModel = target;
        loading = CompletableFuture.supplyAsync(() -> {
            try {
                return loader.load(target.uri(), target.checksum().isEmpty() ? null : target.checksum(), settings.k());
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, loaderThread);
        scheduleModelLoadPoll();
    }

    private void scheduleModelLoadPoll() {
        long due = getProcessingTimeService().getCurrentProcessingTime() + MODEL_LOAD_POLL_MS;
        getProcessingTimeService().registerTimer(due, now -> pollModelLoad());
    }

    /** Runs on the task thread: swaps in a finished load, or checks again later. */
    private void pollModelLoad() throws Exception {
        if (loading == null) {
            return;
        }
        if (!loading.isDone()) {
            scheduleModelLoadPoll();
            return;
        }
        ModelRef target = loadingModel;
        CompletableFuture<ServingModel> done = loading;
        loading = null;
        loadingModel = null;
        long current = model.version();
        try {
            ServingModel loaded = done.join();
            if (!wanted(target.version())) {
                LOG.info("Discarding model version {}: a pin or unpin since its load started wants another (serving {}, "
                        + "pinned {})", target.version(), current, pinned == NOT_PINNED ? "none" : pinned);
            } else if (!wanted(loaded.version())) {
                modelLoadFailures.inc();
                LOG.warn("Snapshot {} announced as version {} holds version {} (serving {}); keeping version {}",
                        target.uri(), target.version(), loaded.version(), current, current);
            } else {
                // Pending rows were stepped with the old model; score them with it.
                flushBatch();
                useModel(loaded, target.uri(), target.checksum());
                modelSwaps.inc();
            }
        } catch (CompletionException | CancellationException e) {
            modelLoadFailures.inc();
            LOG.warn("Model version {} from {} failed to load; keeping version {}", target.version(), target.uri(),
                    current, e.getCause() != null ? e.getCause() : e);
        }
        if (queuedModel != null) {
            ModelRef next = queuedModel;
            queuedModel = null;
            if (wanted(next.version())) {
                startModelLoad(next);
            } else {
                announcementsIgnored.inc();
            }
        }
    }

    private void useModel(ServingModel next, String uri, String checksum) throws Exception {
        LOG.info("Serving model version {} ({} items) from {}", next.version(), next.itemCount(), uri);
        model = next;
        modelUri = uri;
        modelChecksum = checksum == null ? "" : checksum;
        remember(new ModelRef(next.version(), uri, modelChecksum));
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

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<Tuple3<Long, String, String>> models = new ArrayList<>(3);
        models.add(Tuple3.of(model.version(), modelUri, modelChecksum));
        for (ModelRef ref : new ModelRef[] {loadingModel, queuedModel}) {
            if (ref != null) {
                models.add(Tuple3.of(ref.version(), ref.uri(), ref.checksum()));
            }
        }
        modelListState.update(models);
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
        if (loaderThread != null) {
            loaderThread.shutdownNow();
        }
        super.close();
    }

    // ---------------------------------------------------------------- for tests and gauges

    PrequentialMetrics prequential() {
        return prequential;
    }

    long modelVersion() {
        return model.version();
    }

    long pinnedModelVersion() {
        return pinned;
    }

    long modelLoadFailureCount() {
        return modelLoadFailures.getCount();
    }

    long ignoredAnnouncementCount() {
        return announcementsIgnored.getCount();
    }

    long refusedControlCount() {
        return controlCommandsRefused.getCount();
    }

    long sessionsExpiredCount() {
        return sessionsExpired.getCount();
    }

    long userDeletionCount() {
        return userDeletions.getCount();
    }

    int pendingRequests() {
        return pending.size();
    }

    /** Due time of the user's recorded session-gap timer (0 when none), read from keyed state. */
    long sessionTimerOf(String user) throws Exception {
        setCurrentKey(user);
        SessionState state = sessionState.value();
        return state == null ? 0 : state.sessionTimer;
    }

    /** Waits until the snapshot load in progress (if any) has finished; the swap happens at the next poll. */
    void awaitModelLoad() throws InterruptedException {
        CompletableFuture<ServingModel> current = loading;
        if (current != null) {
            try {
                current.get();
            } catch (java.util.concurrent.ExecutionException e) {
                // A failed load is the operator's business (logged and counted at the poll), not the caller's.
            }
        }
    }
}
