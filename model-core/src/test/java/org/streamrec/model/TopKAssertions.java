package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;

/** The serving path's contract, shared by the tests of its implementations. */
final class TopKAssertions {

    private TopKAssertions() {
    }

    /** Asserts that {@code model.topKRows} gives, row by row, {@link TopK#select} over {@link Gru4RecModel#scoreAll}. */
    static void assertExactTopK(Gru4RecModel model, List<float[]> states, List<int[]> excluded, int k)
            throws Exception {
        int items = model.itemCount();
        int rows = states.size();
        float[] whole = new float[rows * items];
        model.scoreAll(states, whole);
        int[] expectedItems = new int[k];
        float[] expectedScores = new float[k];
        int[] visited = {0};
        model.topKRows(states, k, excluded::get, (row, topItems, topScores, count) -> {
            assertThat(row).isEqualTo(visited[0]++);
            int[] skip = excluded.get(row);
            int expected = TopK.select(whole, row * items, items, k, skip, skip == null ? 0 : skip.length,
                    expectedItems, expectedScores);
            assertThat(Arrays.copyOf(topItems, count)).as("row %d items", row)
                    .containsExactly(Arrays.copyOf(expectedItems, expected));
            assertThat(Arrays.copyOf(topScores, count)).as("row %d scores", row)
                    .containsExactly(Arrays.copyOf(expectedScores, expected));
        });
        assertThat(visited[0]).isEqualTo(rows);
    }
}
