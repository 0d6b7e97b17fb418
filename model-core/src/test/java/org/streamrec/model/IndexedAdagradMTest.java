package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** One optimizer step against values worked out by hand from {@code acc += g^2; mom = mu*mom - lr*g/sqrt(acc+eps); w += mom}. */
class IndexedAdagradMTest {

    @Test
    void momentumStepMatchesHandComputedValues() {
        float[] w = {1.0f, -0.5f};
        float[] g = {0.5f, -2.0f};
        float[] acc = {0.0f, 1.0f};
        float[] mom = {0.1f, 0.0f};
        IndexedAdagradM.update(w, g, acc, mom, 0, 0, 2, 0.1f, 0.5f);
        // acc0 = 0.25, mom0 = 0.5*0.1 - 0.1*0.5/sqrt(0.250001) = -0.04999980; acc1 = 5, mom1 = 0.2/sqrt(5.000001) = 0.08944270
        assertThat(acc).containsExactly(0.25f, 5.0f);
        assertThat(mom[0]).isCloseTo(-0.0499998f, within(1e-7f));
        assertThat(mom[1]).isCloseTo(0.0894427f, within(1e-7f));
        assertThat(w[0]).isCloseTo(0.9500002f, within(1e-7f));
        assertThat(w[1]).isCloseTo(-0.4105573f, within(1e-7f));
    }

    @Test
    void withoutMomentumItIsPlainAdagradAndLeavesTheMomentaAlone() {
        float[] w = {0f, 0f, 2.0f, 3.0f};
        float[] g = {9f, 1.0f, 3.0f};
        float[] acc = {0f, 0f, 3.0f, 0f};
        float[] mom = {0f, 0f, 7f, 7f};
        // Updates w[2..4) from g[1..3).
        IndexedAdagradM.update(w, g, acc, mom, 2, 1, 2, 0.5f, 0f);
        // acc2 = 3 + 1 = 4, w2 = 2 - 0.5*1/sqrt(4.000001) = 1.75; acc3 = 9, w3 = 3 - 0.5*3/sqrt(9.000001) = 2.5
        assertThat(acc).containsExactly(0f, 0f, 4f, 9f);
        assertThat(w[0]).isZero();
        assertThat(w[1]).isZero();
        assertThat(w[2]).isCloseTo(1.75f, within(1e-6f));
        assertThat(w[3]).isCloseTo(2.5f, within(1e-6f));
        assertThat(mom).containsExactly(0f, 0f, 7f, 7f);
    }

    @Test
    void sparseTablesUpdateOnlyTheRowsInTheGradientAndKeepTheirState() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add("i" + i);
        }
        Gru4RecParams params = Gru4RecParams.defaults().with("layers", "3");
        Gru4RecModel model = Gru4RecModel.create(params, new ItemVocabulary(ids), new long[6]);
        int h = model.hidden;
        float[] outBefore = model.outEmb.clone();
        float[] wHidBefore = model.wHid.clone();
        IndexedAdagradM optimizer = new IndexedAdagradM(model);
        Gru4RecGradients grads = new Gru4RecGradients(h, model.inputDim);
        grads.ensureItemRows(model.capacityRows);
        grads.startSparse(4);
        float[] one = {1f, 1f, 1f};
        grads.addOut(4, one, 0, h);
        grads.addOut(4, one, 0, h); // a duplicate row: summed to 2 before the update
        grads.addBias(4, 2f);
        grads.finishSparse();

        optimizer.apply(grads, 0.1f, 0f);

        for (int row = 0; row < 6; row++) {
            for (int j = 0; j < h; j++) {
                float expected = row == 4 ? outBefore[row * h + j] - 0.1f * 2f / (float) Math.sqrt(4f + IndexedAdagradM.EPS)
                        : outBefore[row * h + j];
                assertThat(model.outEmb[row * h + j]).as("row %d", row).isEqualTo(expected);
            }
        }
        assertThat(model.outBias[4]).isCloseTo(-0.1f, within(1e-6f));
        assertThat(model.wHid).containsExactly(wHidBefore); // dense gradients are zero
        ModelSnapshot.TensorRef accOut = optimizer.state(6).get("acc_out_embedding.f32");
        float[] acc = Arrays.copyOf(accOut.data(), 6 * h);
        for (int i = 0; i < acc.length; i++) {
            assertThat(acc[i]).isEqualTo(i / h == 4 ? 4f : 0f);
        }
    }
}
