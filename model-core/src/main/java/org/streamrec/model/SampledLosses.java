package org.streamrec.model;

import java.util.Arrays;

/**
 * The two training losses of the official GRU4Rec over a mini-batch's shared candidates (column {@code r} of row
 * {@code r} is its target, the other columns are the other rows' targets and the sampled negatives): sampled-softmax
 * cross-entropy with logQ correction, and BPR-max with score regularisation on ELU-activated scores. Each returns the
 * summed loss divided by {@code batch_size} and writes its gradient with respect to the scores, {@code [m x c]}, to
 * {@code dScores}. Not thread-safe (row scratch).
 */
final class SampledLosses {

    private static final double LOG_EPS = 1e-24;
    private static final ElementwiseMath EXP = ElementwiseMath.INSTANCE;

    private final Gru4RecParams p;
    private float[] rowF1 = new float[0];
    private float[] rowF2 = new float[0];
    private float[] rowF3 = new float[0];

    SampledLosses(Gru4RecParams params) {
        this.p = params;
    }

    /** The configured loss ({@code loss}) of {@code m} rows against {@code c} candidates. */
    double loss(float[] scores, float[] dScores, int m, int c, int[] candidates, long[] popularity) {
        if (rowF1.length < c) {
            rowF1 = new float[c];
            rowF2 = new float[c];
            rowF3 = new float[c];
        }
        return p.isBprMax() ? bprMax(scores, dScores, m, c) : crossEntropy(scores, dScores, m, c, candidates, popularity);
    }

    /** Cross-entropy over the sampled softmax with logQ correction; fills {@code dScores}. */
    private double crossEntropy(float[] scores, float[] dScores, int m, int c, int[] candidates, long[] popularity) {
        double total = 0;
        double scale = 1.0 / p.batchSize();
        float[] corr = rowF2;
        if (p.logq() > 0) {
            for (int j = 0; j < c; j++) {
                double q = Math.max(1, popularity[candidates[j]]);
                // Official: targets corrected by log P0, samples by log P0^alpha (the probability they were drawn with).
                corr[j] = (float) (p.logq() * (j < m ? Math.log(q) : p.sampleAlpha() * Math.log(q)));
            }
        } else {
            Arrays.fill(corr, 0, c, 0f);
        }
        float[] e = rowF1;
        for (int r = 0; r < m; r++) {
            int o = r * c;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                e[j] = scores[o + j] - corr[j];
                max = Math.max(max, e[j]);
            }
            for (int j = 0; j < c; j++) {
                e[j] -= max;
            }
            EXP.expInPlace(e, 0, c);
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += e[j];
            }
            double pTarget = e[r] / sum;
            total += -Math.log(pTarget + LOG_EPS);
            double k = pTarget / (pTarget + LOG_EPS) * scale;
            float kf = (float) (k / sum);
            for (int j = 0; j < c; j++) {
                dScores[o + j] = kf * e[j];
            }
            dScores[o + r] = (float) (k * (pTarget - 1));
        }
        return total * scale;
    }

    /** BPR-max with score regularisation on ELU-activated scores; fills {@code dScores}. */
    private double bprMax(float[] scores, float[] dScores, int m, int c) {
        double total = 0;
        double scale = 1.0 / p.batchSize();
        float alpha = (float) p.eluParam();
        double lambda = p.bpreg();
        float[] o = rowF1;
        float[] s = rowF2;
        float[] sig = rowF3;
        for (int r = 0; r < m; r++) {
            int base = r * c;
            if (alpha > 0) {
                for (int j = 0; j < c; j++) {
                    o[j] = Math.min(scores[base + j], 0f);
                }
                EXP.expInPlace(o, 0, c);
                for (int j = 0; j < c; j++) {
                    float x = scores[base + j];
                    o[j] = x > 0 ? x : alpha * (o[j] - 1f);
                }
            } else {
                System.arraycopy(scores, base, o, 0, c);
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                if (j != r) {
                    max = Math.max(max, o[j]);
                }
            }
            float t = o[r];
            for (int j = 0; j < c; j++) {
                s[j] = o[j] - max;
                sig[j] = o[j] - t;
            }
            s[r] = 0f;
            EXP.expInPlace(s, 0, c);
            EXP.expInPlace(sig, 0, c);
            s[r] = 0f;
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += s[j];
            }
            float invSum = (float) (1.0 / sum);
            double a = 0;
            double reg = 0;
            for (int j = 0; j < c; j++) {
                s[j] *= invSum;
                sig[j] = 1f / (1f + sig[j]); // sigmoid(t - o_j)
                a += sig[j] * s[j];
                reg += o[j] * o[j] * s[j];
            }
            total += -Math.log(a + LOG_EPS) + lambda * reg;
            double invA = 1.0 / (a + LOG_EPS);
            float fInvA = (float) invA;
            float fA = (float) a;
            float fReg = (float) reg;
            float fLambda = (float) lambda;
            float fScale = (float) scale;
            double dt = 0;
            for (int j = 0; j < c; j++) {
                float sg = sig[j];
                float sj = s[j];
                dt -= sg * (1 - sg) * sj;
                float oj = o[j];
                float dOj = sj * (-(sg * sg - fA) * fInvA + fLambda * (2 * oj + oj * oj - fReg));
                float x = scores[base + j];
                float elu = alpha > 0 && x <= 0 ? oj + alpha : 1f;
                dScores[base + j] = dOj * elu * fScale;
            }
            float x = scores[base + r];
            dScores[base + r] = (float) (dt * invA * (alpha > 0 && x <= 0 ? t + alpha : 1.0) * scale);
        }
        return total * scale;
    }
}
