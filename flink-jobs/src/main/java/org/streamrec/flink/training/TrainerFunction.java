package org.streamrec.flink.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
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
 * and the announcements not yet sent. The announcement is sent only in {@link #notifyCheckpointComplete}, i.e. for
 * work that is part of a completed checkpoint; a restore from that checkpoint sends pending ones again (serving
 * ignores versions it already has) unless the store already holds a newer version (a restore to an older
 * checkpoint or savepoint: re-sending would put an old version last on the compacted topic). New version numbers start above both the restored counter and the highest
 * {@code v<n>} directory in the store, so a number is never reused, even after a restore from an older checkpoint;
 * a version written for a checkpoint that then failed is never announced, so announced versions can skip numbers.
 *
 * <p>The slots' GRU hidden states and which session holds which slot are checkpointed too, so restored sessions
 * continue with their hidden state. Lost on a restore: the position of the dropout and sampler random streams;
 * events after the checkpoint are read again from the checkpointed Kafka offsets and trained again, which is what
 * a model that never failed would have seen.
 */
final class TrainerFunction extends ProcessFunction<ClickEvent, Void> implements CheckpointedFunction, CheckpointListener {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(TrainerFunction.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final int EXPIRE_EVERY_EVENTS = 10_000;

    private final TrainerSettings settings;

    /** A written version waiting for its checkpoint to complete before it is announced. */
    record PendingAnnouncement(long checkpointId, long version, long parentVersion, String uri, String checksum,
                               int itemCount, long eventsSeen, long createdMillis, Map<String, Double> metrics) {
    }

    /** The operator state. */
    record Checkpointed(String snapshotUri, long lastWrittenVersion, long lastAnnouncedVersion, long eventsTrained,
                        List<LiveSessionBatcher.LiveSession> liveSessions, float[] slotHiddenStates,
                        List<PendingAnnouncement> pending) {
    }

    private transient ListState<String> state;
    private transient ModelStore store;
    private transient Gru4RecModel model;
    private transient Gru4RecTrainer trainer;
    private transient LiveSessionBatcher batcher;
    private transient TreeMap<Long, PendingAnnouncement> pending;
    private transient TreeMap<Long, String> checkpointSnapshots;
    private transient String lastSnapshotUri;
    private transient long lastWrittenVersion;
    private transient long lastAnnouncedVersion;
    private transient long eventsTrained;
    private transient long eventsSinceSnapshot;
    private transient long eventsSincePublish;
    private transient long lastPublishMillis;
    private transient long eventsSinceSamplerRefresh;
    private transient boolean samplerNeverRefreshed;
    private transient KafkaProducer<byte[], byte[]> producer;
    private transient AvroCodec<ModelAnnouncement> codec;
    private transient Counter eventsIn;
    private transient Counter newItems;
    private transient Counter snapshotsWritten;

    TrainerFunction(TrainerSettings settings) {
        this.settings = settings;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        state = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("trainer", Types.STRING));
        store = new ModelStore(settings.modelStoreUri());
        pending = new TreeMap<>();
        checkpointSnapshots = new TreeMap<>();
        Checkpointed restored = null;
        if (context.isRestored()) {
            for (String json : state.get()) {
                restored = JSON.readValue(json, Checkpointed.class);
            }
        }
        List<LiveSessionBatcher.LiveSession> sessions = List.of();
        if (restored != null) {
            trainer = ModelStore.loadForTraining(restored.snapshotUri());
            lastSnapshotUri = restored.snapshotUri();
            lastWrittenVersion = restored.lastWrittenVersion();
            lastAnnouncedVersion = restored.lastAnnouncedVersion();
            eventsTrained = restored.eventsTrained();
            sessions = restored.liveSessions();
            for (PendingAnnouncement p : restored.pending()) {
                pending.put(p.checkpointId(), p);
            }
            LOG.info("trainer restored from {} (last written version {}, last announced {}, {} live sessions, "
                    + "{} announcements pending)", lastSnapshotUri, lastWrittenVersion, lastAnnouncedVersion,
                    sessions.size(), pending.size());
        } else if (settings.bootstrapUri() != null) {
            trainer = ModelStore.loadForTraining(settings.bootstrapUri());
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
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
        codec = AvroCodec.modelAnnouncements();
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        eventsIn = metrics.counter("eventsIn");
        newItems = metrics.counter("newItems");
        snapshotsWritten = metrics.counter("snapshotsWritten");
        metrics.gauge("eventsTrained", () -> eventsTrained);
        metrics.gauge("trainingLoss", () -> batcher.lastLoss());
        metrics.gauge("lastPublishedVersion", () -> lastAnnouncedVersion);
        metrics.gauge("items", () -> model.itemCount());
        metrics.gauge("liveSessions", () -> batcher.liveSessionCount());
        // Announcements restored as pending belong to the completed checkpoint we restored from.
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
        double loss = trainer.trainIncremental(inputs, targets, reset);
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
        boolean publish = eventsSincePublish >= settings.publishEveryEvents()
                || (eventsSincePublish > 0 && now - lastPublishMillis >= settings.publishEveryMillis());
        if (publish) {
            long version = lastWrittenVersion + 1;
            model.bumpVersion(version);
            ModelStore.Written written = store.write(model, trainer, store.versionUri(version));
            lastWrittenVersion = version;
            lastSnapshotUri = written.uri();
            Map<String, Double> metrics = new HashMap<>();
            metrics.put("trainingLoss", batcher.lastLoss());
            metrics.put("eventsTrained", (double) eventsTrained);
            metrics.put("liveSessions", (double) batcher.liveSessionCount());
            pending.put(checkpointId, new PendingAnnouncement(checkpointId, version, model.parentVersion(),
                    written.uri(), written.checksum(), model.itemCount(), model.eventsSeen(), now, metrics));
            eventsSincePublish = 0;
            eventsSinceSnapshot = 0;
            lastPublishMillis = now;
            snapshotsWritten.inc();
            LOG.info("checkpoint {}: wrote version {} ({} items, {} events trained) to {}", checkpointId, version,
                    model.itemCount(), eventsTrained, written.uri());
        } else if (eventsSinceSnapshot > 0 || lastSnapshotUri == null) {
            ModelStore.Written written = store.write(model, trainer, store.checkpointUri(checkpointId));
            lastSnapshotUri = written.uri();
            checkpointSnapshots.put(checkpointId, written.uri());
            eventsSinceSnapshot = 0;
            snapshotsWritten.inc();
        }
        state.update(List.of(JSON.writeValueAsString(new Checkpointed(lastSnapshotUri, lastWrittenVersion,
                lastAnnouncedVersion, eventsTrained, batcher.liveSessions(), trainer.slotHiddenStates(),
                new ArrayList<>(pending.values())))));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        announcePending(checkpointId);
        // Checkpoint-only snapshots older than the newest one a completed checkpoint refers to are not needed by
        // any restore (Flink restores from the latest completed checkpoint).
        Long newestCompleted = checkpointSnapshots.floorKey(checkpointId);
        if (newestCompleted != null) {
            for (Map.Entry<Long, String> old : new ArrayList<>(checkpointSnapshots.headMap(newestCompleted).entrySet())) {
                store.delete(old.getValue());
                checkpointSnapshots.remove(old.getKey());
            }
        }
    }

    private void announcePending(long upToCheckpoint) throws Exception {
        while (!pending.isEmpty() && pending.firstKey() <= upToCheckpoint) {
            PendingAnnouncement p = pending.pollFirstEntry().getValue();
            ModelAnnouncement announcement = ModelAnnouncement.newBuilder()
                    .setVersion(p.version())
                    .setParentVersion(p.parentVersion())
                    .setSnapshotUri(p.uri())
                    .setChecksum(p.checksum())
                    .setItemCount(p.itemCount())
                    .setTrainingEventsSeen(p.eventsSeen())
                    .setCreatedTime(Instant.ofEpochMilli(p.createdMillis()))
                    .setMetrics(finiteOnly(p.metrics()))
                    .build();
            // Synchronous: the version counts as published only once the broker has it.
            producer.send(new ProducerRecord<>(settings.modelUpdatesTopic(),
                    settings.modelName().getBytes(StandardCharsets.UTF_8),
                    codec.encode(announcement))).get(60, TimeUnit.SECONDS);
            lastAnnouncedVersion = Math.max(lastAnnouncedVersion, p.version());
            LOG.info("announced model version {} (parent {}, {} items) at {}", p.version(), p.parentVersion(),
                    p.itemCount(), p.uri());
        }
    }

    private static Map<String, Double> finiteOnly(Map<String, Double> metrics) {
        Map<String, Double> out = new HashMap<>();
        metrics.forEach((k, v) -> {
            if (v != null && Double.isFinite(v)) {
                out.put(k, v);
            }
        });
        return out;
    }

    @Override
    public void close() throws Exception {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
