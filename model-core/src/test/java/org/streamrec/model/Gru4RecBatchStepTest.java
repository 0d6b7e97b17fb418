package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The serving job steps a whole micro-batch with {@link Gru4RecModel#stepAll}; a session's state must come out
 * bit for bit as if it had been stepped alone with {@link Gru4RecModel#step}, whatever else is in the batch, or
 * streamed recommendations would drift from the offline evaluator's. Likewise {@link Gru4RecModel#scoreRows} must give
 * exactly the scores of {@link Gru4RecModel#scoreAll}.
 */
class Gru4RecBatchStepTest {

    private static Gru4RecModel model(int hidden, boolean constrained, int items) {
        Gru4RecParams params = Gru4RecParams.defaults().with("layers", String.valueOf(hidden))
                .withOverrides(java.util.Map.of("constrained_embedding", String.valueOf(constrained),
                        "embedding", constrained ? "0" : "24", "seed", "11"));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            ids.add("item-" + i);
        }
        Gru4RecModel model = Gru4RecModel.create(params, new ItemVocabulary(ids), new long[items]);
        // Non-zero biases, so the bias terms are exercised too (create() sets them to zero).
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < model.bIn.length; i++) {
            model.bIn[i] = (float) rnd.nextGaussian() * 0.1f;
            model.bHid[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        for (int i = 0; i < items; i++) {
            model.outBias[i] = (float) rnd.nextGaussian() * 0.1f;
        }
        model.parametersChanged();
        return model;
    }

    @org.junit.jupiter.api.Test
    void theVectorKernelIsTheOneUnderTestWhenTheModuleIsThere() {
        // The build's JVMs run with --add-modules=jdk.incubator.vector, so the bit-equality below covers that kernel.
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
        assertThat(GateKernel.INSTANCE.name()).startsWith("Vector API");
    }

    @ParameterizedTest(name = "hidden {0}, constrained {1}")
    @CsvSource({"100, true", "37, false", "512, true"})
    void batchedStepsEqualPerEventStepsBitForBit(int hidden, boolean constrained) {
        int items = 400;
        Gru4RecModel model = model(hidden, constrained, items);
        SplittableRandom rnd = new SplittableRandom(hidden);
        // Sessions of different ages, some new (all-zero state), stepped over several rounds with batch sizes that
        // do and do not fill the kernel's row blocks; some rows carry an unknown item (-1) and must stay unchanged.
        for (int batch : new int[] {1, 3, 17, 64, 130}) {
            List<float[]> batched = new ArrayList<>();
            List<float[]> alone = new ArrayList<>();
            for (int s = 0; s < batch; s++) {
                float[] h = model.newSession();
                for (int warm = rnd.nextInt(4); warm > 0; warm--) {
                    model.step(h, rnd.nextInt(items));
                }
                batched.add(h.clone());
                alone.add(h.clone());
            }
            for (int round = 0; round < 4; round++) {
                int[] rows = new int[batch];
                for (int s = 0; s < batch; s++) {
                    rows[s] = rnd.nextInt(8) == 0 ? -1 : rnd.nextInt(items);
                    if (rows[s] >= 0) {
                        model.step(alone.get(s), rows[s]);
                    }
                }
                model.stepAll(batched, rows);
                for (int s = 0; s < batch; s++) {
                    assertThat(batched.get(s)).as("batch %d, round %d, session %d", batch, round, s)
                            .containsExactly(alone.get(s));
                }
            }
        }
    }

    @ParameterizedTest(name = "hidden {0}")
    @CsvSource({"100", "37"})
    void rowByRowScoresEqualTheWholeMatrix(int hidden) throws Exception {
        int items = 1000;
        Gru4RecModel model = model(hidden, true, items);
        SplittableRandom rnd = new SplittableRandom(7);
        List<float[]> states = new ArrayList<>();
        for (int s = 0; s < 40; s++) {
            float[] h = model.newSession();
            for (int k = 0; k <= s % 5; k++) {
                model.step(h, rnd.nextInt(items));
            }
            states.add(h);
        }
        float[] whole = new float[states.size() * items];
        model.scoreAll(states, whole);
        int[] visited = {0};
        model.scoreRows(states, (row, scores, offset) -> {
            assertThat(row).isEqualTo(visited[0]++);
            float[] expected = java.util.Arrays.copyOfRange(whole, row * items, (row + 1) * items);
            float[] actual = java.util.Arrays.copyOfRange(scores, offset, offset + items);
            assertThat(actual).as("row %d", row).containsExactly(expected);
        });
        assertThat(visited[0]).isEqualTo(states.size());
    }
    @ParameterizedTest(name = "{0} rows, {1} items, k {2}")
    @CsvSource({"1, 3000, 20", "7, 3000, 20", "40, 5000, 20", "130, 5000, 20", "300, 2500, 7", "3, 10, 20"})
    void topKRowsEqualTopKOverTheWholeMatrix(int rows, int items, int k) throws Exception {
        Gru4RecModel model = model(100, true, items);
        SplittableRandom rnd = new SplittableRandom(rows);
        List<float[]> states = new ArrayList<>();
        List<int[]> excluded = new ArrayList<>();
        for (int s = 0; s < rows; s++) {
            float[] h = model.newSession();
            int[] seen = new int[1 + s % 4];
            for (int j = 0; j < seen.length; j++) {
                seen[j] = rnd.nextInt(items);
                model.step(h, seen[j]);
            }
            states.add(h);
            excluded.add(s % 3 == 0 ? null : seen);
        }
        TopKAssertions.assertExactTopK(model, states, excluded, k);
    }
}
