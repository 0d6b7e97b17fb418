package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Training and serving run one forward pass ({@link GruCell}): without dropout, the trainer's batched forward leaves
 * exactly the hidden states that {@link Gru4RecModel#step} and {@link Gru4RecModel#stepBatch} produce for the same
 * inputs, so a model serves the states it was trained on.
 */
class TrainingServingForwardTest {

    @ParameterizedTest(name = "hidden {0}, constrained {1}, rows {2}")
    @CsvSource({"100, true, 5", "37, false, 11", "64, false, 8"})
    void trainingForwardGivesTheServingHiddenStatesBitForBit(int hidden, boolean constrained, int rows) {
        int items = 50;
        Gru4RecParams params = Gru4RecParams.defaults().with("layers", String.valueOf(hidden))
                .withOverrides(java.util.Map.of("constrained_embedding", String.valueOf(constrained),
                        "embedding", constrained ? "0" : "24", "batch_size", String.valueOf(rows), "seed", "5"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            ids.add("item-" + i);
        }
        Gru4RecModel model = Gru4RecModel.create(params, new ItemVocabulary(ids), new long[items]);
        SplittableRandom rnd = new SplittableRandom(hidden);
        for (int i = 0; i < model.bIn.length; i++) {
            model.bIn[i] = (float) rnd.nextGaussian() * 0.1f;
            model.bHid[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        model.parametersChanged();
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);

        float[] trained = new float[rows * hidden];
        float[] batched = new float[rows * hidden];
        List<float[]> served = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            served.add(model.newSession());
        }
        int[] in = new int[rows];
        int[] target = new int[rows];
        for (int t = 0; t < 4; t++) {
            for (int r = 0; r < rows; r++) {
                in[r] = rnd.nextInt(items);
                target[r] = rnd.nextInt(items);
            }
            trainer.step(rows, in, target, new int[0], 0, trained, false, false);
            model.stepBatch(batched, in, rows);
            for (int r = 0; r < rows; r++) {
                model.step(served.get(r), in[r]);
            }
            for (int r = 0; r < rows; r++) {
                float[] row = java.util.Arrays.copyOfRange(trained, r * hidden, (r + 1) * hidden);
                assertThat(row).as("step %d row %d vs step", t, r).containsExactly(served.get(r));
                assertThat(row).as("step %d row %d vs stepBatch", t, r)
                        .containsExactly(java.util.Arrays.copyOfRange(batched, r * hidden, (r + 1) * hidden));
            }
        }
    }
}
