package org.streamrec.model;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ItemScoreKernel} on the Vector API; loaded only when {@code jdk.incubator.vector} is resolved. A block is
 * two vectors of items; a tile of 8 rows keeps 16 accumulators in registers, so each loaded weight vector feeds 8
 * fused multiply-adds and each broadcast hidden value 2. Leftover rows go through tiles of 4 and 1, which compute
 * every score with the same chain.
 */
final class VectorItemScoreKernel extends ItemScoreKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int L = SPECIES.length();
    private static final int WIDTH = 2 * L;

    @Override
    int blockItems() {
        return WIDTH;
    }

    @Override
    void scores(float[] packed, int hidden, float[] hiddenRows, int rows, int fromBlock, int toBlock,
                float[] tile, int tileStride) {
        int r = 0;
        for (; r + 8 <= rows; r += 8) {
            tile8(packed, hidden, hiddenRows, r, fromBlock, toBlock, tile, tileStride);
        }
        for (; r + 4 <= rows; r += 4) {
            tile4(packed, hidden, hiddenRows, r, fromBlock, toBlock, tile, tileStride);
        }
        for (; r < rows; r++) {
            tile1(packed, hidden, hiddenRows, r, fromBlock, toBlock, tile, tileStride);
        }
    }

    private static void tile8(float[] w, int hidden, float[] x, int r0, int fromBlock, int toBlock, float[] tile, int stride) {
        int x0 = r0 * hidden;
        int x1 = x0 + hidden;
        int x2 = x1 + hidden;
        int x3 = x2 + hidden;
        int x4 = x3 + hidden;
        int x5 = x4 + hidden;
        int x6 = x5 + hidden;
        int x7 = x6 + hidden;
        for (int b = fromBlock; b < toBlock; b++) {
            FloatVector zero = FloatVector.zero(SPECIES);
            FloatVector a0 = zero, b0 = zero, a1 = zero, b1 = zero, a2 = zero, b2 = zero, a3 = zero, b3 = zero;
            FloatVector a4 = zero, b4 = zero, a5 = zero, b5 = zero, a6 = zero, b6 = zero, a7 = zero, b7 = zero;
            int base = b * hidden * WIDTH;
            for (int d = 0; d < hidden; d++) {
                FloatVector wa = FloatVector.fromArray(SPECIES, w, base + d * WIDTH);
                FloatVector wb = FloatVector.fromArray(SPECIES, w, base + d * WIDTH + L);
                FloatVector v = FloatVector.broadcast(SPECIES, x[x0 + d]);
                a0 = wa.fma(v, a0);
                b0 = wb.fma(v, b0);
                v = FloatVector.broadcast(SPECIES, x[x1 + d]);
                a1 = wa.fma(v, a1);
                b1 = wb.fma(v, b1);
                v = FloatVector.broadcast(SPECIES, x[x2 + d]);
                a2 = wa.fma(v, a2);
                b2 = wb.fma(v, b2);
                v = FloatVector.broadcast(SPECIES, x[x3 + d]);
                a3 = wa.fma(v, a3);
                b3 = wb.fma(v, b3);
                v = FloatVector.broadcast(SPECIES, x[x4 + d]);
                a4 = wa.fma(v, a4);
                b4 = wb.fma(v, b4);
                v = FloatVector.broadcast(SPECIES, x[x5 + d]);
                a5 = wa.fma(v, a5);
                b5 = wb.fma(v, b5);
                v = FloatVector.broadcast(SPECIES, x[x6 + d]);
                a6 = wa.fma(v, a6);
                b6 = wb.fma(v, b6);
                v = FloatVector.broadcast(SPECIES, x[x7 + d]);
                a7 = wa.fma(v, a7);
                b7 = wb.fma(v, b7);
            }
            int o = r0 * stride + (b - fromBlock) * WIDTH;
            a0.intoArray(tile, o);
            b0.intoArray(tile, o + L);
            o += stride;
            a1.intoArray(tile, o);
            b1.intoArray(tile, o + L);
            o += stride;
            a2.intoArray(tile, o);
            b2.intoArray(tile, o + L);
            o += stride;
            a3.intoArray(tile, o);
            b3.intoArray(tile, o + L);
            o += stride;
            a4.intoArray(tile, o);
            b4.intoArray(tile, o + L);
            o += stride;
            a5.intoArray(tile, o);
            b5.intoArray(tile, o + L);
            o += stride;
            a6.intoArray(tile, o);
            b6.intoArray(tile, o + L);
            o += stride;
            a7.intoArray(tile, o);
            b7.intoArray(tile, o + L);
        }
    }

    private static void tile4(float[] w, int hidden, float[] x, int r0, int fromBlock, int toBlock, float[] tile, int stride) {
        int x0 = r0 * hidden;
        int x1 = x0 + hidden;
        int x2 = x1 + hidden;
        int x3 = x2 + hidden;
        for (int b = fromBlock; b < toBlock; b++) {
            FloatVector zero = FloatVector.zero(SPECIES);
            FloatVector a0 = zero, b0 = zero, a1 = zero, b1 = zero, a2 = zero, b2 = zero, a3 = zero, b3 = zero;
            int base = b * hidden * WIDTH;
            for (int d = 0; d < hidden; d++) {
                FloatVector wa = FloatVector.fromArray(SPECIES, w, base + d * WIDTH);
                FloatVector wb = FloatVector.fromArray(SPECIES, w, base + d * WIDTH + L);
                FloatVector v = FloatVector.broadcast(SPECIES, x[x0 + d]);
                a0 = wa.fma(v, a0);
                b0 = wb.fma(v, b0);
                v = FloatVector.broadcast(SPECIES, x[x1 + d]);
                a1 = wa.fma(v, a1);
                b1 = wb.fma(v, b1);
                v = FloatVector.broadcast(SPECIES, x[x2 + d]);
                a2 = wa.fma(v, a2);
                b2 = wb.fma(v, b2);
                v = FloatVector.broadcast(SPECIES, x[x3 + d]);
                a3 = wa.fma(v, a3);
                b3 = wb.fma(v, b3);
            }
            int o = r0 * stride + (b - fromBlock) * WIDTH;
            a0.intoArray(tile, o);
            b0.intoArray(tile, o + L);
            o += stride;
            a1.intoArray(tile, o);
            b1.intoArray(tile, o + L);
            o += stride;
            a2.intoArray(tile, o);
            b2.intoArray(tile, o + L);
            o += stride;
            a3.intoArray(tile, o);
            b3.intoArray(tile, o + L);
        }
    }

    private static void tile1(float[] w, int hidden, float[] x, int r0, int fromBlock, int toBlock, float[] tile, int stride) {
        int x0 = r0 * hidden;
        for (int b = fromBlock; b < toBlock; b++) {
            FloatVector a0 = FloatVector.zero(SPECIES);
            FloatVector b0 = a0;
            int base = b * hidden * WIDTH;
            for (int d = 0; d < hidden; d++) {
                FloatVector v = FloatVector.broadcast(SPECIES, x[x0 + d]);
                a0 = FloatVector.fromArray(SPECIES, w, base + d * WIDTH).fma(v, a0);
                b0 = FloatVector.fromArray(SPECIES, w, base + d * WIDTH + L).fma(v, b0);
            }
            int o = r0 * stride + (b - fromBlock) * WIDTH;
            a0.intoArray(tile, o);
            b0.intoArray(tile, o + L);
        }
    }

    /**
     * Whole vectors: JDK 17 does not compile a masked gather (the partial last vector) to a vector instruction; with it,
     * the gathers took about 57 us per event at batch 8 instead of 14 with a scalar tail (profile shares of two
     * TrainedModelScoringBenchmark runs, which also differed in other changes).
     */
    @Override
    int gatherCapacity(int count) {
        return (count + L - 1) / L * L;
    }

    /** Two vectors of items at a time, so two independent chains hide the latency of each fused multiply-add. */
    @Override
    void gatherScores(float[] rowMajor, int hidden, float[] hiddenRows, int hiddenOffset, int[] rowOffsets,
                      int count, float[] out) {
        if (count == 0) {
            return;
        }
        int padded = gatherCapacity(count);
        // the padding lanes score a copy of the first row, and nobody reads them
        Arrays.fill(rowOffsets, count, padded, rowOffsets[0]);
        int j = 0;
        for (; j + 2 * L <= padded; j += 2 * L) {
            FloatVector a = FloatVector.zero(SPECIES);
            FloatVector b = a;
            for (int d = 0; d < hidden; d++) {
                FloatVector v = FloatVector.broadcast(SPECIES, hiddenRows[hiddenOffset + d]);
                a = FloatVector.fromArray(SPECIES, rowMajor, d, rowOffsets, j).fma(v, a);
                b = FloatVector.fromArray(SPECIES, rowMajor, d, rowOffsets, j + L).fma(v, b);
            }
            a.intoArray(out, j);
            b.intoArray(out, j + L);
        }
        if (j < padded) {
            FloatVector a = FloatVector.zero(SPECIES);
            for (int d = 0; d < hidden; d++) {
                a = FloatVector.fromArray(SPECIES, rowMajor, d, rowOffsets, j)
                        .fma(FloatVector.broadcast(SPECIES, hiddenRows[hiddenOffset + d]), a);
            }
            a.intoArray(out, j);
        }
    }

    @Override
    String name() {
        return "Vector API " + SPECIES + ", tiles of 8 rows x " + WIDTH + " items";
    }
}
