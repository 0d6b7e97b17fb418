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

    abstract String name();

    static final class Scalar extends ThresholdScan {
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
