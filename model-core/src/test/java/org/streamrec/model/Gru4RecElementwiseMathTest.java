package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class Gru4RecElementwiseMathTest {

    @Test
    void vectorisedExpAndTanhMatchTheScalarFallback() {
        // Surefire runs with --add-modules jdk.incubator.vector, so the Vector API path is the one in use.
        assertThat(ElementwiseMath.INSTANCE.name()).startsWith("Vector API");
        ElementwiseMath scalar = new ElementwiseMath.Scalar();
        SplittableRandom rnd = new SplittableRandom(3);
        int n = 1003; // not a multiple of any vector length: the tail loop runs too
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * 40);
        }
        x[0] = Float.NEGATIVE_INFINITY;
        x[1] = 0f;
        x[2] = 1e-6f;
        float[] e1 = x.clone();
        float[] e2 = x.clone();
        float[] t1 = x.clone();
        float[] t2 = x.clone();
        ElementwiseMath.INSTANCE.expInPlace(e1, 1, n - 1);
        scalar.expInPlace(e2, 1, n - 1);
        ElementwiseMath.INSTANCE.tanhInPlace(t1, 1, n - 1);
        scalar.tanhInPlace(t2, 1, n - 1);
        assertThat(e1[0]).isEqualTo(Float.NEGATIVE_INFINITY); // outside the range: untouched
        for (int i = 1; i < n; i++) {
            assertThat(Math.abs(e1[i] - e2[i])).as("exp(%s)", x[i]).isLessThanOrEqualTo(2e-7f * Math.abs(e2[i]));
            assertThat(Math.abs(t1[i] - t2[i])).as("tanh(%s)", x[i]).isLessThanOrEqualTo(2e-7f * Math.abs(t2[i]) + 1e-12f);
        }
        float[] z = {Float.NEGATIVE_INFINITY};
        ElementwiseMath.INSTANCE.expInPlace(z, 0, 1);
        assertThat(z[0]).isZero();
    }
}
