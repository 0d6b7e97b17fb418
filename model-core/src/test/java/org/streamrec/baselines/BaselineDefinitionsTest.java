package org.streamrec.baselines;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.streamrec.data.EventType;
import org.streamrec.data.ReadReport;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.model.ItemVocabulary;

/** The baselines' definitions on training sets small enough to rank by hand. */
class BaselineDefinitionsTest {

    private static long clock;

    private static Session session(String... items) {
        long[] times = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            times[i] = ++clock;
        }
        return new Session("s" + clock, null, List.of(items), times, Collections.nCopies(items.length, EventType.CLICK));
    }

    private static SessionDataset dataset(Session... sessions) {
        return new SessionDataset(List.of(sessions), new ReadReport("test", 0, 0, 0, List.of()));
    }

    /** Item ids of the full ranking for a session that saw {@code history}, best first, ties by lower row. */
    private static List<String> ranking(HistoryScorer scorer, ItemVocabulary vocabulary, String... history) {
        SessionHistory state = scorer.newSession();
        for (String id : history) {
            scorer.step(state, vocabulary.indexOf(id));
        }
        float[] row = new float[scorer.itemCount()];
        scorer.scoreAll(List.of(state), row);
        List<Integer> items = new ArrayList<>(IntStream.range(0, row.length).boxed().toList());
        items.sort(Comparator.<Integer>comparingDouble(i -> -row[i]).thenComparingInt(i -> i));
        return items.stream().map(vocabulary::idOf).toList();
    }

    private static float score(HistoryScorer scorer, ItemVocabulary vocabulary, String item, String... history) {
        SessionHistory state = scorer.newSession();
        for (String id : history) {
            scorer.step(state, vocabulary.indexOf(id));
        }
        float[] row = new float[scorer.itemCount()];
        scorer.scoreAll(List.of(state), row);
        return row[vocabulary.indexOf(item)];
    }

    // Occurrences: 10 x3, 4 x2, 2 x1, 3 x1. Ties go to the id first in string order: "10" < "2" < "3" < "4".
    private static final SessionDataset SMALL = dataset(session("10", "2"), session("10", "3"), session("4", "4", "10"));

    @Test
    void popMarkovAndItemKnnRankAsDefinedWhateverTheVocabularyOrder() {
        for (ItemVocabulary vocabulary : List.of(TrainingStats.vocabularyOf(SMALL), new ItemVocabulary(List.of("4", "3", "10", "2")))) {
            TrainingStats stats = TrainingStats.of(SMALL, vocabulary);

            HistoryScorer pop = PopularityScorer.fit(stats);
            assertThat(ranking(pop, vocabulary, "3")).containsExactly("10", "4", "2", "3");

            HistoryScorer markov = MarkovScorer.fit(stats);
            // 10 was followed once by 2 and once by 3 (tie: lower id first), then POP tops up.
            assertThat(ranking(markov, vocabulary, "10")).containsExactly("2", "3", "10", "4");
            // 4 -> 4 (a consecutive repeat counts) and 4 -> 10 once each; "10" wins the tie.
            assertThat(ranking(markov, vocabulary, "3", "4")).containsExactly("10", "4", "2", "3");
            // Nothing ever followed 2: POP.
            assertThat(ranking(markov, vocabulary, "2")).containsExactly("10", "4", "2", "3");
            assertThat(ranking(markov, vocabulary)).containsExactly("10", "4", "2", "3");

            HistoryScorer itemKnn = ItemKnnScorer.fit(stats);
            // With 10: c = 1 for 2, 3 and 4 (session {4,4,10} counts once); n_2 = n_3 = 1, n_4 = 2 occurrences,
            // so cos(10,2) = cos(10,3) = 1/sqrt(3) > cos(10,4) = 1/sqrt(6); 10 itself only via the POP top-up.
            assertThat(ranking(itemKnn, vocabulary, "10")).containsExactly("2", "3", "4", "10");
            // 4 co-occurs with 10 only; it is not its own neighbour.
            assertThat(ranking(itemKnn, vocabulary, "4")).containsExactly("10", "4", "2", "3");
        }
    }

    @Test
    void vsknnWeightsNeighboursByLinearPositionWeightsAndRecency() {
        SessionDataset train = dataset(session("1", "2"), session("2", "3"), session("3", "4"));
        ItemVocabulary vocabulary = TrainingStats.vocabularyOf(train);
        TrainingStats stats = TrainingStats.of(train, vocabulary);

        // Session (2, 3): weights 2 -> 1/2, 3 -> 1; divided by 2 distinct items.
        // Neighbours {1,2}: 0.25, step 2 (shares only the older item 2); {2,3}: 0.75, step 1; {3,4}: 0.5, step 1.
        HistoryScorer all = VsknnScorer.fit(stats, new VsknnScorer.Params(100, 1000));
        assertThat(score(all, vocabulary, "1", "2", "3")).isCloseTo(0.125f, within(1e-6f));
        assertThat(score(all, vocabulary, "2", "2", "3")).isCloseTo(0.875f, within(1e-6f));
        assertThat(score(all, vocabulary, "3", "2", "3")).isCloseTo(1.25f, within(1e-6f));
        assertThat(score(all, vocabulary, "4", "2", "3")).isCloseTo(0.5f, within(1e-6f));

        // Only the 2 most recent candidates ({3,4} and {2,3}) are considered.
        HistoryScorer recent = VsknnScorer.fit(stats, new VsknnScorer.Params(100, 2));
        assertThat(score(recent, vocabulary, "1", "2", "3")).isZero();
        assertThat(score(recent, vocabulary, "2", "2", "3")).isCloseTo(0.75f, within(1e-6f));

        // Only the single most similar neighbour ({2,3}) is used.
        HistoryScorer nearest = VsknnScorer.fit(stats, new VsknnScorer.Params(1, 1000));
        assertThat(score(nearest, vocabulary, "3", "2", "3")).isCloseTo(0.75f, within(1e-6f));
        assertThat(score(nearest, vocabulary, "4", "2", "3")).isZero();
    }

    @Test
    void sequentialRulesWeightPairsByOneOverTheirGap() {
        SessionDataset train = dataset(session("1", "2", "3"), session("1", "3"));
        ItemVocabulary vocabulary = TrainingStats.vocabularyOf(train);
        HistoryScorer sr = SequentialRulesScorer.fit(TrainingStats.of(train, vocabulary));
        assertThat(score(sr, vocabulary, "2", "1")).isEqualTo(1f);
        assertThat(score(sr, vocabulary, "3", "1")).isEqualTo(1.5f); // gap 2 in the first session, gap 1 in the second
        assertThat(score(sr, vocabulary, "1", "1")).isZero();
        assertThat(score(sr, vocabulary, "3", "1", "2")).isEqualTo(1f);
    }

    @Test
    void idsCompareAsStrings() {
        assertThat(TrainingStats.compareIds("10", "9")).isNegative();
        assertThat(TrainingStats.compareIds("b", "a")).isPositive();
    }
}
