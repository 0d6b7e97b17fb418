package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pruned top-k must be the exact top-k: the same items, scores and tie-breaks as scoring every item, for any
 * model, hidden state and exclusion list; the bound may only change how many items get scored in full.
 */
class LowRankScoreBoundTest {

    private static Gru4RecModel model(int hidden, int items) {
        Gru4RecParams params = Gru4RecParams.defaults().with("layers", String.valueOf(hidden))
                .withOverrides(Map.of("constrained_embedding", "true", "embedding", "0", "seed", "7"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            ids.add("item-" + i);
        }
        return Gru4RecModel.create(params, new ItemVocabulary(ids), new long[items]);
    }

    /**
     * An output embedding like a trained one (most energy in a few directions, item norms spread out), with biases,
     * and exact duplicates of a few popular rows so that equal scores compete at the top.
     */
    private static void trainedLike(Gru4RecModel model, int latentRank, double noise, long seed) {
        int hidden = model.hiddenSize();
        int items = model.itemCount();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] directions = new double[latentRank * hidden];
        for (int i = 0; i < directions.length; i++) {
            directions[i] = rnd.nextGaussian() / Math.sqrt(hidden);
        }
        for (int i = 0; i < items; i++) {
            double scale = 0.2 + rnd.nextDouble();
            for (int d = 0; d < hidden; d++) {
                model.outEmb[i * hidden + d] = (float) (noise * rnd.nextGaussian() / Math.sqrt(hidden));
            }
            for (int j = 0; j < latentRank; j++) {
                double c = scale * rnd.nextGaussian();
                for (int d = 0; d < hidden; d++) {
                    model.outEmb[i * hidden + d] += (float) (c * directions[j * hidden + d]);
                }
            }
            model.outBias[i] = (float) (0.05 * rnd.nextGaussian());
        }
        for (int copy = 0; copy < 30; copy++) {
            int source = copy % 3;
            int target = items - 1 - copy * 7;
            System.arraycopy(model.outEmb, source * hidden, model.outEmb, target * hidden, hidden);
            model.outBias[target] = model.outBias[source];
        }
        model.parametersChanged();
    }

    /** Hidden states from real steps, one exactly zero, and ones aligned with the most popular (duplicated) items. */
    private static List<float[]> sessions(Gru4RecModel model, int count, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int hidden = model.hiddenSize();
        List<float[]> states = new ArrayList<>();
        states.add(model.newSession());
        for (int s = 1; s < count; s++) {
            float[] h = model.newSession();
            if (s % 5 == 0) {
                for (int d = 0; d < hidden; d++) {
                    h[d] = 3f * model.outEmb[(s % 3) * hidden + d];
                }
            } else {
                for (int step = 0; step < 1 + s % 6; step++) {
                    model.step(h, rnd.nextInt(model.itemCount()));
                }
            }
            states.add(h);
        }
        return states;
    }

    private static List<int[]> exclusions(Gru4RecModel model, int rows, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<int[]> excluded = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            if (r % 3 == 0) {
                excluded.add(null);
            } else {
                int[] skip = new int[1 + r % 5];
                for (int j = 0; j < skip.length; j++) {
                    // the duplicated top rows too, so exclusions meet ties
                    skip[j] = j == 0 ? r % 3 : rnd.nextInt(model.itemCount());
                }
                excluded.add(skip);
            }
        }
        return excluded;
    }

    @ParameterizedTest(name = "hidden {0}, {1} items, rank {2}, k {3}, {4} rows")
    @CsvSource({"64, 6000, 16, 20, 23", "64, 6000, 16, 1, 9", "100, 8000, 32, 20, 40", "48, 5000, 8, 50, 17",
            "100, 5000, 48, 20, 3"})
    void prunedTopKIsTheExactTopKAndScoresFewItemsInFull(int hidden, int items, int rank, int k, int rows)
            throws Exception {
        Gru4RecModel model = model(hidden, items);
        trainedLike(model, rank / 2, 0.05, hidden + items);
        model.prepareForServing(rank);
        assertThat(model.scoreBoundRank()).isEqualTo(rank);
        List<float[]> states = sessions(model, rows, items);

        TopKAssertions.assertExactTopK(model, states, exclusions(model, rows, rank), k);

        // Not a speed assertion: the count of full scores is what the bound exists to cut.
        assertThat(model.itemsRanked()).isEqualTo((long) rows * items);
        assertThat(model.itemsScoredInFull()).isLessThan(model.itemsRanked() / 4);
        for (int round = 0; round * rows < LowRankScoreBound.PROBE_ROWS; round++) {
            TopKAssertions.assertExactTopK(model, states, exclusions(model, rows, rank), k);
        }
        assertThat(model.scoreBoundRank()).as("still pruning after the probe").isEqualTo(rank);
    }

    @ParameterizedTest(name = "hidden {0}, rank {1}, noise {2}")
    @CsvSource({"64, 16, 0.05", "64, 8, 0.5", "100, 32, 0.3", "37, 12, 1.0", "512, 168, 0.2"})
    void noComputedScoreExceedsItsUpperBound(int hidden, int rank, double noise) {
        Gru4RecModel model = model(hidden, 1500);
        trainedLike(model, rank / 2, noise, hidden * 7L + rank);
        List<float[]> states = sessions(model, 12, hidden);
        SplittableRandom rnd = new SplittableRandom(rank);
        for (int extra = 0; extra < 4; extra++) {
            float[] h = new float[hidden];
            for (int d = 0; d < hidden; d++) {
                h[d] = (float) (rnd.nextGaussian() * Math.pow(10, extra - 1));
            }
            states.add(h);
        }
        int rows = states.size();
        int items = model.itemCount();
        float[] scores = new float[rows * items];
        model.scoreAll(states, scores);
        LowRankScoreBound bound = LowRankScoreBound.build(model.outEmb, model.outBias, items, hidden, rank);
        float[] upper = new float[rows * items];
        float[] stacked = new float[rows * hidden];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(states.get(r), 0, stacked, r * hidden, hidden);
        }
        assertThat(bound.upperBounds(stacked, rows, upper)).isTrue();
        for (int i = 0; i < rows * items; i++) {
            assertThat(upper[i]).as("upper bound of score %d", i).isGreaterThanOrEqualTo(scores[i]);
        }
    }

    @Test
    void aHeadSmallerThanKStillGetsTheExactTopK() throws Exception {
        Gru4RecModel model = model(64, 4000);
        trainedLike(model, 8, 0.05, 13);
        model.prepareForServing(16, 32);   // one or two blocks: the heaps are not full after the head
        List<float[]> states = sessions(model, 11, 8);
        TopKAssertions.assertExactTopK(model, states, exclusions(model, 11, 9), 100);
        assertThat(model.itemsScoredInFull()).isLessThan(model.itemsRanked());
    }

    @Test
    void aModelWithoutLowRankStructureStillGetsTheExactTopK() throws Exception {
        Gru4RecModel model = model(64, 2500);   // uniform random initial embedding: the bound prunes little
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < model.itemCount(); i++) {
            model.outBias[i] = (float) (0.1 * rnd.nextGaussian());
        }
        model.parametersChanged();
        model.prepareForServing(24);
        assertThat(model.scoreBoundRank()).isEqualTo(24);
        List<float[]> states = sessions(model, 19, 2);
        TopKAssertions.assertExactTopK(model, states, exclusions(model, 19, 3), 20);
    }

    @Test
    void aBoundThatPrunesLittleSwitchesItselfOffAfterItsProbe() throws Exception {
        Gru4RecModel model = model(64, 2500);   // uniform random initial embedding, as a fresh model's
        model.prepareForServing(16);
        List<float[]> states = sessions(model, LowRankScoreBound.PROBE_ROWS, 5);
        List<int[]> excluded = exclusions(model, states.size(), 6);
        TopKAssertions.assertExactTopK(model, states, excluded, 20);
        assertThat(model.itemsScoredInFull()).as("the probe's share")
                .isGreaterThan((long) (LowRankScoreBound.MAX_USEFUL_SHARE * model.itemsRanked()));
        assertThat(model.scoreBoundRank()).isZero();

        long before = model.itemsScoredInFull();
        TopKAssertions.assertExactTopK(model, states, excluded, 20);
        assertThat(model.itemsScoredInFull() - before).as("every item scored now").isEqualTo((long) states.size() * 2500);
    }

    @Test
    void aParameterChangeAfterPreparingFallsBackToScoringEveryItem() throws Exception {
        Gru4RecModel model = model(64, 2000);
        trainedLike(model, 8, 0.05, 9);
        model.prepareForServing(16);
        model.outEmb[5] += 0.5f;
        model.parametersChanged();
        assertThat(model.scoreBoundRank()).isZero();
        List<float[]> states = sessions(model, 7, 4);
        TopKAssertions.assertExactTopK(model, states, exclusions(model, 7, 5), 20);
        assertThat(model.itemsScoredInFull()).isEqualTo(model.itemsRanked());
    }

    @Test
    void nonFiniteParametersOrAKAsLargeAsTheCatalogueScoreEveryItem() throws Exception {
        Gru4RecModel model = model(32, 300);
        trainedLike(model, 4, 0.05, 11);
        model.prepareForServing(8);
        List<float[]> states = sessions(model, 5, 6);
        TopKAssertions.assertExactTopK(model, states, exclusions(model, 5, 7), 300);
        assertThat(model.itemsScoredInFull()).isEqualTo(model.itemsRanked());

        model.outBias[17] = Float.NaN;
        model.parametersChanged();
        model.prepareForServing(8);
        assertThat(model.scoreBoundRank()).isZero();
        TopKAssertions.assertExactTopK(model, states, exclusions(model, 5, 7), 20);
    }

    @Test
    void theServingDefaultIsTheDefaultRankAndAnExplicitRankStaysUntilTheParametersChange() {
        Gru4RecModel model = model(32, 300);
        model.prepareForServing();      // what ServingModel does on every model load
        assertThat(model.scoreBoundRank()).isEqualTo(LowRankScoreBound.defaultRank(32)).isEqualTo(8);
        model.prepareForServing(0);
        model.prepareForServing();      // a loader chose the rank before ServingModel prepared it
        assertThat(model.scoreBoundRank()).isZero();
        model.parametersChanged();
        model.prepareForServing();
        assertThat(model.scoreBoundRank()).isEqualTo(8);
    }

    @Test
    void noRankZeroOrARankAboveHalfTheWidthMeansNoBound() {
        Gru4RecModel model = model(32, 300);
        model.prepareForServing(8);
        assertThat(model.scoreBoundRank()).isEqualTo(8);
        model.prepareForServing(0);
        assertThat(model.scoreBoundRank()).isZero();
        model.prepareForServing(17);
        assertThat(model.scoreBoundRank()).isZero();
        assertThat(LowRankScoreBound.defaultRank(100)).isEqualTo(32);
    }

    @ParameterizedTest(name = "{0} items, hidden {1}")
    @CsvSource({"1, 100", "15, 100", "16, 37", "33, 64", "70, 512"})
    void gatheredScoresAreTheKernelsScoresBitForBit(int count, int hidden) {
        SplittableRandom rnd = new SplittableRandom(count * 13L + hidden);
        int items = 200;
        float[] table = new float[items * hidden];
        for (int i = 0; i < table.length; i++) {
            table[i] = (float) (0.1 * rnd.nextGaussian());
        }
        float[] x = new float[2 * hidden];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (0.5 * rnd.nextGaussian());
        }
        int[] picked = new int[count];
        for (int j = 0; j < count; j++) {
            picked[j] = rnd.nextInt(items);
        }
        for (ItemScoreKernel kernel : List.of(new VectorItemScoreKernel(), new ItemScoreKernel.Scalar())) {
            int stride = kernel.blocks(items) * kernel.blockItems();
            float[] all = new float[2 * stride];
            kernel.scores(kernel.pack(table, items, hidden), hidden, x, 2, 0, kernel.blocks(items), all, stride);
            int[] offsets = new int[kernel.gatherCapacity(count)];
            for (int j = 0; j < count; j++) {
                offsets[j] = picked[j] * hidden;
            }
            float[] gathered = new float[offsets.length];
            kernel.gatherScores(table, hidden, x, hidden, offsets, count, gathered);
            for (int j = 0; j < count; j++) {
                assertThat(gathered[j]).as("%s item %d", kernel.name(), picked[j]).isEqualTo(all[stride + picked[j]]);
            }
        }
    }
}
