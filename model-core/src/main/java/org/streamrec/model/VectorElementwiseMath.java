package org.streamrec.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link ElementwiseMath} on the Vector API; loaded only when {@code jdk.incubator.vector} is resolved. */
final class VectorElementwiseMath extends ElementwiseMath {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    @Override
    void expInPlace(float[] a, int off, int len) {
        int i = off;
        int end = off + len;
        int bound = off + SPECIES.loopBound(len);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, a, i).lanewise(VectorOperators.EXP).intoArray(a, i);
        }
        for (; i < end; i++) {
            a[i] = (float) Math.exp(a[i]);
        }
    }

    @Override
    void tanhInPlace(float[] a, int off, int len) {
        int i = off;
        int end = off + len;
        int bound = off + SPECIES.loopBound(len);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, a, i).lanewise(VectorOperators.TANH).intoArray(a, i);
        }
        for (; i < end; i++) {
            a[i] = (float) Math.tanh(a[i]);
        }
    }

    @Override
    String name() {
        return "Vector API " + SPECIES;
    }
}
