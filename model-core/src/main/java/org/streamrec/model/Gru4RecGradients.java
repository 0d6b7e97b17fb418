package org.streamrec.model;

import java.util.Arrays;

/**
 * Gradients of one training step, written by {@link Gru4RecTrainingStep#backward} and read by {@link IndexedAdagradM}:
 * dense for the GRU weights and biases, sparse for the item tables. A sparse table holds one row per distinct item
 * row of the batch ({@code xRowIds[i]} is the item row of gradient row {@code i}, {@code xCount} rows in use), with
 * the gradients of duplicate item rows summed: the official optimizer coalesces them before its non-linear update.
 */
final class Gru4RecGradients {

    private final int hidden;
    private final int inputDim;

    final float[] wIn;
    final float[] bIn;
    final float[] wHid;
    final float[] bHid;

    /** Output embedding rows (also the input embedding's when constrained), {@code hidden} wide. */
    int[] outRowIds = new int[0];
    float[] out = new float[0];
    int outCount;
    /** Output bias entries. */
    int[] biasRowIds = new int[0];
    float[] bias = new float[0];
    int biasCount;
    /** Separate input embedding rows (unconstrained models), {@code inputDim} wide. */
    int[] embRowIds = new int[0];
    float[] emb = new float[0];
    int embCount;

    /** Gradient row of each item row in the current step, -1 when it has none; reset after each step. */
    private int[] outSlot = new int[0];
    private int[] biasSlot = new int[0];
    private int[] embSlot = new int[0];

    Gru4RecGradients(int hidden, int inputDim) {
        this.hidden = hidden;
        this.inputDim = inputDim;
        int h3 = 3 * hidden;
        this.wIn = new float[inputDim * h3];
        this.bIn = new float[h3];
        this.wHid = new float[hidden * h3];
        this.bHid = new float[h3];
    }

    /** Makes room for item rows {@code [0, itemRows)}. */
    void ensureItemRows(int itemRows) {
        int old = outSlot.length;
        if (itemRows <= old) {
            return;
        }
        outSlot = Arrays.copyOf(outSlot, itemRows);
        biasSlot = Arrays.copyOf(biasSlot, itemRows);
        embSlot = Arrays.copyOf(embSlot, itemRows);
        Arrays.fill(outSlot, old, itemRows, -1);
        Arrays.fill(biasSlot, old, itemRows, -1);
        Arrays.fill(embSlot, old, itemRows, -1);
    }

    /** Empties the sparse tables and makes room for {@code rows} distinct item rows in each. */
    void startSparse(int rows) {
        if (outRowIds.length < rows) {
            outRowIds = new int[rows];
            out = new float[rows * Math.max(hidden, inputDim)];
            biasRowIds = new int[rows];
            bias = new float[rows];
            embRowIds = new int[rows];
            emb = new float[rows * inputDim];
        }
        outCount = 0;
        biasCount = 0;
        embCount = 0;
    }

    /** Adds {@code len} values of {@code src} at {@code srcOff} to item row {@code row} of the output-embedding gradient. */
    void addOut(int row, float[] src, int srcOff, int len) {
        int slot = outSlot[row];
        if (slot < 0) {
            slot = outCount++;
            Arrays.fill(out, slot * hidden, (slot + 1) * hidden, 0f);
            outSlot[row] = slot;
            outRowIds[slot] = row;
        }
        addRow(out, slot * hidden, src, srcOff, len);
    }

    void addBias(int row, float value) {
        int slot = biasSlot[row];
        if (slot < 0) {
            slot = biasCount++;
            bias[slot] = 0f;
            biasSlot[row] = slot;
            biasRowIds[slot] = row;
        }
        bias[slot] += value;
    }

    /** Adds an {@code inputDim}-wide row of {@code src} at {@code srcOff} to item row {@code row} of the input embedding. */
    void addEmb(int row, float[] src, int srcOff) {
        int slot = embSlot[row];
        if (slot < 0) {
            slot = embCount++;
            Arrays.fill(emb, slot * inputDim, (slot + 1) * inputDim, 0f);
            embSlot[row] = slot;
            embRowIds[slot] = row;
        }
        addRow(emb, slot * inputDim, src, srcOff, inputDim);
    }

    /** Forgets which item rows the sparse tables hold (their values stay until the next step). */
    void finishSparse() {
        for (int i = 0; i < outCount; i++) {
            outSlot[outRowIds[i]] = -1;
        }
        for (int i = 0; i < biasCount; i++) {
            biasSlot[biasRowIds[i]] = -1;
        }
        for (int i = 0; i < embCount; i++) {
            embSlot[embRowIds[i]] = -1;
        }
    }

    private static void addRow(float[] dst, int dOff, float[] src, int sOff, int len) {
        for (int i = 0; i < len; i++) {
            dst[dOff + i] += src[sOff + i];
        }
    }
}
