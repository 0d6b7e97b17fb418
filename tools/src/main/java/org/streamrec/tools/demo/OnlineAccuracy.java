package org.streamrec.tools.demo;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * HR@k and MRR@k of the recommendations a job published, judged from its output alone: the recommendation
 * triggered by event {@code i} of a session is scored against the item of event {@code i + 1}, the protocol of
 * the offline evaluation applied to the live answers. Recommendations for a session's last replayed event have no
 * target and are not counted; a recommendation delivered twice (which an exactly-once sink must not do) counts once
 * and is reported as a duplicate.
 */
public final class OnlineAccuracy {

    private final Map<String, String> nextItemByEventId;
    private final int k;
    private final Set<String> answered = new HashSet<>();
    private long duplicates;
    private long unknownTriggers;
    private long predictions;
    private long hits;
    private double reciprocalRankSum;

    /**
     * @param nextItemByEventId for every replayed event that has a successor in its session: that successor's item
     * @param k                 cut-off: only the first {@code k} recommended items count
     */
    public OnlineAccuracy(Map<String, String> nextItemByEventId, int k) {
        this.nextItemByEventId = new HashMap<>(nextItemByEventId);
        this.k = k;
    }

    /**
     * Records one published recommendation: the id of the event it answers and its ranked items.
     *
     * @return the number of distinct events answered so far, this one included
     */
    public long record(String triggeringEventId, List<String> rankedItems, boolean knownEvent) {
        if (!answered.add(triggeringEventId)) {
            duplicates++;
            return answered.size();
        }
        if (!knownEvent) {
            unknownTriggers++;
            return answered.size();
        }
        String target = nextItemByEventId.get(triggeringEventId);
        if (target == null) {
            return answered.size();
        }
        predictions++;
        int limit = Math.min(k, rankedItems.size());
        for (int i = 0; i < limit; i++) {
            if (rankedItems.get(i).equals(target)) {
                hits++;
                reciprocalRankSum += 1.0 / (i + 1);
                break;
            }
        }
        return answered.size();
    }

    /** Distinct events answered. */
    public long answered() {
        return answered.size();
    }

    public long duplicates() {
        return duplicates;
    }

    /** Recommendations whose triggering event was not replayed by this demo. */
    public long unknownTriggers() {
        return unknownTriggers;
    }

    public long predictions() {
        return predictions;
    }

    public double hitRate() {
        return predictions == 0 ? 0 : (double) hits / predictions;
    }

    public double mrr() {
        return predictions == 0 ? 0 : reciprocalRankSum / predictions;
    }

    public int k() {
        return k;
    }
}
