package org.streamrec.model;

/**
 * The scan at the heart of {@link TopK}: the first position whose score (plus its bias) is above the heap's
 * threshold. Once the heap is full almost no item passes, so this loop decides what a top-k over a whole catalogue
 * costs. With the Vector API ({@link VectorThresholdScan}) one compare tests a whole vector of scores; without it
 * (no {@code jdk.incubator.vector}, or {@code -Dstreamrec.simd=false}) a scalar loop does. Both compute each
 * candidate's score with the same single float add, so they find the same positions.
 */
abstract class ThresholdScan {

    static final ThresholdScan INSTANCE =
            SimdImplementations.choose(ThresholdScan.class, "org.streamrec.model.VectorThresholdScan", Scalar::new);

    /**
     * The first {@code i} in {@code [from, length)} with {@code scores[offset + i] (+ bias[biasOffset + i]) > threshold},
     * or {@code length} when there is none. NaN never passes. {@code bias} may be null (no bias).
     */
    abstract int firstAbove(float[] scores, int offset, float[] bias, int biasOffset, int from, int length, float threshold);

    /**
     * Writes to {@code out} the positions {@code from + i}, {@code i < length}, whose {@link #upperBound} (from
     * {@code products[offset + i]} and the per-position arrays at {@code from + i}) is at least {@code threshold}, in
     * increasing order; returns how many. For {@link LowRankScoreBound}, which needs the few items that can still
     * enter a top-k without storing every bound: a vector compare per lane group, the lanes one by one only where
     * one passes.
     */
    abstract int collectUpperAtLeast(float[] products, int offset, float[] upperBias, float[] residualNorm,
                                     float[] itemSlack, int from, int length, float rowResidualNorm, float rowSlack,
                                     float threshold, int[] out);

    /**
     * {@link LowRankScoreBound}'s upper bound of one score, in the one order of float operations every implementation
     * uses (lane-wise vector adds and multiplies are the same IEEE operations), so all find the same positions.
     */
    static float upperBound(float product, float upperBias, float residualNorm, float itemSlack,
                            float rowResidualNorm, float rowSlack) {
        return (product + upperBias) + (residualNorm * rowResidualNorm + itemSlack * rowSlack);
    }

    /**
     * {@link #collectUpperAtLeast} one position at a time over {@code i} in {@code [start, end)}, appending to
     * {@code out} from {@code count}; returns the new count. The scalar implementation, and the vector one's passing
     * lane groups and tail.
     */
    static int collectUpperAtLeastScalar(float[] products, int offset, float[] upperBias, float[] residualNorm,
                                         float[] itemSlack, int from, int start, int end, float rowResidualNorm,
                                         float rowSlack, float threshold, int[] out, int count) {
        for (int i = start; i < end; i++) {
            int pos = from + i;
            if (upperBound(products[offset + i], upperBias[pos], residualNorm[pos], itemSlack[pos], rowResidualNorm,
                    rowSlack) >= threshold) {
                out[count++] = pos;
            }
        }
        return count;
    }

    abstract String name();

    static final class Scalar extends ThresholdScan {
        @Override
        int collectUpperAtLeast(float[] products, int offset, float[] upperBias, float[] residualNorm,
                                float[] itemSlack, int from, int length, float rowResidualNorm, float rowSlack,
                                float threshold, int[] out) {
            return collectUpperAtLeastScalar(products, offset, upperBias, residualNorm, itemSlack, from, 0, length,
                    rowResidualNorm, rowSlack, threshold, out, 0);
        }

        @Override
        int firstAbove(float[] scores, int offset, float[] bias, int biasOffset, int from, int length, float threshold) {
            if (bias == null) {
                for (int i = from; i < length; i++) {
                    if (scores[offset + i] > threshold) {
                        return i;
                    }
                }
            } else {
                for (int i = from; i < length; i++) {
                    if (scores[offset + i] + bias[biasOffset + i] > threshold) {
                        return i;
                    }
                }
            }
            return length;
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
