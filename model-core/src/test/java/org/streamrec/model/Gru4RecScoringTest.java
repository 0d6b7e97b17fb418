package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Serving path (step, scoreAll, scoreBatch) agrees with itself, with plain dot products and with training. */
class Gru4RecScoringTest {

    private static final int ITEMS = 50;

    private static Gru4RecModel trainedModel(long seed) {
        Gru4RecParams params = Gru4RecParams.defaults()
                .with("layers", "16").with("batch_size", "8").with("n_sample", "10")
                .with("dropout_p_hidden", "0.2").with("momentum", "0.3").with("seed", Long.toString(seed));
        List<String> ids = new ArrayList<>();
        long[] pop = new long[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            ids.add("i" + i);
            pop[i] = 1 + (i % 7);
        }
        Gru4RecModel model = Gru4RecModel.create(params, new ItemVocabulary(ids), pop);
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int b = 0; b < 30; b++) {
            int[] in = new int[8];
            int[] out = new int[8];
            boolean[] reset = new boolean[8];
            for (int k = 0; k < 8; k++) {
                in[k] = rnd.nextInt(ITEMS);
                out[k] = (in[k] + 1) % ITEMS;
                reset[k] = rnd.nextInt(4) == 0;
            }
            trainer.trainIncremental(in, out, reset);
        }
        return model;
    }

    @Test
    void warmUpRunsItsBatchesOnACopyAndLeavesTheModelAsItWas() {
        Gru4RecModel model = trainedModel(4);
        float[] h = model.newSession();
        model.step(h, 3);
        float[] before = new float[ITEMS];
        model.scoreAll(List.of(h), before);
        long stamp = model.parameterStamp;
        long eventsSeen = model.eventsSeen;

        int batches = model.warmUp();

        // All of them unless the 10 s cap cut a very slow machine short.
        assertThat(batches).isPositive().isLessThanOrEqualTo(Gru4RecModel.WARM_UP_BATCHES);
        float[] after = new float[ITEMS];
        model.scoreAll(List.of(h), after);
        assertThat(after).containsExactly(before);
        assertThat(model.parameterStamp).isEqualTo(stamp);
        assertThat(model.eventsSeen).isEqualTo(eventsSeen);
        assertThat(model.itemCount()).isEqualTo(ITEMS);
    }

    @Test
    void batchScoringEqualsPerRowScoringAndDotProducts() {
        Gru4RecModel model = trainedModel(3);
        SplittableRandom rnd = new SplittableRandom(5);
        List<float[]> states = new ArrayList<>();
        for (int s = 0; s < 7; s++) {
            float[] h = model.newSession();
            for (int k = 0; k < 1 + s; k++) {
                model.step(h, rnd.nextInt(ITEMS));
            }
            states.add(h);
        }
        float[] batch = new float[states.size() * ITEMS];
        model.scoreAll(states, batch);
        float[] single = new float[ITEMS];
        for (int r = 0; r < states.size(); r++) {
            model.scoreAll(List.of(states.get(r)), single);
            for (int i = 0; i < ITEMS; i++) {
                assertThat(batch[r * ITEMS + i]).isCloseTo(single[i], within(1e-5f));
                double dot = model.outBias[i];
                for (int j = 0; j < model.hidden; j++) {
                    dot += (double) states.get(r)[j] * model.outEmb[i * model.hidden + j];
                }
                assertThat((double) batch[r * ITEMS + i]).isCloseTo(dot, within(1e-4));
            }
        }
        float[] raw = new float[states.size() * ITEMS];
        float[] stacked = new float[states.size() * model.hidden];
        for (int r = 0; r < states.size(); r++) {
            System.arraycopy(states.get(r), 0, stacked, r * model.hidden, model.hidden);
        }
        model.scoreBatch(stacked, states.size(), raw);
        assertThat(raw).containsExactly(batch);
    }

    @Test
    void servingStepMatchesTheTrainingForwardPassWithoutDropout() {
        Gru4RecModel model = trainedModel(4);
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        int[] in = {1, 2, 3, 4};
        int[] target = {5, 6, 7, 8};
        float[] batchHidden = new float[4 * model.hidden];
        List<float[]> served = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            served.add(model.newSession());
        }
        for (int t = 0; t < 3; t++) {
            trainer.step(4, in, target, new int[0], 0, batchHidden, false, false);
            for (int r = 0; r < 4; r++) {
                model.step(served.get(r), in[r]);
            }
            for (int r = 0; r < 4; r++) {
                for (int j = 0; j < model.hidden; j++) {
                    assertThat(batchHidden[r * model.hidden + j]).isCloseTo(served.get(r)[j], within(1e-5f));
                }
            }
            in = target.clone();
        }
    }

    @Test
    void trainingIsDeterministicUnderASeed() {
        Gru4RecModel a = trainedModel(9);
        Gru4RecModel b = trainedModel(9);
        Gru4RecModel c = trainedModel(10);
        assertThat(a.outEmb).containsExactly(b.outEmb);
        assertThat(a.wHid).containsExactly(b.wHid);
        assertThat(Arrays.equals(a.wHid, c.wHid)).isFalse();
    }

    @Test
    void growingTheItemSetKeepsOldScoresAndTrainsNewRows() {
        Gru4RecModel model = trainedModel(6);
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        float[] h = model.newSession();
        model.step(h, 3);
        float[] before = new float[ITEMS];
        model.scoreAll(List.of(h), before);

        int[] rows = model.addItems(List.of("new-a", "i3", "new-b"));
        assertThat(rows).containsExactly(ITEMS, 3, ITEMS + 1);
        assertThat(model.itemCount()).isEqualTo(ITEMS + 2);
        float[] after = new float[ITEMS + 2];
        model.scoreAll(List.of(h), after);
        assertThat(Arrays.copyOf(after, ITEMS)).containsExactly(before);
        double bound = Math.sqrt(6.0 / (ITEMS + 2 + model.hidden));
        for (int j = 0; j < model.hidden; j++) {
            assertThat((double) Math.abs(model.outEmb[ITEMS * model.hidden + j])).isLessThanOrEqualTo(bound).isPositive();
        }

        trainer.observe(ITEMS);
        trainer.observe(ITEMS + 1);
        trainer.refreshSampler();
        float[] newRowBefore = Arrays.copyOfRange(model.outEmb, ITEMS * model.hidden, (ITEMS + 1) * model.hidden);
        trainer.trainIncremental(new int[] {3, ITEMS + 1}, new int[] {ITEMS, 3}, new boolean[] {true, true});
        float[] newRowAfter = Arrays.copyOfRange(model.outEmb, ITEMS * model.hidden, (ITEMS + 1) * model.hidden);
        assertThat(newRowAfter).isNotEqualTo(newRowBefore);
        assertThat(model.popularityOf(ITEMS)).isEqualTo(1);
    }
}
