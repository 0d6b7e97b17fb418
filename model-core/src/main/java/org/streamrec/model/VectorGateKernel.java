package org.streamrec.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link GateKernel} on the Vector API; loaded only when {@code jdk.incubator.vector} is resolved. Columns go in
 * panels of two vectors; for each panel, rows go in blocks of {@link #ROWS}: 16 sums in registers, and each weight
 * vector loaded once serves all rows of the block. The panel of weights ({@code inDim x 2 vectors}) stays in cache
 * across the blocks, so the weights are read from memory about once per batch rather than once per event.
 *
 * <p>A zero input is not skipped here (the scalar step skips it): adding {@code 0 * w} to a sum leaves it unchanged
 * for finite weights, up to the sign of a zero sum.
 */
final class VectorGateKernel extends GateKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int ROWS = 8;

    @Override
    void accumulate(float[] acc, int accStride, float[] in, int[] inOffset, int rows, float[] w, int inDim, int cols) {
        int panelEnd = cols - cols % (2 * L);
        for (int c = 0; c < panelEnd; c += 2 * L) {
            int r = 0;
            for (; r + ROWS <= rows; r += ROWS) {
                block8(acc, accStride, in, inOffset, r, w, inDim, cols, c);
            }
            for (; r < rows; r++) {
                int a = r * accStride + c;
                int o = inOffset[r];
                FloatVector s0 = FloatVector.fromArray(SPECIES, acc, a);
                FloatVector s1 = FloatVector.fromArray(SPECIES, acc, a + L);
                for (int d = 0; d < inDim; d++) {
                    float x = in[o + d];
                    int wd = d * cols + c;
                    s0 = s0.add(FloatVector.fromArray(SPECIES, w, wd).mul(x));
                    s1 = s1.add(FloatVector.fromArray(SPECIES, w, wd + L).mul(x));
                }
                s0.intoArray(acc, a);
                s1.intoArray(acc, a + L);
            }
        }
        if (panelEnd < cols) {
            for (int r = 0; r < rows; r++) {
                int a = r * accStride;
                int o = inOffset[r];
                for (int d = 0; d < inDim; d++) {
                    float x = in[o + d];
                    int wd = d * cols;
                    for (int c = panelEnd; c < cols; c++) {
                        acc[a + c] += x * w[wd + c];
                    }
                }
            }
        }
    }

    private static void block8(float[] acc, int stride, float[] in, int[] inOffset, int r, float[] w, int inDim,
                               int cols, int c) {
        int a0 = r * stride + c;
        int a1 = a0 + stride;
        int a2 = a1 + stride;
        int a3 = a2 + stride;
        int a4 = a3 + stride;
        int a5 = a4 + stride;
        int a6 = a5 + stride;
        int a7 = a6 + stride;
        int o0 = inOffset[r];
        int o1 = inOffset[r + 1];
        int o2 = inOffset[r + 2];
        int o3 = inOffset[r + 3];
        int o4 = inOffset[r + 4];
        int o5 = inOffset[r + 5];
        int o6 = inOffset[r + 6];
        int o7 = inOffset[r + 7];
        FloatVector s00 = FloatVector.fromArray(SPECIES, acc, a0);
        FloatVector s01 = FloatVector.fromArray(SPECIES, acc, a0 + L);
        FloatVector s10 = FloatVector.fromArray(SPECIES, acc, a1);
        FloatVector s11 = FloatVector.fromArray(SPECIES, acc, a1 + L);
        FloatVector s20 = FloatVector.fromArray(SPECIES, acc, a2);
        FloatVector s21 = FloatVector.fromArray(SPECIES, acc, a2 + L);
        FloatVector s30 = FloatVector.fromArray(SPECIES, acc, a3);
        FloatVector s31 = FloatVector.fromArray(SPECIES, acc, a3 + L);
        FloatVector s40 = FloatVector.fromArray(SPECIES, acc, a4);
        FloatVector s41 = FloatVector.fromArray(SPECIES, acc, a4 + L);
        FloatVector s50 = FloatVector.fromArray(SPECIES, acc, a5);
        FloatVector s51 = FloatVector.fromArray(SPECIES, acc, a5 + L);
        FloatVector s60 = FloatVector.fromArray(SPECIES, acc, a6);
        FloatVector s61 = FloatVector.fromArray(SPECIES, acc, a6 + L);
        FloatVector s70 = FloatVector.fromArray(SPECIES, acc, a7);
        FloatVector s71 = FloatVector.fromArray(SPECIES, acc, a7 + L);
        for (int d = 0; d < inDim; d++) {
            int wd = d * cols + c;
            FloatVector w0 = FloatVector.fromArray(SPECIES, w, wd);
            FloatVector w1 = FloatVector.fromArray(SPECIES, w, wd + L);
            float x0 = in[o0 + d];
            float x1 = in[o1 + d];
            float x2 = in[o2 + d];
            float x3 = in[o3 + d];
            float x4 = in[o4 + d];
            float x5 = in[o5 + d];
            float x6 = in[o6 + d];
            float x7 = in[o7 + d];
            s00 = s00.add(w0.mul(x0));
            s01 = s01.add(w1.mul(x0));
            s10 = s10.add(w0.mul(x1));
            s11 = s11.add(w1.mul(x1));
            s20 = s20.add(w0.mul(x2));
            s21 = s21.add(w1.mul(x2));
            s30 = s30.add(w0.mul(x3));
            s31 = s31.add(w1.mul(x3));
            s40 = s40.add(w0.mul(x4));
            s41 = s41.add(w1.mul(x4));
            s50 = s50.add(w0.mul(x5));
            s51 = s51.add(w1.mul(x5));
            s60 = s60.add(w0.mul(x6));
            s61 = s61.add(w1.mul(x6));
            s70 = s70.add(w0.mul(x7));
            s71 = s71.add(w1.mul(x7));
        }
        s00.intoArray(acc, a0);
        s01.intoArray(acc, a0 + L);
        s10.intoArray(acc, a1);
        s11.intoArray(acc, a1 + L);
        s20.intoArray(acc, a2);
        s21.intoArray(acc, a2 + L);
        s30.intoArray(acc, a3);
        s31.intoArray(acc, a3 + L);
        s40.intoArray(acc, a4);
        s41.intoArray(acc, a4 + L);
        s50.intoArray(acc, a5);
        s51.intoArray(acc, a5 + L);
        s60.intoArray(acc, a6);
        s61.intoArray(acc, a6 + L);
        s70.intoArray(acc, a7);
        s71.intoArray(acc, a7 + L);
    }

    @Override
    String name() {
        return "Vector API " + SPECIES + ", " + ROWS + " rows x 2 vectors";
    }
}
