package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SimdImplementationsTest {

    @Test
    void picksTheVectorClassWhenTheModuleIsThereAndTheScalarOneWhenSwitchedOffOrMissing() {
        assertThat(SimdImplementations.choose(ThresholdScan.class, "org.streamrec.model.VectorThresholdScan",
                ThresholdScan.Scalar::new)).isInstanceOf(VectorThresholdScan.class);
        assertThat(SimdImplementations.choose(ThresholdScan.class, "org.streamrec.model.NoSuchScan",
                ThresholdScan.Scalar::new)).isInstanceOf(ThresholdScan.Scalar.class);
        String before = System.getProperty("streamrec.simd");
        System.setProperty("streamrec.simd", "false");
        try {
            assertThat(SimdImplementations.choose(ThresholdScan.class, "org.streamrec.model.VectorThresholdScan",
                    ThresholdScan.Scalar::new)).isInstanceOf(ThresholdScan.Scalar.class);
        } finally {
            if (before == null) {
                System.clearProperty("streamrec.simd");
            } else {
                System.setProperty("streamrec.simd", before);
            }
        }
    }
}
