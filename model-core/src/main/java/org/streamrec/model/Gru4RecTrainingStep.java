package org.streamrec.model;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The model math of one GRU4Rec training step on a session-parallel mini-batch ({@code GRU4RecModel.forward} and the
 * loss of hidasib/GRU4Rec_PyTorch_Official, with the backward pass written out):
 * <ul>
 *   <li>forward: input embedding with inverted dropout, the GRU cell ({@link GruCell}, the same code serving runs),
 *       inverted dropout on the output, which is also the hidden state carried to the next step;</li>
 *   <li>scores of every row against the shared candidates (the batch's targets, then the sampled negatives) and the
 *       loss ({@link SampledLosses});</li>
 *   <li>backward with one-step back-propagation (the previous hidden state is a constant) into
 *       {@link Gru4RecGradients}.</li>
 * </ul>
 * The score product and the backward products run as {@code Nd4j.gemm} on reused off-heap buffers; the element-wise
 * work runs on Java arrays. Parameters are not changed here ({@link IndexedAdagradM} applies the gradients).
 * Deterministic for a given dropout seed. Not thread-safe.
 */
final class Gru4RecTrainingStep {

    private final Gru4RecModel model;
    private final Gru4RecParams p;
    private final int hidden;
    private final int inputDim;
    private final int h3;
    private final SampledLosses losses;
    private SplittableRandom dropoutRandom;

    /** Gradients of the last backward pass. */
    final Gru4RecGradients gradients;

    // Native operands of the gemms.
    private final NativeMatrix nEmb = new NativeMatrix(1);
    private final NativeMatrix nWIn = new NativeMatrix(1);
    private final NativeMatrix nHPrev = new NativeMatrix(1);
    private final NativeMatrix nHOut = new NativeMatrix(1);
    private final NativeMatrix nOut = new NativeMatrix(1);
    private final NativeMatrix nScores = new NativeMatrix(1);
    private final NativeMatrix nDHOut = new NativeMatrix(1);
    private final NativeMatrix nDOut = new NativeMatrix(1);
    private final NativeMatrix nDGx = new NativeMatrix(1);
    private final NativeMatrix nDGh = new NativeMatrix(1);
    private final NativeMatrix nDWIn = new NativeMatrix(1);
    private final NativeMatrix nDWHid = new NativeMatrix(1);
    private final NativeMatrix nDEmb = new NativeMatrix(1);

    // Java scratch, grown on demand.
    private float[] emb = new float[0];
    private float[] embMask = new float[0];
    private int[] embOffset = new int[0];
    private int[] hiddenOffset = new int[0];
    private float[] gx = new float[0];
    private float[] gh = new float[0];
    private float[] gateR = new float[0];
    private float[] gateZ = new float[0];
    private float[] gateN = new float[0];
    private float[] hOut = new float[0];
    private float[] hMask = new float[0];
    private float[] outRows = new float[0];
    /** Scores of the last step, {@code [m x (m + nNeg)]}. */
    float[] scores = new float[0];
    private float[] dScores = new float[0];
    private float[] dHOut = new float[0];
    private float[] dOut = new float[0];
    private float[] dGx = new float[0];
    private float[] dGh = new float[0];
    private float[] dEmb = new float[0];
    private int[] candidates = new int[0];

    Gru4RecTrainingStep(Gru4RecModel model, long dropoutSeed) {
        this.model = model;
        this.p = model.params;
        this.hidden = model.hidden;
        this.inputDim = model.inputDim;
        this.h3 = 3 * hidden;
        this.losses = new SampledLosses(p);
        this.gradients = new Gru4RecGradients(hidden, inputDim);
        this.dropoutRandom = new SplittableRandom(dropoutSeed);
    }

    /** Restarts the dropout stream. */
    void reseedDropout(long seed) {
        dropoutRandom = new SplittableRandom(seed);
    }

    /**
     * Forward pass, loss and (when {@code backward}) gradients for one mini-batch of {@code m} rows against the
     * candidates {@code target} then {@code negs[0..nNeg)}. {@code hiddenRows} ([m x H]) holds the previous hidden
     * states and receives the new ones. Dropout applies only when {@code train}. Returns the loss (sum over rows /
     * batch_size).
     */
    double run(int m, int[] in, int[] target, int[] negs, int nNeg, float[] hiddenRows, boolean train, boolean backward) {
        int c = m + nNeg;
        growScratch(m, c);
        gradients.ensureItemRows(model.capacityRows);
        System.arraycopy(target, 0, candidates, 0, m);
        System.arraycopy(negs, 0, candidates, m, nNeg);
        boolean dropE = train && p.dropoutPEmbed() > 0;
        boolean dropH = train && p.dropoutPHidden() > 0;
        forward(m, in, hiddenRows, dropE, dropH);
        score(m, c);
        double loss = losses.loss(scores, dScores, m, c, candidates, model.popularity);
        if (backward) {
            backward(m, c, in, hiddenRows, dropE, dropH);
        }
        System.arraycopy(hOut, 0, hiddenRows, 0, m * hidden);
        return loss;
    }

    /** Embedding (with dropout), the GRU cell and output dropout: fills {@code hOut} and keeps the gates. */
    private void forward(int m, int[] in, float[] hiddenRows, boolean dropE, boolean dropH) {
        int d = inputDim;
        float[] table = model.inputTable();
        for (int r = 0; r < m; r++) {
            System.arraycopy(table, in[r] * d, emb, r * d, d);
            embOffset[r] = r * d;
            hiddenOffset[r] = r * hidden;
        }
        if (dropE) {
            float keepE = (float) (1.0 - p.dropoutPEmbed());
            for (int i = 0; i < m * d; i++) {
                embMask[i] = dropoutRandom.nextDouble() < keepE ? 1f / keepE : 0f;
                emb[i] *= embMask[i];
            }
        }
        GruCell.preActivations(model, emb, embOffset, hiddenRows, hiddenOffset, m, gx, gh);
        for (int r = 0; r < m; r++) {
            int o = r * hidden;
            GruCell.update(hidden, gx, gh, r * h3, hiddenRows, o, hOut, o, gateR, gateZ, gateN, o);
        }
        if (dropH) {
            float keepH = (float) (1.0 - p.dropoutPHidden());
            for (int i = 0; i < m * hidden; i++) {
                hMask[i] = dropoutRandom.nextDouble() < keepH ? 1f / keepH : 0f;
                hOut[i] *= hMask[i];
            }
        }
    }

    /** Scores against the shared candidates: targets of the batch, then the sampled negatives. */
    private void score(int m, int c) {
        for (int j = 0; j < c; j++) {
            System.arraycopy(model.outEmb, candidates[j] * hidden, outRows, j * hidden, hidden);
        }
        INDArray aHOut = nHOut.matrix(m, hidden);
        nHOut.put(hOut, m * hidden);
        INDArray aOut = nOut.matrix(c, hidden);
        nOut.put(outRows, c * hidden);
        INDArray aScores = nScores.matrix(m, c);
        NativeMatrix.gemm(aHOut, aOut, aScores, false, true);
        nScores.get(scores, m * c);
        for (int r = 0; r < m; r++) {
            int o = r * c;
            for (int j = 0; j < c; j++) {
                scores[o + j] += model.outBias[candidates[j]];
            }
        }
    }

    private void backward(int m, int c, int[] in, float[] hPrev, boolean dropE, boolean dropH) {
        int d = inputDim;
        // The forward pass's operands of the weight and input gradients.
        INDArray aEmb = nEmb.matrix(m, d);
        nEmb.put(emb, m * d);
        INDArray aHPrev = nHPrev.matrix(m, hidden);
        nHPrev.put(hPrev, m * hidden);
        INDArray aWIn = nWIn.matrix(d, h3);
        nWIn.put(model.wIn, d * h3);
        // dHOut = dScores Out, dOut = dScores^T HOut.
        INDArray aDScores = nScores.matrix(m, c);
        nScores.put(dScores, m * c);
        INDArray aDHOut = nDHOut.matrix(m, hidden);
        NativeMatrix.gemm(aDScores, nOut.matrix(c, hidden), aDHOut, false, false);
        nDHOut.get(dHOut, m * hidden);
        INDArray aDOut = nDOut.matrix(c, hidden);
        NativeMatrix.gemm(aDScores, nHOut.matrix(m, hidden), aDOut, true, false);
        nDOut.get(dOut, c * hidden);

        float[] gBIn = gradients.bIn;
        float[] gBHid = gradients.bHid;
        Arrays.fill(gBIn, 0f);
        Arrays.fill(gBHid, 0f);
        for (int r = 0; r < m; r++) {
            int o = r * hidden;
            int g = r * h3;
            for (int j = 0; j < hidden; j++) {
                float dh = dHOut[o + j];
                if (dropH) {
                    dh *= hMask[o + j];
                }
                float rr = gateR[o + j];
                float zz = gateZ[o + j];
                float nn = gateN[o + j];
                float dn = dh * (1f - zz);
                float dz = dh * (hPrev[o + j] - nn);
                float daN = dn * (1f - nn * nn);
                float dr = daN * gh[g + 2 * hidden + j];
                float daR = dr * rr * (1f - rr);
                float daZ = dz * zz * (1f - zz);
                dGx[g + j] = daR;
                dGx[g + hidden + j] = daZ;
                dGx[g + 2 * hidden + j] = daN;
                dGh[g + j] = daR;
                dGh[g + hidden + j] = daZ;
                dGh[g + 2 * hidden + j] = daN * rr;
                gBIn[j] += daR;
                gBIn[hidden + j] += daZ;
                gBIn[2 * hidden + j] += daN;
                gBHid[j] += daR;
                gBHid[hidden + j] += daZ;
                gBHid[2 * hidden + j] += daN * rr;
            }
        }
        INDArray aDGx = nDGx.matrix(m, h3);
        nDGx.put(dGx, m * h3);
        INDArray aDGh = nDGh.matrix(m, h3);
        nDGh.put(dGh, m * h3);
        INDArray aDWIn = nDWIn.matrix(d, h3);
        NativeMatrix.gemm(aEmb, aDGx, aDWIn, true, false);
        nDWIn.get(gradients.wIn, d * h3);
        INDArray aDWHid = nDWHid.matrix(hidden, h3);
        NativeMatrix.gemm(aHPrev, aDGh, aDWHid, true, false);
        nDWHid.get(gradients.wHid, hidden * h3);
        INDArray aDEmb = nDEmb.matrix(m, d);
        NativeMatrix.gemm(aDGx, aWIn, aDEmb, false, true);
        nDEmb.get(dEmb, m * d);
        if (dropE) {
            for (int i = 0; i < m * d; i++) {
                dEmb[i] *= embMask[i];
            }
        }

        // Sparse gradients, duplicate rows summed (the official optimizer coalesces before its non-linear update).
        gradients.startSparse(c + m);
        for (int j = 0; j < c; j++) {
            gradients.addOut(candidates[j], dOut, j * hidden, hidden);
        }
        for (int j = 0; j < c; j++) {
            float sum = 0;
            for (int r = 0; r < m; r++) {
                sum += dScores[r * c + j];
            }
            gradients.addBias(candidates[j], sum);
        }
        for (int r = 0; r < m; r++) {
            if (model.constrained) {
                gradients.addOut(in[r], dEmb, r * d, d);
            } else {
                gradients.addEmb(in[r], dEmb, r * d);
            }
        }
        gradients.finishSparse();
    }

    private void growScratch(int m, int c) {
        int d = inputDim;
        emb = grow(emb, m * d);
        embMask = grow(embMask, m * d);
        gx = grow(gx, m * h3);
        gh = grow(gh, m * h3);
        gateR = grow(gateR, m * hidden);
        gateZ = grow(gateZ, m * hidden);
        gateN = grow(gateN, m * hidden);
        hOut = grow(hOut, m * hidden);
        hMask = grow(hMask, m * hidden);
        outRows = grow(outRows, c * hidden);
        scores = grow(scores, m * c);
        dScores = grow(dScores, m * c);
        dHOut = grow(dHOut, m * hidden);
        dOut = grow(dOut, c * hidden);
        dGx = grow(dGx, m * h3);
        dGh = grow(dGh, m * h3);
        dEmb = grow(dEmb, m * d);
        if (candidates.length < c) {
            candidates = new int[c];
        }
        if (embOffset.length < m) {
            embOffset = new int[m];
            hiddenOffset = new int[m];
        }
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }
}
