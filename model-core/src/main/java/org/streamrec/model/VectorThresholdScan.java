package org.streamrec.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link ThresholdScan} on the Vector API; loaded only when {@code jdk.incubator.vector} is resolved. */
final class VectorThresholdScan extends ThresholdScan {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    @Override
    int firstAbove(float[] scores, int offset, float[] bias, int biasOffset, int from, int length, float threshold) {
        int lanes = SPECIES.length();
        int i = from;
        FloatVector limit = FloatVector.broadcast(SPECIES, threshold);
        if (bias == null) {
            for (; i + lanes <= length; i += lanes) {
                if (FloatVector.fromArray(SPECIES, scores, offset + i).compare(VectorOperators.GT, limit).anyTrue()) {
                    break;
                }
            }
            for (; i < length; i++) {
                if (scores[offset + i] > threshold) {
                    return i;
                }
            }
        } else {
            for (; i + lanes <= length; i += lanes) {
                // A lane-wise add is the same IEEE float add as the scalar one below: same sums, same candidates.
                FloatVector s = FloatVector.fromArray(SPECIES, scores, offset + i)
                        .add(FloatVector.fromArray(SPECIES, bias, biasOffset + i));
                if (s.compare(VectorOperators.GT, limit).anyTrue()) {
                    break;
                }
            }
            for (; i < length; i++) {
                if (scores[offset + i] + bias[biasOffset + i] > threshold) {
                    return i;
                }
            }
        }
        return length;
    }

    @Override
    int collectUpperAtLeast(float[] products, int offset, float[] upperBias, float[] residualNorm, float[] itemSlack,
                            int from, int length, float rowResidualNorm, float rowSlack, float threshold, int[] out) {
        int lanes = SPECIES.length();
        FloatVector g = FloatVector.broadcast(SPECIES, rowResidualNorm);
        FloatVector m = FloatVector.broadcast(SPECIES, rowSlack);
        FloatVector limit = FloatVector.broadcast(SPECIES, threshold);
        int count = 0;
        int i = 0;
        for (; i + lanes <= length; i += lanes) {
            int pos = from + i;
            FloatVector slack = FloatVector.fromArray(SPECIES, residualNorm, pos).mul(g)
                    .add(FloatVector.fromArray(SPECIES, itemSlack, pos).mul(m));
            FloatVector upper = FloatVector.fromArray(SPECIES, products, offset + i)
                    .add(FloatVector.fromArray(SPECIES, upperBias, pos)).add(slack);
            if (upper.compare(VectorOperators.GE, limit).anyTrue()) {
                // The lanes again, one by one, rather than the mask's bits: JDK 17 does not compile
                // VectorMask.toLong() to an instruction, and using it made C2 allocate every compare's mask (an
                // allocation profile of the load test: 62% of the JVM's allocation samples, a young GC every 1.5 s).
                // upperBound is the same IEEE operations as the lanes, so it passes the same positions.
                count = collectUpperAtLeastScalar(products, offset, upperBias, residualNorm, itemSlack, from, i,
                        i + lanes, rowResidualNorm, rowSlack, threshold, out, count);
            }
        }
        return collectUpperAtLeastScalar(products, offset, upperBias, residualNorm, itemSlack, from, i, length,
                rowResidualNorm, rowSlack, threshold, out, count);
    }

    @Override
    String name() {
        return "Vector API " + SPECIES;
    }
}
