package org.streamrec.flink.training;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Session-parallel mini-batches over live sessions, for {@code Gru4RecTrainer.trainIncremental}.
 *
 * <p>An event of a live session yields the training pair (previous item → this item); the first event of a session
 * yields none. Each of the {@code batchSize} slots holds one session; a mini-batch takes one pending pair from each
 * slot, in arrival order per session, as the official GRU4Rec's slots each take the next step of their session. A
 * slot whose session has no pending pair when a batch is formed is given to the longest-waiting session that has
 * pairs but no slot, and is reset (zero hidden state): the trainer keeps the slots' hidden states by position, so a
 * session that loses its slot and comes back later restarts its hidden state, though its pairs still continue from
 * its last item. A batch is trained as soon as {@code batchSize} sessions have pending pairs; {@link #flush} trains
 * the rest in smaller batches, moving sessions down to fill empty positions (those are reset too, since the trainer
 * takes slots {@code 0..m-1}).
 *
 * <p>A session is the producer's session id, or the user id when there is none; it ends when its key has been idle
 * (event time) longer than the gap. Not thread-safe; holds item rows, not ids.
 */
final class LiveSessionBatcher {

    /** The training step: {@code Gru4RecTrainer.trainIncremental}. */
    interface Step {
        double train(int[] inputs, int[] targets, boolean[] reset);
    }

    /**
     * What a restored trainer needs to continue a session: its last item and event time, and its slot (-1 for none),
     * whose hidden state the trainer checkpoints.
     */
    record LiveSession(String key, int lastItem, long lastEventTime, int slot) {
    }

    private static final class Live {
        final String key;
        int lastItem;
        long lastEventTime;
        long lastArrival;
        int slot = -1;
        final ArrayDeque<int[]> pending = new ArrayDeque<>(2);

        Live(String key, int lastItem, long lastEventTime) {
            this.key = key;
            this.lastItem = lastItem;
            this.lastEventTime = lastEventTime;
        }
    }

    private final int batchSize;
    private final long gapMillis;
    private final Step step;
    private final Live[] slots;
    private final boolean[] fresh;
    private final Map<String, Live> live = new HashMap<>();
    private final ArrayDeque<Live> waiting = new ArrayDeque<>();
    private int sessionsWithPending;
    private long maxEventTime = Long.MIN_VALUE;
    private long arrivals;
    private long pairsTrained;
    private long batchesTrained;
    private double lastLoss = Double.NaN;

    /**
     * Also the number of events a session must have gone without before it can expire: partitions read by one source
     * subtask can be far apart in event time, and expiring by event time alone would cut the sessions of the
     * partition behind.
     */
    private final long expiryArrivals;

    LiveSessionBatcher(int batchSize, long gapMillis, Step step) {
        this(batchSize, gapMillis, 100_000, step);
    }

    LiveSessionBatcher(int batchSize, long gapMillis, long expiryArrivals, Step step) {
        this.expiryArrivals = expiryArrivals;
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1");
        }
        this.batchSize = batchSize;
        this.gapMillis = gapMillis;
        this.step = step;
        this.slots = new Live[batchSize];
        this.fresh = new boolean[batchSize];
    }

    /** Adds an event; trains a full mini-batch when one is ready. */
    void add(String sessionKey, int itemRow, long eventTime) {
        maxEventTime = Math.max(maxEventTime, eventTime);
        arrivals++;
        Live s = live.get(sessionKey);
        if (s != null && eventTime - s.lastEventTime > gapMillis) {
            live.remove(sessionKey); // still batched if it has pending pairs
            s = null;
        }
        if (s == null) {
            Live started = new Live(sessionKey, itemRow, eventTime);
            started.lastArrival = arrivals;
            live.put(sessionKey, started);
            return;
        }
        s.lastArrival = arrivals;
        s.pending.add(new int[] {s.lastItem, itemRow});
        s.lastItem = itemRow;
        s.lastEventTime = Math.max(s.lastEventTime, eventTime);
        if (s.pending.size() == 1) {
            sessionsWithPending++;
            if (s.slot < 0) {
                waiting.add(s);
            }
        }
        if (sessionsWithPending >= batchSize) {
            trainBatch();
        }
    }

    /** Trains every pending pair (in batches of up to {@code batchSize}); afterwards nothing is pending. */
    void flush() {
        while (sessionsWithPending > 0) {
            trainBatch();
        }
    }

    /**
     * Forgets sessions idle for longer than the gap in event time and for {@code expiryArrivals} events; they have
     * nothing pending after a flush.
     */
    void expireIdle() {
        Iterator<Live> it = live.values().iterator();
        while (it.hasNext()) {
            Live s = it.next();
            if (maxEventTime - s.lastEventTime > gapMillis && arrivals - s.lastArrival >= expiryArrivals
                    && s.pending.isEmpty()) {
                it.remove();
                if (s.slot >= 0) {
                    slots[s.slot] = null;
                    s.slot = -1;
                }
            }
        }
    }

    private void trainBatch() {
        for (int k = 0; k < batchSize; k++) {
            Live s = slots[k];
            if (s == null || s.pending.isEmpty()) {
                Live next = waiting.poll();
                if (next == null) {
                    continue;
                }
                if (s != null) {
                    s.slot = -1;
                }
                assign(next, k);
            }
        }
        // Fill empty positions from the top, so that the trained slots are 0..m-1.
        int m = 0;
        int top = batchSize - 1;
        for (int k = 0; k < batchSize && k <= top; k++) {
            if (hasPair(k)) {
                m = k + 1;
                continue;
            }
            while (top > k && !hasPair(top)) {
                top--;
            }
            if (top <= k) {
                break;
            }
            Live moved = slots[top];
            slots[top] = null;
            if (slots[k] != null) {
                slots[k].slot = -1;
            }
            assign(moved, k);
            top--;
            m = k + 1;
        }
        if (m == 0) {
            return;
        }
        int[] in = new int[m];
        int[] target = new int[m];
        boolean[] reset = new boolean[m];
        for (int k = 0; k < m; k++) {
            Live s = slots[k];
            int[] pair = s.pending.poll();
            in[k] = pair[0];
            target[k] = pair[1];
            reset[k] = fresh[k];
            fresh[k] = false;
            if (s.pending.isEmpty()) {
                sessionsWithPending--;
            }
        }
        lastLoss = step.train(in, target, reset);
        pairsTrained += m;
        batchesTrained++;
    }

    private boolean hasPair(int k) {
        return slots[k] != null && !slots[k].pending.isEmpty();
    }

    private void assign(Live s, int k) {
        slots[k] = s;
        s.slot = k;
        fresh[k] = true;
    }

    /** The live sessions, for operator state; call after {@link #flush}. */
    List<LiveSession> liveSessions() {
        List<LiveSession> out = new ArrayList<>(live.size());
        for (Live s : live.values()) {
            out.add(new LiveSession(s.key, s.lastItem, s.lastEventTime, s.slot));
        }
        return out;
    }

    /**
     * Restores live sessions. With {@code slotsRestored} (the trainer got the slots' hidden states back) sessions
     * keep their slots; otherwise every session starts without one, and so with a fresh hidden state.
     */
    void restore(List<LiveSession> sessions, boolean slotsRestored) {
        for (LiveSession s : sessions) {
            Live restored = new Live(s.key(), s.lastItem(), s.lastEventTime());
            restored.lastArrival = arrivals;
            live.put(s.key(), restored);
            if (slotsRestored && s.slot() >= 0 && s.slot() < batchSize && slots[s.slot()] == null) {
                slots[s.slot()] = restored;
                restored.slot = s.slot();
            }
            maxEventTime = Math.max(maxEventTime, s.lastEventTime());
        }
    }

    int liveSessionCount() {
        return live.size();
    }

    int pendingSessions() {
        return sessionsWithPending;
    }

    long pairsTrained() {
        return pairsTrained;
    }

    long batchesTrained() {
        return batchesTrained;
    }

    double lastLoss() {
        return lastLoss;
    }
}
