package org.streamrec.tools.dashboard;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.tools.flink.FlinkRest;

/**
 * What the dashboard knows: the recommendations and model announcements it has read, folded into one time series
 * point per sample interval together with the serving job's Flink metrics, plus a short feed per recently active user.
 * Everything is in memory and bounded ({@code history} points, {@code feedSize} rows for at most {@code maxUsers}
 * users); a restarted dashboard starts empty.
 *
 * <p>Latency percentiles of one interval come from an HdrHistogram (already on the classpath through Kafka; it gives
 * exact-enough percentiles in constant memory, so the interval's samples need not be kept and sorted).
 */
final class LiveStats {

    /** p50/p95/p99/max in ms over {@code count} samples; null in a {@link Point} when the interval had none. */
    record Latency(long count, double p50, double p95, double p99, double max) {
    }

    /**
     * One sample interval. Fields are null when their source said nothing in that interval (no recommendation read,
     * Flink REST not configured or not answering), so the page draws a gap rather than a made-up zero.
     *
     * @param t                  end of the interval, epoch ms
     * @param recommendationsPerSec committed recommendations read in the interval, per second
     * @param eventsInPerSec     growth of the operator's {@code eventsIn} counter (all subtasks) per second
     * @param emitToVisible      read time minus the record's {@code emitTime}: what the transactional commit adds
     * @param eventToVisible     read time minus the record's {@code eventTime} (meaningful for live traffic only)
     * @param operatorProcessing the operator's {@code processingLatencyMs} histogram, worst subtask per percentile
     * @param hitRate            prequential HR@k of the job, all subtasks weighted by their predictions, since start
     * @param mrr                same for MRR@k
     * @param predictions        judged predictions behind {@code hitRate}
     * @param outputHitRate      HR@k judged here from the topics over the last {@code window} (see {@link #onEvent})
     * @param outputMrr          same for MRR@k
     * @param outputPredictions  judged predictions behind {@code outputHitRate}
     * @param versionRead        highest {@code modelVersion} among the recommendations read in the interval
     * @param flinkVersionMin    lowest {@code modelVersion} gauge over the operator's subtasks
     * @param flinkVersionMax    highest one
     */
    record Point(long t, Double recommendationsPerSec, Double eventsInPerSec, Latency emitToVisible,
                 Latency eventToVisible, Latency operatorProcessing, Double hitRate, Double mrr, Long predictions,
                 Double outputHitRate, Double outputMrr, long outputPredictions, Long versionRead, Long flinkVersionMin, Long flinkVersionMax) {
    }

    record Item(String itemId, float score) {
    }

    /** One recommendation as the feed shows it. */
    record FeedRow(String eventId, String userId, String sessionId, long eventTime, long emitTime, long readTime,
                   long modelVersion, String strategy, List<Item> items) {
    }

    record UserActivity(String userId, long recommendations, long lastReadTime) {
    }

    record AnnouncementRow(long version, Long parentVersion, String snapshotUri, int itemCount, long trainingEventsSeen,
                           long createdTime, long readTime, Map<String, Double> metrics) {
    }

    /** When recommendations of one model version were first and last read, and how many. */
    record VersionServed(long version, long firstRead, long lastRead, long recommendations) {
    }

    private static final long MAX_TRACKED_LATENCY_MS = 24L * 3600 * 1000;
    /** Events read but not yet answered, and answers waiting for their event; beyond this the oldest are dropped. */
    private static final int MAX_UNMATCHED = 200_000;

    /** Hits, reciprocal-rank sum and predictions judged from the topics in one interval. */
    private record Judged(long t, long hits, double reciprocalRanks, long predictions) {
    }

    private final int history;
    private final int feedSize;
    private final int maxUsers;
    private final ArrayDeque<Point> points = new ArrayDeque<>();
    private final LinkedHashMap<String, ArrayDeque<FeedRow>> feeds = new LinkedHashMap<>();
    private final Map<String, Long> perUserCount = new java.util.HashMap<>();
    private final List<AnnouncementRow> announcements = new ArrayList<>();
    private final TreeMap<Long, VersionServed> versions = new TreeMap<>();

    private final Histogram emitToVisible = new Histogram(MAX_TRACKED_LATENCY_MS, 3);
    // Event times of replays lie years back; a histogram without a highest value keeps them (auto-resize).
    private final Histogram eventToVisible = new Histogram(3);
    private long intervalRecommendations;
    private long intervalMaxVersion = -1;
    private long intervalStart;
    private long recommendationsRead;
    private long undecodable;
    private final long accuracyWindowMs;
    private final long sessionGapMs;
    private final LinkedHashMap<String, String> itemByEventId = bounded();
    /** Recommendation lists waiting to be judged against the item of the event (by id) that came next. */
    private final LinkedHashMap<String, List<Item>> awaitingEvent = bounded();
    private final ArrayDeque<Judged> judged = new ArrayDeque<>();
    private long intervalHits;
    private double intervalReciprocalRanks;
    private long intervalPredictions;
    private long outputHits;
    private long outputPredictions;
    private double outputReciprocalRanks;
    private FlinkPoller.Reading lastReading;
    private Double lastEventsIn;
    private long lastEventsInAt;

    LiveStats(int history, int feedSize, int maxUsers, long accuracyWindowMs, long sessionGapMs, long startMillis) {
        this.history = history;
        this.sessionGapMs = sessionGapMs;
        this.accuracyWindowMs = accuracyWindowMs;
        this.feedSize = feedSize;
        this.maxUsers = maxUsers;
        this.intervalStart = startMillis;
    }

    synchronized void onRecommendation(Recommendation r, long readMillis) {
        recommendationsRead++;
        intervalRecommendations++;
        long emit = r.getEmitTime().toEpochMilli();
        long event = r.getEventTime().toEpochMilli();
        emitToVisible.recordValue(Math.min(MAX_TRACKED_LATENCY_MS, Math.max(0, readMillis - emit)));
        eventToVisible.recordValue(Math.max(0, readMillis - event));
        intervalMaxVersion = Math.max(intervalMaxVersion, r.getModelVersion());
        versions.merge(r.getModelVersion(), new VersionServed(r.getModelVersion(), readMillis, readMillis, 1),
                (a, b) -> new VersionServed(a.version(), a.firstRead(), b.lastRead(), a.recommendations() + 1));

        List<Item> items = new ArrayList<>(r.getItems().size());
        for (RecommendedItem item : r.getItems()) {
            items.add(new Item(item.getItemId(), item.getScore()));
        }
        FeedRow row = new FeedRow(r.getTriggeringEventId(), r.getUserId(), r.getSessionId(), event, emit, readMillis,
                r.getModelVersion(), r.getStrategy().name(), List.copyOf(items));
        // Remove and re-insert: the map's order is then least recently active first, which eviction and the
        // "recent users" list both rely on.
        ArrayDeque<FeedRow> feed = feeds.remove(r.getUserId());
        if (feed == null) {
            feed = new ArrayDeque<>();
        }
        FeedRow previous = feed.peekFirst();
        // The job starts a new session after the gap even when the producer's session id (which it then keeps) has
        // not changed, and does not judge its first event.
        if (previous != null && previous.sessionId().equals(r.getSessionId()) && event - previous.eventTime() <= sessionGapMs) {
            String item = itemByEventId.remove(r.getTriggeringEventId());
            if (item != null) {
                judge(previous.items(), item);
            } else {
                awaitingEvent.put(r.getTriggeringEventId(), previous.items());
            }
        } else {
            itemByEventId.remove(r.getTriggeringEventId());
        }
        feed.addFirst(row);
        while (feed.size() > feedSize) {
            feed.removeLast();
        }
        feeds.put(r.getUserId(), feed);
        perUserCount.merge(r.getUserId(), 1L, Long::sum);
        if (feeds.size() > maxUsers) {
            Iterator<String> eldest = feeds.keySet().iterator();
            perUserCount.remove(eldest.next());
            eldest.remove();
        }
    }

    /**
     * An event read from the events topic. With it the dashboard judges the job's answers itself, by the job's own
     * prequential protocol: the item of each event is looked up in the list the previous recommendation of the same
     * user and session held (the session id the job put on both answers, and no more than the job's session gap of
     * event time between them). The answer to an event can be read before or after the event itself, so whichever
     * comes second does the judging. The job measures the gap from the latest event time of the session, this from the
     * previous answer's: the two differ only for events out of order within a session.
     */
    synchronized void onEvent(String eventId, String itemId) {
        List<Item> waiting = awaitingEvent.remove(eventId);
        if (waiting != null) {
            judge(waiting, itemId);
        } else {
            itemByEventId.put(eventId, itemId);
        }
    }

    private void judge(List<Item> recommended, String item) {
        int rank = 0;
        for (int i = 0; i < recommended.size(); i++) {
            if (recommended.get(i).itemId().equals(item)) {
                rank = i + 1;
                break;
            }
        }
        intervalPredictions++;
        outputPredictions++;
        if (rank > 0) {
            intervalHits++;
            outputHits++;
            intervalReciprocalRanks += 1.0 / rank;
            outputReciprocalRanks += 1.0 / rank;
        }
    }

    private static <V> LinkedHashMap<String, V> bounded() {
        return new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
                return size() > MAX_UNMATCHED;
            }
        };
    }

    synchronized void onUndecodable() {
        undecodable++;
    }

    synchronized void onAnnouncement(ModelAnnouncement a, long readMillis) {
        announcements.add(new AnnouncementRow(a.getVersion(), a.getParentVersion(), a.getSnapshotUri(), a.getItemCount(),
                a.getTrainingEventsSeen(), a.getCreatedTime().toEpochMilli(), readMillis, Map.copyOf(a.getMetrics())));
    }

    /** Closes the current interval at {@code nowMillis} with the Flink reading taken for it (null without REST). */
    synchronized Point sample(long nowMillis, FlinkPoller.Reading reading) {
        double seconds = Math.max(1, nowMillis - intervalStart) / 1000.0;
        Double eventsInRate = null;
        Latency operator = null;
        Double hitRate = null;
        Double mrr = null;
        Long predictions = null;
        Long versionMin = null;
        Long versionMax = null;
        if (reading != null && reading.ok() && !reading.operator().isEmpty()) {
            Map<Integer, Map<String, Double>> op = reading.operator();
            double eventsIn = FlinkRest.sum(op, "eventsIn");
            if (lastEventsIn != null && eventsIn >= lastEventsIn) {
                eventsInRate = (eventsIn - lastEventsIn) / (Math.max(1, nowMillis - lastEventsInAt) / 1000.0);
            }
            lastEventsIn = eventsIn;
            lastEventsInAt = nowMillis;
            double judged = FlinkRest.sum(op, "prequentialPredictions");
            predictions = (long) judged;
            if (judged > 0) {
                hitRate = FlinkRest.weightedMean(op, "prequentialHitRate", "prequentialPredictions");
                mrr = FlinkRest.weightedMean(op, "prequentialMrr", "prequentialPredictions");
            }
            operator = operatorLatency(op, "processingLatencyMs");
            for (Map<String, Double> subtask : op.values()) {
                Double v = subtask.get("modelVersion");
                if (v != null && !v.isNaN()) {
                    versionMin = versionMin == null ? v.longValue() : Math.min(versionMin, v.longValue());
                    versionMax = versionMax == null ? v.longValue() : Math.max(versionMax, v.longValue());
                }
            }
        } else if (reading != null && !reading.ok()) {
            lastEventsIn = null;
        }
        if (reading != null) {
            lastReading = reading;
        }
        judged.addLast(new Judged(nowMillis, intervalHits, intervalReciprocalRanks, intervalPredictions));
        while (judged.getFirst().t() <= nowMillis - accuracyWindowMs) {
            judged.removeFirst();
        }
        long windowHits = 0;
        long windowPredictions = 0;
        double windowReciprocalRanks = 0;
        for (Judged j : judged) {
            windowHits += j.hits();
            windowPredictions += j.predictions();
            windowReciprocalRanks += j.reciprocalRanks();
        }
        Point p = new Point(nowMillis,
                intervalRecommendations / seconds,
                eventsInRate,
                latency(emitToVisible), latency(eventToVisible), operator, hitRate, mrr, predictions,
                windowPredictions == 0 ? null : (double) windowHits / windowPredictions,
                windowPredictions == 0 ? null : windowReciprocalRanks / windowPredictions, windowPredictions,
                intervalMaxVersion < 0 ? null : intervalMaxVersion, versionMin, versionMax);
        emitToVisible.reset();
        eventToVisible.reset();
        intervalRecommendations = 0;
        intervalMaxVersion = -1;
        intervalHits = 0;
        intervalPredictions = 0;
        intervalReciprocalRanks = 0;
        intervalStart = nowMillis;
        points.addLast(p);
        while (points.size() > history) {
            points.removeFirst();
        }
        return p;
    }

    private static Latency latency(Histogram h) {
        if (h.getTotalCount() == 0) {
            return null;
        }
        return new Latency(h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(95),
                h.getValueAtPercentile(99), h.getMaxValue());
    }

    /**
     * Percentiles of a Flink histogram over subtasks. Per-subtask percentiles cannot be merged exactly, so each one
     * is the worst subtask's: the line never hides a slow subtask.
     */
    private static Latency operatorLatency(Map<Integer, Map<String, Double>> op, String name) {
        double count = 0;
        double p50 = Double.NaN;
        double p95 = Double.NaN;
        double p99 = Double.NaN;
        double max = Double.NaN;
        for (Map<String, Double> m : op.values()) {
            if (!m.containsKey(name + "_p99")) {
                continue;
            }
            count += m.getOrDefault(name + "_count", 0.0);
            p50 = worst(p50, m.get(name + "_median"));
            p95 = worst(p95, m.get(name + "_p95"));
            p99 = worst(p99, m.get(name + "_p99"));
            max = worst(max, m.get(name + "_max"));
        }
        return Double.isNaN(p99) ? null : new Latency((long) count, p50, p95, p99, max);
    }

    private static double worst(double current, Double candidate) {
        if (candidate == null || candidate.isNaN()) {
            return current;
        }
        return Double.isNaN(current) ? candidate : Math.max(current, candidate);
    }

    synchronized List<Point> points() {
        return List.copyOf(points);
    }

    synchronized List<FeedRow> feed(String userId) {
        ArrayDeque<FeedRow> feed = feeds.get(userId);
        return feed == null ? List.of() : List.copyOf(feed);
    }

    /** The {@code limit} most recently active users, most recent first. */
    synchronized List<UserActivity> recentUsers(int limit) {
        List<String> users = new ArrayList<>(feeds.keySet());
        List<UserActivity> recent = new ArrayList<>();
        for (int i = users.size() - 1; i >= 0 && recent.size() < limit; i--) {
            String user = users.get(i);
            recent.add(new UserActivity(user, perUserCount.getOrDefault(user, 0L), feeds.get(user).getFirst().readTime()));
        }
        return recent;
    }

    synchronized List<AnnouncementRow> announcements() {
        return List.copyOf(announcements);
    }

    synchronized List<VersionServed> versionsServed() {
        return List.copyOf(versions.values());
    }

    synchronized long recommendationsRead() {
        return recommendationsRead;
    }

    /** HR@k, MRR@k and their predictions judged from the topics since the dashboard started. */
    record OutputAccuracy(long predictions, long hits, double hitRate, double mrr) {
    }

    synchronized OutputAccuracy outputAccuracy() {
        return new OutputAccuracy(outputPredictions, outputHits,
                outputPredictions == 0 ? 0 : (double) outputHits / outputPredictions,
                outputPredictions == 0 ? 0 : outputReciprocalRanks / outputPredictions);
    }

    synchronized long undecodable() {
        return undecodable;
    }

    synchronized int usersTracked() {
        return feeds.size();
    }

    synchronized FlinkPoller.Reading lastReading() {
        return lastReading;
    }
}
