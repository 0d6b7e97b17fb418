package org.streamrec.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.streamrec.data.EventType;
import org.streamrec.data.Session;
import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.NextItemScorer;

class EvaluatorTest {

    /** Scores depend only on the last item fed; the state is that item (or -1). */
    static final class LastItemScorer implements NextItemScorer<int[]> {
        final int items;
        final IntFunction<float[]> rowForLast;
        int steps;

        LastItemScorer(int items, IntFunction<float[]> rowForLast) {
            this.items = items;
            this.rowForLast = rowForLast;
        }

        @Override
        public int itemCount() {
            return items;
        }

        @Override
        public int[] newSession() {
            return new int[] {-1};
        }

        @Override
        public void step(int[] state, int itemIndex) {
            state[0] = itemIndex;
            steps++;
        }

        @Override
        public void scoreAll(List<int[]> sessions, float[] out) {
            for (int r = 0; r < sessions.size(); r++) {
                System.arraycopy(rowForLast.apply(sessions.get(r)[0]), 0, out, r * items, items);
            }
        }
    }

    record Seen(int session, int prefix, int target, int rank, int[] top) {
    }

    private static Session session(String id, String... items) {
        long[] times = IntStream.range(0, items.length).asLongStream().toArray();
        return new Session(id, null, List.of(items), times, Collections.nCopies(items.length, EventType.CLICK));
    }

    private static ItemVocabulary vocabulary(int size) {
        return new ItemVocabulary(IntStream.range(0, size).mapToObj(i -> "i" + i).toList());
    }

    // 30 items; i0..i4 play the parts, the rest are fillers.
    private static final int A = 0, B = 1, C = 2, D = 3;

    private static float[] rowForLast(int last) {
        float[] row = new float[30];
        switch (last) {
            case A -> {
                row[A] = 0.9f;
                row[B] = 0.5f;
                row[C] = 0.5f;
                row[4] = 0.5f;
                for (int i = 5; i < 15; i++) {
                    row[i] = 0.5f; // ten fillers tie with the target b
                }
                row[D] = 0.1f;
            }
            case B -> {
                Arrays.fill(row, 0.2f);
                row[C] = 0.3f;
            }
            case D -> {
                row[A] = 0.7f;
                row[B] = 0.8f;
                row[D] = 0.9f;
            }
            default -> throw new AssertionError("no row for last item " + last);
        }
        return row;
    }

    private static final List<Session> SESSIONS = List.of(
            session("s1", "i0", "i1", "i2"),      // a b c
            session("s2", "i3", "unknown", "i0"),   // d ? a
            session("s3", "i4"),                  // too short: no prediction
            session("s4", "i1", "i1"));           // b b

    private static List<Seen> run(Evaluator evaluator, LastItemScorer scorer, List<EvaluationResult> resultOut) {
        List<Seen> seen = new ArrayList<>();
        EvaluationResult result = evaluator.evaluate("table", scorer, vocabulary(30), SESSIONS, null,
                (s, k, target, rank, top, scores, count) -> seen.add(new Seen(s, k, target, rank, Arrays.copyOf(top, count))));
        resultOut.add(result);
        seen.sort((x, y) -> x.session() != y.session() ? Integer.compare(x.session(), y.session()) : Integer.compare(x.prefix(), y.prefix()));
        return seen;
    }

    @Test
    void ranksCountTiesAgainstTheTargetAndUnknownItemsAreMisses() {
        List<EvaluationResult> results = new ArrayList<>();
        List<Seen> seen = run(new Evaluator(new Evaluator.Config(2, false, 20)), new LastItemScorer(30, EvaluatorTest::rowForLast), results);
        EvaluationResult r = results.get(0);

        // a -> b: a (0.9) beats b, and c, e and ten fillers tie with it at 0.5: rank 1 + 13 = 14.
        // a b -> c: c alone at 0.3: rank 1.  d -> ?: unknown target, a miss.
        // d ? -> a: '?' is not fed, so the last item is still d: b 0.8 and d 0.9 beat a 0.7: rank 3.
        // b -> b: every other item scores >= 0.2: rank 30.
        assertThat(seen).extracting(Seen::rank).containsExactly(14, 1, Evaluator.MISS, 3, 30);
        assertThat(seen).extracting(Seen::target).containsExactly(B, C, ItemVocabulary.UNKNOWN, A, B);
        assertThat(seen).extracting(Seen::session).containsExactly(0, 0, 1, 1, 3);
        assertThat(seen).extracting(Seen::prefix).containsExactly(1, 2, 1, 2, 1);

        assertThat(r.predictions()).isEqualTo(5);
        assertThat(r.recall(5)).isEqualTo(2 / 5.0);
        assertThat(r.recall(10)).isEqualTo(2 / 5.0);
        assertThat(r.recall(20)).isEqualTo(3 / 5.0);
        assertThat(r.mrr(5)).isCloseTo((1 + 1 / 3.0) / 5, within(1e-12));
        assertThat(r.mrr(20)).isCloseTo((1 + 1 / 3.0 + 1 / 14.0) / 5, within(1e-12));
        assertThat(r.unknownTargets()).isEqualTo(1);
        assertThat(r.unknownInputs()).isEqualTo(1);
        assertThat(r.excludeSeen()).isFalse();

        // Top lists: ties by lower index. After a: a, then the 0.5 group b c e 5..14, then d 0.1, then zeros 15..
        assertThat(seen.get(0).top()).startsWith(A, B, C, 4, 5, 6).contains(D).hasSize(20);
        assertThat(seen.get(0).top()[14]).isEqualTo(D);
    }

    @Test
    void excludeSeenRemovesThePrefixFromRankingsAndListsAndMakesRepeatsMisses() {
        List<EvaluationResult> results = new ArrayList<>();
        List<Seen> seen = run(new Evaluator(new Evaluator.Config(3, true, 20)), new LastItemScorer(30, EvaluatorTest::rowForLast), results);
        EvaluationResult r = results.get(0);

        // a -> b without a: rank 13. a b -> c: 1. d ? -> a without d: only b beats a: rank 2. b -> b: seen, a miss.
        assertThat(seen).extracting(Seen::rank).containsExactly(13, 1, Evaluator.MISS, 2, Evaluator.MISS);
        assertThat(r.excludeSeen()).isTrue();
        assertThat(r.recall(20)).isEqualTo(3 / 5.0);
        assertThat(r.mrr(20)).isCloseTo((1 / 13.0 + 1 + 1 / 2.0) / 5, within(1e-12));
        for (Seen s : seen) {
            List<Session> sessions = SESSIONS;
            List<String> prefix = sessions.get(s.session()).itemIds().subList(0, s.prefix());
            for (int item : s.top()) {
                assertThat(prefix).doesNotContain("i" + item);
            }
        }
    }

    @Test
    void coverageCountsDistinctItemsOfAllTopTwentyLists() {
        // 40 items; after item x the best items are x, x+1, ..., strictly (score -((j - x) mod 40)).
        int n = 40;
        LastItemScorer scorer = new LastItemScorer(n, last -> {
            float[] row = new float[n];
            for (int j = 0; j < n; j++) {
                row[j] = -((j - last + n) % n);
            }
            return row;
        });
        List<Session> sessions = List.of(session("s", "i0", "i5", "i7"));
        ItemVocabulary vocabulary = vocabulary(n);
        Map<Integer, int[]> tops = new HashMap<>();

        EvaluationResult kept = new Evaluator().evaluate("shift", scorer, vocabulary, sessions, null,
                (s, k, target, rank, top, scores, count) -> tops.put(k, Arrays.copyOf(top, count)));
        // Lists {0..19} and {5..24}: 25 distinct items of 40. Ranks: 5 after 0 is 6th, 7 after 5 is 3rd.
        assertThat(kept.coverage()).isEqualTo(25 / 40.0);
        assertThat(kept.distinctRecommended()).isEqualTo(25);
        assertThat(tops.get(1)).containsExactly(IntStream.range(0, 20).toArray());
        assertThat(kept.mrr(20)).isCloseTo((1 / 6.0 + 1 / 3.0) / 2, within(1e-12));

        EvaluationResult excluded = new Evaluator(Evaluator.Config.DEFAULT.withExcludeSeen(true)).evaluate("shift", scorer, vocabulary,
                sessions, null, (s, k, target, rank, top, scores, count) -> tops.put(k, Arrays.copyOf(top, count)));
        // Lists {1..20} and {6..25}: 25 items again, but other ones; ranks 5 and 2.
        assertThat(tops.get(1)).containsExactly(IntStream.rangeClosed(1, 20).toArray());
        assertThat(tops.get(2)).containsExactly(IntStream.rangeClosed(6, 25).toArray());
        assertThat(excluded.coverage()).isEqualTo(25 / 40.0);
        assertThat(excluded.mrr(20)).isCloseTo((1 / 5.0 + 1 / 2.0) / 2, within(1e-12));
    }

    @Test
    void batchSizeDoesNotChangeTheResult() {
        List<EvaluationResult> results = new ArrayList<>();
        for (int batch : new int[] {1, 2, 3, 256}) {
            LastItemScorer scorer = new LastItemScorer(30, EvaluatorTest::rowForLast);
            results.add(new Evaluator(new Evaluator.Config(batch, false, 25)).evaluate("t", scorer, vocabulary(30), SESSIONS));
            // Prefixes of a session share one advancing state: steps are the known inputs a, b | d | b.
            assertThat(scorer.steps).isEqualTo(4);
        }
        for (EvaluationResult r : results) {
            assertThat(r.atK()).isEqualTo(results.get(0).atK());
            assertThat(r.coverage()).isEqualTo(results.get(0).coverage());
        }
    }

    @Test
    void tableAndJsonShowTheMetricsAndTheSeenFlag() {
        EvaluationResult r = new Evaluator().evaluate("table", new LastItemScorer(30, EvaluatorTest::rowForLast), vocabulary(30), SESSIONS);
        String table = EvaluationResult.table(List.of(r));
        assertThat(table).contains("R@20", "MRR@20", "Cov@20", "0.6000", "kept in the ranking", "1 targets unknown");
        assertThat(r.toJson().get("recall@20").asDouble()).isEqualTo(0.6);
        assertThat(r.toJson().get("excludeSeen").asBoolean()).isFalse();
        assertThat(r.toJson().get("predictions").asLong()).isEqualTo(5);
    }
}
