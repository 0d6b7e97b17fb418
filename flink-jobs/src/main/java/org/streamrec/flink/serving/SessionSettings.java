package org.streamrec.flink.serving;

import java.io.Serializable;

/**
 * What {@link SessionRecommenderOperator} needs from {@link RecommenderConfig}, in plain milliseconds, so the
 * operator can be built in tests without the command line.
 *
 * @param k               items per recommendation
 * @param sessionGapMs    event-time inactivity that ends a session
 * @param stateTtlMs      processing-time TTL of keyed state (0 = none)
 * @param maxSessionItems most recent items kept per session
 * @param batchMaxSize    scoring rows per matrix product
 * @param batchMaxDelayMs processing-time bound on how long a request waits in the batch
 * @param excludeSeen     drop items already in the session from the ranking
 */
public record SessionSettings(int k, long sessionGapMs, long stateTtlMs, int maxSessionItems, int batchMaxSize,
                              long batchMaxDelayMs, boolean excludeSeen) implements Serializable {

    public SessionSettings {
        if (k < 1 || sessionGapMs <= 0 || stateTtlMs < 0 || maxSessionItems < 1 || batchMaxSize < 1 || batchMaxDelayMs <= 0) {
            throw new IllegalArgumentException("invalid session settings: " + this);
        }
    }
}
