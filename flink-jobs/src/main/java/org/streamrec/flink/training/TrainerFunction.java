package org.streamrec.flink.training;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.flink.model.AnnouncementSink;
import org.streamrec.flink.model.ModelAnnouncements;
import org.streamrec.flink.model.SnapshotStore;
import org.streamrec.flink.model.StoredSnapshot;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ItemVocabulary;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Incremental GRU4Rec training on the event stream, with versioned publication. Runs with parallelism 1: there is
 * one model, and GRU4Rec's updates (dense GRU weights touched by every mini-batch) do not partition by key.
 *
 * <p>Per event: a new item is added to the vocabulary ({@code Gru4RecModel.addItems}, fresh rows); its popularity is
 * counted ({@code observe}); {@link LiveSessionBatcher} turns it into a (previous item → item) pair of its session and
 * trains session-parallel mini-batches ({@code trainIncremental}); the negative sampler is rebuilt from popularity
 * every {@code samplerRefreshEvents} events.
 *
 * <p>Checkpoints and publication. At each checkpoint ({@link #snapshotState}) all pending pairs are trained and, if
 * anything changed, the model with its Adagrad state is written to the model store. When publication is due (every
 * N events or T time, checked at checkpoints, so T is rounded up to the checkpoint interval) it is written as the
 * next version {@code v<n>} (parent = the previous version); otherwise under {@code checkpoints/chk-<id>}. The
 * operator state (one JSON string) holds that snapshot's URI, the version counters, the live sessions' last items
 * and the announcements not yet sent. The announcement ({@link ModelAnnouncements}) goes to the injected
 * {@link AnnouncementSink} (the model-updates topic in production) only in {@link #notifyCheckpointComplete}, i.e. for
 * work that is part of a completed checkpoint; a restore from that checkpoint sends pending ones again (serving
 * ignores versions it already has) unless the store already holds a newer version (a restore to an older
 * checkpoint or savepoint: re-sending would put an old version last on the compacted topic). New version numbers start above both the restored counter and the highest
 * {@code v<n>} directory in the store, so a number is never reused, even after a restore from an older checkpoint;
 * a version written for a checkpoint that then failed is never announced, so announced versions can skip numbers.
 *
 * <p>The slots' GRU hidden states and which session holds which slot are checkpointed too, so restored sessions
 * continue with their hidden state. The dropout and sampler random streams restart at every checkpoint from the seed
 * and the number of pairs trained, and a restore restarts them the same way, so a restored run draws what the
 * uninterrupted one drew. Events after the checkpoint are read again from the checkpointed Kafka offsets and trained
 * again, which is what a model that never failed would have seen. Before re-sending the announcements of the
 * checkpoint it restored from, a restored trainer asks the sink for the highest version announced (on Kafka: the tail
 * of the topic), so a version whose announcement went out before the failure is not published twice. After each
 * completed checkpoint the store keeps only the newest {@code retainedCheckpointSnapshots} checkpoint snapshots and
 * {@code retainedVersions} versions.
 */
final class TrainerFunction extends ProcessFunction<ClickEvent, Void> implements CheckpointedFunction, CheckpointListener {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrainerFunction.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int EXPIRE_EVERY_EVENTS = 10_000;

    private final TrainerSettings settings;
    private final AnnouncementSink announcementSink;

    /** A written version waiting for its checkpoint to complete before it is announced. */
    record PendingAnnouncement(long checkpointId, long version, long parentVersion, String uri, String checksum,
                               int itemCount, long eventsSeen, long createdMillis, Map<String, Double> metrics) {
    }

    /** The operator state. */
    record Checkpointed(String snapshotUri, long lastWrittenVersion, long lastAnnouncedVersion, long eventsTrained,
                        List<LiveSessionBatcher.LiveSession> liveSessions, float[] slotHiddenStates,
                        List<PendingAnnouncement> pending, long eventsConsumed, long maxEventTime, long trainNanos) {
    }

    private transient ListState<String> state;
    private transient SnapshotStore store;
    private transient Gru4RecModel model;
    private transient Gru4RecTrainer trainer;
    private transient LiveSessionBatcher batcher;
    private transient TreeMap<Long, PendingAnnouncement> pending;
    private transient String lastSnapshotUri;
    private transient long lastWrittenVersion;
    private transient long lastAnnouncedVersion;
    private transient long eventsTrained;
    private transient long eventsConsumed;
    private transient long maxEventTime;
    private transient long trainNanos;
    private transient long eventsSinceSnapshot;
    private transient long eventsSincePublish;
    private transient long lastPublishMillis;
    private transient long eventsSinceSamplerRefresh;
    private transient boolean samplerNeverRefreshed;
    private transient AnnouncementSink.Writer announcements;
    private transient Counter eventsIn;
    private transient Counter newItems;
    private transient Counter snapshotsWritten;

    TrainerFunction(TrainerSettings settings, AnnouncementSink announcementSink) {
        this.settings = settings;
        this.announcementSink = announcementSink;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        state = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("trainer", Types.STRING));
        store = new SnapshotStore(settings.modelStoreUri());
        pending = new TreeMap<>();
        Checkpointed restored = null;
        if (context.isRestored()) {
            for (String json : state.get()) {
                restored = JSON.readValue(json, Checkpointed.class);
            }
        }
        List<LiveSessionBatcher.LiveSession> sessions = List.of();
        if (restored != null) {
            trainer = SnapshotStore.loadForTraining(restored.snapshotUri());
            lastSnapshotUri = restored.snapshotUri();
            lastWrittenVersion = restored.lastWrittenVersion();
            lastAnnouncedVersion = restored.lastAnnouncedVersion();
            eventsTrained = restored.eventsTrained();
            eventsConsumed = restored.eventsConsumed();
            maxEventTime = restored.maxEventTime();
            trainNanos = restored.trainNanos();
            sessions = restored.liveSessions();
            for (PendingAnnouncement p : restored.pending()) {
                pending.put(p.checkpointId(), p);
            }
            LOG.info("trainer restored from {} (last written version {}, last announced {}, {} live sessions, "
                    + "{} announcements pending)", lastSnapshotUri, lastWrittenVersion, lastAnnouncedVersion,
                    sessions.size(), pending.size());
        } else if (settings.bootstrapUri() != null) {
            trainer = SnapshotStore.loadForTraining(settings.bootstrapUri());
            lastSnapshotUri = settings.bootstrapUri();
            LOG.info("trainer starts from bootstrap snapshot {} (version {}, {} items)", settings.bootstrapUri(),
                    trainer.model().version(), trainer.model().itemCount());
        } else {
            Gru4RecParams params = Gru4RecParams.fromMap(settings.params());
            trainer = new Gru4RecTrainer(Gru4RecModel.create(params, new ItemVocabulary(), new long[0]));
            LOG.info("trainer starts from scratch: {}", params.toMap());
        }
        model = trainer.model();
        long highestInStore = store.highestVersionDirectory();
        // A pending announcement older than a version in the store comes from a restore to an older checkpoint or
        // savepoint: a newer version may already be announced, and re-sending this one would make it the newest
        // record of the compacted topic. It is dropped; serving gets the next version instead.
        pending.values().removeIf(p -> {
            if (p.version() < highestInStore) {
                LOG.info("not re-announcing version {}: the store already holds version {}", p.version(), highestInStore);
                return true;
            }
            return false;
        });
        lastWrittenVersion = Math.max(Math.max(lastWrittenVersion, model.version()), highestInStore);
        samplerNeverRefreshed = true;
        if (restored != null) {
            restartRandomStreams(); // as the run that wrote this checkpoint did right after writing it
        }
        batcher = new LiveSessionBatcher(model.params().batchSize(), settings.sessionGapMillis(), this::trainStep);
        boolean slotsRestored = false;
        if (restored != null && restored.slotHiddenStates() != null
                && restored.slotHiddenStates().length == model.params().batchSize() * model.hiddenSize()) {
            trainer.restoreSlotHiddenStates(restored.slotHiddenStates());
            slotsRestored = true;
        }
        batcher.restore(sessions, slotsRestored);
        lastPublishMillis = System.currentTimeMillis();
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        announcements = announcementSink.open();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        eventsIn = metrics.counter("eventsIn");
        newItems = metrics.counter("newItems");
        snapshotsWritten = metrics.counter("snapshotsWritten");
        metrics.gauge("eventsTrained", () -> eventsTrained);
        metrics.gauge("trainingLoss", () -> batcher.lastLoss());
        metrics.gauge("lastPublishedVersion", () -> lastAnnouncedVersion);
        metrics.gauge("items", () -> model.itemCount());
        metrics.gauge("liveSessions", () -> batcher.liveSessionCount());
        // Announcements restored as pending belong to the completed checkpoint we restored from. Its completion may
        // have been notified before the failure, and then they are on the topic already.
        if (!pending.isEmpty()) {
            long onTopic = announcements.highestAnnounced();
            pending.values().removeIf(p -> {
                if (p.version() <= onTopic) {
                    LOG.info("version {} was announced before the restore (the topic holds version {})", p.version(),
                            onTopic);
                    lastAnnouncedVersion = Math.max(lastAnnouncedVersion, p.version());
                    return true;
                }
                return false;
            });
        }
        announcePending(Long.MAX_VALUE);
    }

    @Override
    public void processElement(ClickEvent event, Context ctx, Collector<Void> out) {
        eventsIn.inc();
        String itemId = event.getItemId();
        int row = model.vocabulary().indexOf(itemId);
        if (row == ItemVocabulary.UNKNOWN) {
            row = model.addItems(List.of(itemId))[0];
            newItems.inc();
        }
        trainer.observe(row);
        eventsConsumed++;
        maxEventTime = Math.max(maxEventTime, event.getEventTime().toEpochMilli());
        String session = event.getSessionId() != null ? event.getSessionId() : event.getUserId();
        batcher.add(session, row, event.getEventTime().toEpochMilli());
        eventsSinceSnapshot++;
        eventsSincePublish++;
        if (eventsSinceSnapshot % EXPIRE_EVERY_EVENTS == 0) {
            batcher.expireIdle();
        }
    }

    private double trainStep(int[] inputs, int[] targets, boolean[] reset) {
        if (samplerNeverRefreshed || eventsSinceSamplerRefresh >= settings.samplerRefreshEvents()) {
            trainer.refreshSampler();
            samplerNeverRefreshed = false;
            eventsSinceSamplerRefresh = 0;
        }
        long start = System.nanoTime();
        double loss = trainer.trainIncremental(inputs, targets, reset);
        trainNanos += System.nanoTime() - start;
        eventsSinceSamplerRefresh += inputs.length;
        eventsTrained += inputs.length;
        return loss;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        long checkpointId = context.getCheckpointId();
        batcher.flush();
        batcher.expireIdle();
        long now = System.currentTimeMillis();
        // Checked at checkpoints, whose trigger times jitter: with --publish-every equal to the checkpoint interval,
        // an exact comparison would skip every other checkpoint.
        long slack = Math.min(1_000, settings.publishEveryMillis() / 10);
        boolean publish = eventsSincePublish >= settings.publishEveryEvents()
                || (eventsSincePublish > 0 && now - lastPublishMillis >= settings.publishEveryMillis() - slack);
        if (publish) {
            long version = lastWrittenVersion + 1;
            model.bumpVersion(version);
            StoredSnapshot written = store.write(model, trainer, store.versionUri(version));
            lastWrittenVersion = version;
            lastSnapshotUri = written.uri();
            Map<String, Double> metrics = new HashMap<>();
            metrics.put("trainingLoss", batcher.lastLoss());
            metrics.put("eventsTrained", (double) eventsTrained);
            metrics.put("liveSessions", (double) batcher.liveSessionCount());
            metrics.put("eventsConsumed", (double) eventsConsumed);
            // Newest event time trained on (epoch ms, exact in a double): what a freshness measurement needs.
            metrics.put("maxEventTimeMillis", (double) maxEventTime);
            metrics.put("trainSeconds", trainNanos / 1e9);
            pending.put(checkpointId, new PendingAnnouncement(checkpointId, written.version(),
                    written.parentVersion(), written.uri(), written.checksum(), written.itemCount(),
                    written.eventsSeen(), now, metrics));
            eventsSincePublish = 0;
            eventsSinceSnapshot = 0;
            lastPublishMillis = now;
            snapshotsWritten.inc();
            LOG.info("checkpoint {}: wrote version {} ({} items, {} events trained) to {}", checkpointId, version,
                    model.itemCount(), eventsTrained, written.uri());
        } else if (eventsSinceSnapshot > 0 || lastSnapshotUri == null) {
            StoredSnapshot written = store.write(model, trainer, store.checkpointUri(checkpointId));
            lastSnapshotUri = written.uri();
            eventsSinceSnapshot = 0;
            snapshotsWritten.inc();
        }
        state.update(List.of(JSON.writeValueAsString(new Checkpointed(lastSnapshotUri, lastWrittenVersion,
                lastAnnouncedVersion, eventsTrained, batcher.liveSessions(), trainer.slotHiddenStates(),
                new ArrayList<>(pending.values()), eventsConsumed, maxEventTime, trainNanos))));
        restartRandomStreams();
    }

    /**
     * Restarts the dropout and sampling streams from the seed and the number of pairs trained, and rebuilds the
     * sampler before the next step. Done after every checkpoint and after a restore from one, so the restored run
     * draws what the uninterrupted run drew instead of starting over from the seed.
     */
    private void restartRandomStreams() {
        trainer.reseed(model.params().seed() * 0x9E3779B97F4A7C15L + eventsTrained);
        samplerNeverRefreshed = true;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        announcePending(checkpointId);
        // Flink restores from one of its retained checkpoints, each of which refers to the newest snapshot written
        // at or before it: keeping as many chk-* snapshots as Flink keeps checkpoints keeps every one a restore needs.
        Set<String> inUse = new HashSet<>();
        inUse.add(lastSnapshotUri);
        pending.values().forEach(p -> inUse.add(p.uri()));
        for (String deleted : store.prune(settings.retainedCheckpointSnapshots(), settings.retainedVersions(), inUse)) {
            LOG.debug("deleted snapshot {}", deleted);
        }
    }

    private void announcePending(long upToCheckpoint) throws Exception {
        while (!pending.isEmpty() && pending.firstKey() <= upToCheckpoint) {
            PendingAnnouncement p = pending.pollFirstEntry().getValue();
            // Synchronous: the version counts as published only once the sink has stored it.
            announcements.send(ModelAnnouncements.of(new StoredSnapshot(p.uri(), p.checksum(), p.version(),
                    p.parentVersion(), p.itemCount(), p.eventsSeen()), Instant.ofEpochMilli(p.createdMillis()),
                    p.metrics()));
            lastAnnouncedVersion = Math.max(lastAnnouncedVersion, p.version());
            LOG.info("announced model version {} (parent {}, {} items) at {}", p.version(), p.parentVersion(),
                    p.itemCount(), p.uri());
        }
    }

    @Override
    public void close() throws Exception {
        if (announcements != null) {
            announcements.close();
        }
    }
}
