package org.streamrec.flink.serving;

import java.util.ArrayList;
import java.util.List;

import org.streamrec.model.ItemVocabulary;

/**
 * Test-only model store: {@code mem://v1} and {@code mem://v2} are {@link CyclicTestScorer}s over items
 * {@code i0..i5}; v1 recommends the next items ({@code a+1, a+2, ...}), v2 the previous ones ({@code a-1, a-2, ...})
 * and has a larger hidden vector, so a v1 hidden state fed to v2 fails loudly. Popularity: {@code i5} most popular,
 * then {@code i4}, ... Any other URI fails to load.
 */
final class TestModels implements ServingModelLoader {

    static final int ITEMS = 6;
    /** Scorers handed out, by load order, so tests can inspect the batching of the instance the operator uses. */
    final List<CyclicTestScorer> loaded = new ArrayList<>();
    /**
     * {@code mem://v1-fails-on-demand}: once a test sets {@link #FAIL_NOW}, the next scoring call throws, and sets
     * {@link #INJECTED_FAILURE} so that it happens once only. Static: the MiniCluster runs the job in this JVM with
     * deserialized copies of this loader, and the restarted job must not fail again.
     */
    static final java.util.concurrent.atomic.AtomicBoolean FAIL_NOW = new java.util.concurrent.atomic.AtomicBoolean();
    static final java.util.concurrent.atomic.AtomicBoolean INJECTED_FAILURE = new java.util.concurrent.atomic.AtomicBoolean();

    static ItemVocabulary vocabulary() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            ids.add("i" + i);
        }
        return new ItemVocabulary(ids);
    }

    @Override
    public ServingModel load(String snapshotUri, String expectedChecksum, int k) {
        long[] popularity = {10, 20, 30, 40, 50, 60};
        CyclicTestScorer scorer;
        long version;
        switch (snapshotUri) {
            case "mem://v1" -> {
                scorer = new CyclicTestScorer(ITEMS, 1, 0);
                version = 1;
            }
            case "mem://v1-fails-on-demand" -> {
                scorer = new CyclicTestScorer(ITEMS, 1, 0).failingOnDemand(FAIL_NOW, INJECTED_FAILURE);
                version = 1;
            }
            case "mem://v2" -> {
                scorer = new CyclicTestScorer(ITEMS, -1, 3);
                version = 2;
            }
            default -> throw new IllegalStateException("no snapshot at " + snapshotUri);
        }
        loaded.add(scorer);
        return ServingModel.of(version, scorer, vocabulary(), popularity, k);
    }
}
