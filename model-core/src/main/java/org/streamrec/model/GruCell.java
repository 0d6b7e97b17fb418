package org.streamrec.model;

/**
 * The GRU cell's forward pass, the one implementation behind serving ({@link Gru4RecModel#step},
 * {@link Gru4RecModel#stepBatch}) and training ({@link Gru4RecTrainingStep}), so that a trained model serves
 * exactly the hidden states it was trained on (without dropout). Gates ordered r, z, n in every {@code 3H}-wide row:
 * <pre>
 *   gx = x Wx + bx          gh = h Wh + bh
 *   r = sigmoid(gx_r + gh_r)    z = sigmoid(gx_z + gh_z)
 *   n = tanh(gx_n + r * gh_n)   h' = (1 - z) * n + z * h
 * </pre>
 * The products go through {@link GateKernel}, whose sums run in a fixed order whatever the number of rows, so a row's
 * result does not depend on the batch it was stepped in; sigmoid and tanh run in double through {@code Math.exp} and
 * {@code Math.tanh}.
 */
final class GruCell {

    private GruCell() {
    }

    /**
     * Pre-activations of {@code rows} rows: row {@code a} of {@code gx} and {@code gh} (at {@code a * 3H}) receives
     * {@code bIn + x Wx} with {@code x} at {@code inputs[inputOffset[a]]}, and {@code bHid + h Wh} with {@code h} at
     * {@code states[stateOffset[a]]}.
     */
    static void preActivations(Gru4RecModel model, float[] inputs, int[] inputOffset, float[] states,
                               int[] stateOffset, int rows, float[] gx, float[] gh) {
        int h3 = 3 * model.hidden;
        for (int a = 0; a < rows; a++) {
            System.arraycopy(model.bIn, 0, gx, a * h3, h3);
            System.arraycopy(model.bHid, 0, gh, a * h3, h3);
        }
        GateKernel.INSTANCE.accumulate(gx, h3, inputs, inputOffset, rows, model.wIn, model.inputDim, h3);
        GateKernel.INSTANCE.accumulate(gh, h3, states, stateOffset, rows, model.wHid, model.hidden, h3);
    }

    /**
     * Gates and new hidden state of one row whose pre-activations start at {@code gx[g]} and {@code gh[g]}: reads
     * {@code h} at {@code hPrev[prevOff]} and writes {@code h'} at {@code hNext[nextOff]} (may be the same place). When
     * {@code r} is not null, the gates r, z, n are kept at {@code gateOff} of {@code r}, {@code z}, {@code n} for a
     * backward pass.
     */
    static void update(int hidden, float[] gx, float[] gh, int g, float[] hPrev, int prevOff, float[] hNext,
                       int nextOff, float[] r, float[] z, float[] n, int gateOff) {
        int zOff = g + hidden;
        int nOff = g + 2 * hidden;
        for (int j = 0; j < hidden; j++) {
            float rj = sigmoid(gx[g + j] + gh[g + j]);
            float zj = sigmoid(gx[zOff + j] + gh[zOff + j]);
            float nj = (float) Math.tanh(gx[nOff + j] + rj * gh[nOff + j]);
            if (r != null) {
                r[gateOff + j] = rj;
                z[gateOff + j] = zj;
                n[gateOff + j] = nj;
            }
            hNext[nextOff + j] = (1f - zj) * nj + zj * hPrev[prevOff + j];
        }
    }

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
}
