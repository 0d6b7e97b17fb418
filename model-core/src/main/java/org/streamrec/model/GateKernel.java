package org.streamrec.model;

/**
 * The matrix products of a batched GRU step: {@code acc[r * accStride + c] += Σ_d in[inOffset[r] + d] * w[d * cols + c]}
 * for every row {@code r} and column {@code c}, with each sum taken over {@code d = 0 .. inDim-1} in that order as
 * separate float multiplies and adds, whatever the number of rows, so a batched step equals per-event steps bit for
 * bit ({@link GruCell} runs it for both, and for the training forward pass). With the Vector API
 * ({@link VectorGateKernel}) a block of rows shares each loaded weight vector and keeps its sums in registers; without
 * it (no {@code jdk.incubator.vector}, or {@code -Dstreamrec.simd=false}) plain scalar loops run.
 */
abstract class GateKernel {

    static final GateKernel INSTANCE =
            SimdImplementations.choose(GateKernel.class, "org.streamrec.model.VectorGateKernel", Scalar::new);

    abstract void accumulate(float[] acc, int accStride, float[] in, int[] inOffset, int rows, float[] w, int inDim, int cols);

    abstract String name();

    /** One row at a time, zero inputs skipped (adding {@code 0 * w} leaves a sum unchanged for finite weights). */
    static final class Scalar extends GateKernel {
        @Override
        void accumulate(float[] acc, int accStride, float[] in, int[] inOffset, int rows, float[] w, int inDim, int cols) {
            for (int r = 0; r < rows; r++) {
                int a = r * accStride;
                for (int d = 0; d < inDim; d++) {
                    float x = in[inOffset[r] + d];
                    if (x != 0f) {
                        int wd = d * cols;
                        for (int c = 0; c < cols; c++) {
                            acc[a + c] += x * w[wd + c];
                        }
                    }
                }
            }
        }

        @Override
        String name() {
            return "scalar";
        }
    }
}
