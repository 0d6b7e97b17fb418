package org.streamrec.model;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

/**
 * Trains a {@link Gru4RecModel} the way the official GRU4Rec does (hidasib/GRU4Rec_PyTorch_Official,
 * {@code GRU4Rec.fit}):
 * <ul>
 *   <li>session-parallel mini-batches: {@code batch_size} slots each walk one session (sessions in order
 *       of their first event); a slot whose session ends gets the next session and a zero hidden state;
 *       slots with no session left drop out, so the last mini-batches shrink;</li>
 *   <li>one-step back-propagation: the previous hidden state is a constant;</li>
 *   <li>shared negatives: every row is scored against the mini-batch's targets plus {@code n_sample}
 *       items from popularity^{@code sample_alpha} ({@link NegativeSampleCache});</li>
 *   <li>cross-entropy over that sampled softmax with logQ correction ({@code logq}), or BPR-max with
 *       score regularisation ({@code bpreg}) on ELU-activated scores ({@code elu_param});
 *       the summed loss is divided by {@code batch_size};</li>
 *   <li>inverted dropout on the input embedding and on the GRU output; the dropped-out output is also
 *       the hidden state carried to the next step, as in the official code;</li>
 *   <li>Adagrad with momentum ({@code IndexedAdagradM}, eps 1e-6): dense for the GRU weights, sparse
 *       (only the rows in the batch, duplicate rows summed first) for item embeddings and biases.</li>
 * </ul>
 * Big products run as {@code Nd4j.gemm}; the element-wise work runs on Java arrays (docs/ARCHITECTURE.md, "Platform facts").
 * Deterministic for a given {@code seed}. Not thread-safe.
 */
public final class Gru4RecTrainer {

    private static final float ADAGRAD_EPS = 1e-6f;
    private static final double LOG_EPS = 1e-24;
    private static final ElementwiseMath EXP = ElementwiseMath.INSTANCE;

    private final Gru4RecModel model;
    private final Gru4RecParams p;
    private final int hidden;
    private final int inputDim;
    private final int h3;
    private SplittableRandom dropoutRandom;
    private NegativeSampleCache sampler;

    // Adagrad accumulators and momenta, same layout as the parameters.
    private final float[] accWIn;
    private final float[] momWIn;
    private final float[] accBIn;
    private final float[] momBIn;
    private final float[] accWHid;
    private final float[] momWHid;
    private final float[] accBHid;
    private final float[] momBHid;
    private float[] accOut;
    private float[] momOut;
    private float[] accBias;
    private float[] momBias;
    private float[] accEmb;
    private float[] momEmb;
    private int optimizerRows;

    // Native operands of the gemms.
    private final NativeMatrix nEmb = new NativeMatrix(1);
    private final NativeMatrix nWIn = new NativeMatrix(1);
    private final NativeMatrix nHPrev = new NativeMatrix(1);
    private final NativeMatrix nWHid = new NativeMatrix(1);
    private final NativeMatrix nGx = new NativeMatrix(1);
    private final NativeMatrix nGh = new NativeMatrix(1);
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
    private float[] gx = new float[0];
    private float[] gh = new float[0];
    private float[] gateR = new float[0];
    private float[] gateZ = new float[0];
    private float[] gateN = new float[0];
    private float[] hOut = new float[0];
    private float[] hMask = new float[0];
    private float[] outRows = new float[0];
    /** Scores of the last step, [m x (m + nNeg)] (package-private for the gradient check). */
    float[] scores = new float[0];
    private float[] dScores = new float[0];
    private float[] dHOut = new float[0];
    private float[] dOut = new float[0];
    private float[] dGx = new float[0];
    private float[] dGh = new float[0];
    private float[] dEmb = new float[0];
    private float[] rowF1 = new float[0];
    private float[] rowF2 = new float[0];
    private float[] rowF3 = new float[0];
    private int[] candidates = new int[0];
    private int[] rowSlot = new int[0];
    private int[] biasSlot = new int[0];
    private int[] embSlot = new int[0];

    // Gradients of the last backward pass (package-private for the gradient-check test).
    final float[] gWIn;
    final float[] gBIn;
    final float[] gWHid;
    final float[] gBHid;
    int[] gOutRowIds = new int[0];
    float[] gOut = new float[0];
    int gOutCount;
    int[] gBiasRowIds = new int[0];
    float[] gBias = new float[0];
    int gBiasCount;
    int[] gEmbRowIds = new int[0];
    float[] gEmb = new float[0];
    int gEmbCount;

    // Incremental API: per-slot hidden states.
    private float[] slotHidden;
    private int[] negatives;

    public Gru4RecTrainer(Gru4RecModel model) {
        this.model = model;
        this.p = model.params;
        this.hidden = model.hidden;
        this.inputDim = model.inputDim;
        this.h3 = 3 * hidden;
        this.dropoutRandom = new SplittableRandom(p.seed() + 1);
        this.accWIn = new float[model.wIn.length];
        this.momWIn = new float[model.wIn.length];
        this.accBIn = new float[h3];
        this.momBIn = new float[h3];
        this.accWHid = new float[model.wHid.length];
        this.momWHid = new float[model.wHid.length];
        this.accBHid = new float[h3];
        this.momBHid = new float[h3];
        this.gWIn = new float[model.wIn.length];
        this.gBIn = new float[h3];
        this.gWHid = new float[model.wHid.length];
        this.gBHid = new float[h3];
        this.accOut = new float[0];
        this.momOut = new float[0];
        this.accBias = new float[0];
        this.momBias = new float[0];
        this.accEmb = new float[0];
        this.momEmb = new float[0];
        ensureItemCapacity();
        this.sampler = new NegativeSampleCache(p.nSample(), p.sampleAlpha(), p.sampleCacheMaxSize(),
                model.popularity, model.itemCount(), p.seed() + 2);
        this.slotHidden = new float[p.batchSize() * hidden];
        this.negatives = new int[p.nSample()];
    }

    public Gru4RecModel model() {
        return model;
    }

    // ------------------------------------------------------------------ data preparation

    /**
     * Item rows of each session, sessions ordered by first event time; unknown items are added to
     * {@code vocabulary} when {@code addUnknown}, otherwise dropped from the session.
     */
    public static int[][] mapSessions(SessionDataset data, ItemVocabulary vocabulary, boolean addUnknown) {
        List<Session> sorted = data.sortedByStartTime();
        int[][] out = new int[sorted.size()][];
        for (int s = 0; s < out.length; s++) {
            List<String> ids = sorted.get(s).itemIds();
            int[] rows = new int[ids.size()];
            int k = 0;
            for (String id : ids) {
                int row = addUnknown ? vocabulary.getOrAdd(id) : vocabulary.indexOf(id);
                if (row != ItemVocabulary.UNKNOWN) {
                    rows[k++] = row;
                }
            }
            out[s] = k == rows.length ? rows : Arrays.copyOf(rows, k);
        }
        return out;
    }

    /** Event count of each row of a vocabulary of {@code items} items. */
    public static long[] countPopularity(int[][] sessions, int items) {
        long[] pop = new long[items];
        for (int[] s : sessions) {
            for (int row : s) {
                pop[row]++;
            }
        }
        return pop;
    }

    /** Builds vocabulary and popularity from a training set and returns a fresh model plus its mapped sessions. */
    public static Prepared prepare(SessionDataset train, Gru4RecParams params) {
        ItemVocabulary vocabulary = new ItemVocabulary();
        int[][] sessions = mapSessions(train, vocabulary, true);
        long[] pop = countPopularity(sessions, vocabulary.size());
        return new Prepared(Gru4RecModel.create(params, vocabulary, pop), sessions);
    }

    public record Prepared(Gru4RecModel model, int[][] sessions) {
    }

    // ------------------------------------------------------------------ epoch training

    /** Runs {@code n_epochs} epochs over {@code sessions} (item rows, sessions in time order). */
    public double[] train(int[][] sessions, TrainingListener listener) {
        return train(sessions, p.nEpochs(), Long.MAX_VALUE, listener);
    }

    /**
     * Runs {@code epochs} epochs, each stopping early after {@code maxBatchesPerEpoch} mini-batches
     * (for throughput measurements); returns the mean loss per event of each epoch.
     */
    public double[] train(int[][] sessions, int epochs, long maxBatchesPerEpoch, TrainingListener listener) {
        long eventsPerEpoch = 0;
        for (int[] s : sessions) {
            eventsPerEpoch += Math.max(0, s.length - 1);
        }
        double[] losses = new double[epochs];
        long runStart = System.nanoTime();
        long runEvents = 0;
        long runEventsTotal = eventsPerEpoch * epochs;
        for (int epoch = 0; epoch < epochs; epoch++) {
            EpochRun run = new EpochRun(epoch + 1, epochs, eventsPerEpoch, listener, runStart, runEvents, runEventsTotal);
            runEpoch(sessions, maxBatchesPerEpoch, run);
            runEvents += run.events;
            losses[epoch] = run.meanLoss();
            model.epochsCompleted++;
            run.report(true);
        }
        return losses;
    }

    private final class EpochRun {
        final int epoch;
        final int epochs;
        final long eventsInEpoch;
        final TrainingListener listener;
        final long runStart;
        final long runEventsBefore;
        final long runEventsTotal;
        final long start = System.nanoTime();
        long events;
        double lossSum;
        long lastReport = System.nanoTime();

        EpochRun(int epoch, int epochs, long eventsInEpoch, TrainingListener listener, long runStart,
                 long runEventsBefore, long runEventsTotal) {
            this.epoch = epoch;
            this.epochs = epochs;
            this.eventsInEpoch = eventsInEpoch;
            this.listener = listener;
            this.runStart = runStart;
            this.runEventsBefore = runEventsBefore;
            this.runEventsTotal = runEventsTotal;
        }

        void add(int rows, double loss) {
            events += rows;
            // loss is sum/batch_size; the official epoch loss is the n_valid-weighted mean of it.
            lossSum += loss * rows;
            long now = System.nanoTime();
            if (now - lastReport > 2_000_000_000L) {
                lastReport = now;
                report(false);
            }
        }

        double meanLoss() {
            return events == 0 ? Double.NaN : lossSum / events;
        }

        void report(boolean finished) {
            long now = System.nanoTime();
            double secs = Math.max(1e-9, (now - start) / 1e9);
            double rate = events / secs;
            double runSecs = Math.max(1e-9, (now - runStart) / 1e9);
            long runDone = runEventsBefore + events;
            double runRate = runDone / runSecs;
            long remaining = Math.max(0, runEventsTotal - runDone);
            Duration eta = Duration.ofSeconds(runRate > 0 ? (long) (remaining / runRate) : 0);
            listener.onProgress(new TrainingListener.Progress(epoch, epochs, events, eventsInEpoch, rate,
                    meanLoss(), eta, finished));
        }
    }

    /** The official {@code SessionDataIterator._iter_data} loop, with a training step per yielded batch. */
    private void runEpoch(int[][] sessions, long maxBatches, EpochRun run) {
        int nSessions = sessions.length;
        int slots = Math.min(p.batchSize(), nSessions);
        if (slots == 0) {
            return;
        }
        int[] sessionOfSlot = new int[slots];
        int[] pos = new int[slots];
        for (int k = 0; k < slots; k++) {
            sessionOfSlot[k] = k;
        }
        int nextSession = slots;
        float[] hiddenRows = new float[slots * hidden];
        int[] in = new int[slots];
        int[] target = new int[slots];
        long batches = 0;
        int active = slots;
        while (true) {
            int minLen = Integer.MAX_VALUE;
            for (int k = 0; k < active; k++) {
                minLen = Math.min(minLen, sessions[sessionOfSlot[k]].length - pos[k]);
            }
            for (int i = 0; i < minLen - 1; i++) {
                for (int k = 0; k < active; k++) {
                    int[] s = sessions[sessionOfSlot[k]];
                    in[k] = s[pos[k] + i];
                    target[k] = s[pos[k] + i + 1];
                }
                sampler.next(negatives, 0);
                double loss = step(active, in, target, negatives, p.nSample(), hiddenRows, true, true);
                run.add(active, loss);
                if (++batches >= maxBatches) {
                    return;
                }
            }
            int kept = 0;
            for (int k = 0; k < active; k++) {
                pos[k] += Math.max(0, minLen - 1);
                boolean finished = sessions[sessionOfSlot[k]].length - pos[k] <= 1;
                if (finished) {
                    if (nextSession >= nSessions) {
                        continue; // slot has no session left: drops out
                    }
                    sessionOfSlot[k] = nextSession++;
                    pos[k] = 0;
                    Arrays.fill(hiddenRows, k * hidden, (k + 1) * hidden, 0f);
                }
                if (kept != k) {
                    sessionOfSlot[kept] = sessionOfSlot[k];
                    pos[kept] = pos[k];
                    System.arraycopy(hiddenRows, k * hidden, hiddenRows, kept * hidden, hidden);
                }
                kept++;
            }
            active = kept;
            if (active == 0 || (p.nSample() == 0 && active < 2)) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------ incremental API

    /**
     * One training step for a streaming trainer. Slot {@code k} (0 ≤ k &lt; batch_size) continues its
     * session with input {@code inputItems[k]} and target {@code targetItems[k]}; when {@code resetSlot[k]}
     * is set, the slot starts a new session (zero hidden state) first. Slots not given keep their state.
     * Returns the loss (sum over rows / batch_size).
     */
    public double trainIncremental(int[] inputItems, int[] targetItems, boolean[] resetSlot) {
        int m = inputItems.length;
        if (m == 0 || m > p.batchSize() || targetItems.length != m || resetSlot.length != m) {
            throw new IllegalArgumentException("need 1.." + p.batchSize() + " slots with equal-length arrays");
        }
        ensureItemCapacity();
        for (int k = 0; k < m; k++) {
            if (resetSlot[k]) {
                Arrays.fill(slotHidden, k * hidden, (k + 1) * hidden, 0f);
            }
        }
        sampler.next(negatives, 0);
        return step(m, inputItems, targetItems, negatives, p.nSample(), slotHidden, true, true);
    }

    /**
     * A copy of the incremental API's slot hidden states, {@code [batch_size x hidden]} row-major, so that a streaming
     * trainer can checkpoint them next to a snapshot and continue its sessions after a restore.
     */
    public float[] slotHiddenStates() {
        return slotHidden.clone();
    }

    /** Restores what {@link #slotHiddenStates} returned (same batch size and hidden size). */
    public void restoreSlotHiddenStates(float[] states) {
        if (states.length != slotHidden.length) {
            throw new IllegalArgumentException("slot states hold " + states.length + " floats, this trainer needs "
                    + slotHidden.length + " (batch_size x hidden)");
        }
        System.arraycopy(states, 0, slotHidden, 0, states.length);
    }

    /**
     * Restarts the dropout and negative-sampling random streams from {@code streamSeed} (cached samples are dropped).
     * A streaming trainer calls it at each checkpoint with a seed derived from its progress, and again after a restore
     * from that checkpoint, so a restored run draws the same numbers as one that never stopped (SplittableRandom
     * cannot export its position).
     */
    public void reseed(long streamSeed) {
        dropoutRandom = new SplittableRandom(streamSeed);
        sampler.reseed(new SplittableRandom(streamSeed).split().nextLong());
    }

    /** Counts events into the model's popularity (used by logQ and, after {@link #refreshSampler}, by sampling). */
    public void observe(int itemRow) {
        model.addPopularity(itemRow, 1);
    }

    /** Rebuilds the negative-sampling distribution from the model's current popularity and item count. */
    public void refreshSampler() {
        ensureItemCapacity();
        sampler.updatePopularity(model.popularity, model.itemCount());
    }

    // ------------------------------------------------------------------ one step

    /**
     * Forward pass, loss and (when {@code backward}) gradients for one mini-batch of {@code m} rows.
     * {@code hiddenRows} ([m x H]) holds the previous hidden states and receives the new ones.
     * Dropout applies only when {@code train}; parameters change only when {@code train}.
     */
    double step(int m, int[] in, int[] target, int[] negs, int nNeg, float[] hiddenRows, boolean train, boolean backward) {
        int c = m + nNeg;
        int d = inputDim;
        growScratch(m, c);
        System.arraycopy(target, 0, candidates, 0, m);
        System.arraycopy(negs, 0, candidates, m, nNeg);

        // Input embedding with dropout.
        float[] table = model.constrained ? model.outEmb : model.inEmb;
        float keepE = (float) (1.0 - p.dropoutPEmbed());
        boolean dropE = train && p.dropoutPEmbed() > 0;
        for (int r = 0; r < m; r++) {
            System.arraycopy(table, in[r] * d, emb, r * d, d);
        }
        if (dropE) {
            for (int i = 0; i < m * d; i++) {
                embMask[i] = dropoutRandom.nextDouble() < keepE ? 1f / keepE : 0f;
                emb[i] *= embMask[i];
            }
        }

        // Gate pre-activations: gx = emb Wx, gh = h Wh (gemm), biases added on the Java side.
        INDArray aEmb = nEmb.matrix(m, d);
        nEmb.put(emb, m * d);
        INDArray aWIn = nWIn.matrix(d, h3);
        nWIn.put(model.wIn, d * h3);
        INDArray aGx = nGx.matrix(m, h3);
        NativeMatrix.gemm(aEmb, aWIn, aGx, false, false);
        nGx.get(gx, m * h3);
        INDArray aHPrev = nHPrev.matrix(m, hidden);
        nHPrev.put(hiddenRows, m * hidden);
        INDArray aWHid = nWHid.matrix(hidden, h3);
        nWHid.put(model.wHid, hidden * h3);
        INDArray aGh = nGh.matrix(m, h3);
        NativeMatrix.gemm(aHPrev, aWHid, aGh, false, false);
        nGh.get(gh, m * h3);

        float keepH = (float) (1.0 - p.dropoutPHidden());
        boolean dropH = train && p.dropoutPHidden() > 0;
        // Three passes so that each transcendental runs as one bulk exp over m x H values.
        for (int r = 0; r < m; r++) {
            int g = r * h3;
            int o = r * hidden;
            for (int j = 0; j < hidden; j++) {
                gateR[o + j] = -(gx[g + j] + model.bIn[j] + gh[g + j] + model.bHid[j]);
                gateZ[o + j] = -(gx[g + hidden + j] + model.bIn[hidden + j] + gh[g + hidden + j] + model.bHid[hidden + j]);
            }
        }
        EXP.expInPlace(gateR, 0, m * hidden);
        EXP.expInPlace(gateZ, 0, m * hidden);
        for (int r = 0; r < m; r++) {
            int g = r * h3;
            int o = r * hidden;
            for (int j = 0; j < hidden; j++) {
                float rr = 1f / (1f + gateR[o + j]);
                gateR[o + j] = rr;
                gateZ[o + j] = 1f / (1f + gateZ[o + j]);
                float ghn = gh[g + 2 * hidden + j] + model.bHid[2 * hidden + j];
                gh[g + 2 * hidden + j] = ghn; // kept with its bias for the backward pass
                float pre = gx[g + 2 * hidden + j] + model.bIn[2 * hidden + j] + rr * ghn;
                gateN[o + j] = pre;
            }
        }
        EXP.tanhInPlace(gateN, 0, m * hidden);
        for (int r = 0; r < m; r++) {
            int o = r * hidden;
            for (int j = 0; j < hidden; j++) {
                float nn = gateN[o + j];
                float zz = gateZ[o + j];
                float h = (1f - zz) * nn + zz * hiddenRows[o + j];
                if (dropH) {
                    hMask[o + j] = dropoutRandom.nextDouble() < keepH ? 1f / keepH : 0f;
                    h *= hMask[o + j];
                }
                hOut[o + j] = h;
            }
        }

        // Scores against the shared candidates: targets of the batch, then the sampled negatives.
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

        double loss = p.isBprMax() ? bprMax(m, c) : crossEntropy(m, c);

        if (backward) {
            backward(m, c, in, hiddenRows, dropE, dropH);
        }
        System.arraycopy(hOut, 0, hiddenRows, 0, m * hidden);
        if (train) {
            applyAdagrad();
            model.eventsSeen += m;
            model.parametersChanged();
        }
        return loss;
    }

    /** Cross-entropy over the sampled softmax with logQ correction; fills {@code dScores}. */
    private double crossEntropy(int m, int c) {
        double total = 0;
        double scale = 1.0 / p.batchSize();
        float[] corr = rowF2;
        if (p.logq() > 0) {
            for (int j = 0; j < c; j++) {
                double q = Math.max(1, model.popularity[candidates[j]]);
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
    private double bprMax(int m, int c) {
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

    private void backward(int m, int c, int[] in, float[] hPrev, boolean dropE, boolean dropH) {
        int d = inputDim;
        // dHOut = dScores Out, dOut = dScores^T HOut.
        INDArray aDScores = nScores.matrix(m, c);
        nScores.put(dScores, m * c);
        INDArray aDHOut = nDHOut.matrix(m, hidden);
        NativeMatrix.gemm(aDScores, nOut.matrix(c, hidden), aDHOut, false, false);
        nDHOut.get(dHOut, m * hidden);
        INDArray aDOut = nDOut.matrix(c, hidden);
        NativeMatrix.gemm(aDScores, nHOut.matrix(m, hidden), aDOut, true, false);
        nDOut.get(dOut, c * hidden);

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
        NativeMatrix.gemm(nEmb.matrix(m, d), aDGx, aDWIn, true, false);
        nDWIn.get(gWIn, d * h3);
        INDArray aDWHid = nDWHid.matrix(hidden, h3);
        NativeMatrix.gemm(nHPrev.matrix(m, hidden), aDGh, aDWHid, true, false);
        nDWHid.get(gWHid, hidden * h3);
        INDArray aDEmb = nDEmb.matrix(m, d);
        NativeMatrix.gemm(aDGx, nWIn.matrix(d, h3), aDEmb, false, true);
        nDEmb.get(dEmb, m * d);
        if (dropE) {
            for (int i = 0; i < m * d; i++) {
                dEmb[i] *= embMask[i];
            }
        }

        // Sparse gradients, duplicate rows summed (the official optimizer coalesces before its non-linear update).
        gOutCount = 0;
        growSparse(c + m);
        for (int j = 0; j < c; j++) {
            int slot = sparseSlot(rowSlot, gOutRowIds, candidates[j], true);
            addRow(gOut, slot * hidden, dOut, j * hidden, hidden);
        }
        gBiasCount = 0;
        for (int j = 0; j < c; j++) {
            int slot = sparseSlot(biasSlot, gBiasRowIds, candidates[j], false);
            float sum = 0;
            for (int r = 0; r < m; r++) {
                sum += dScores[r * c + j];
            }
            gBias[slot] += sum;
        }
        gEmbCount = 0;
        if (model.constrained) {
            for (int r = 0; r < m; r++) {
                int slot = sparseSlot(rowSlot, gOutRowIds, in[r], true);
                addRow(gOut, slot * hidden, dEmb, r * d, d);
            }
        } else {
            for (int r = 0; r < m; r++) {
                int slot = sparseSlotEmb(in[r]);
                addRow(gEmb, slot * d, dEmb, r * d, d);
            }
        }
        for (int i = 0; i < gOutCount; i++) {
            rowSlot[gOutRowIds[i]] = -1;
        }
        for (int i = 0; i < gBiasCount; i++) {
            biasSlot[gBiasRowIds[i]] = -1;
        }
        for (int i = 0; i < gEmbCount; i++) {
            embSlot[gEmbRowIds[i]] = -1;
        }
    }

    private int sparseSlot(int[] slotOf, int[] ids, int row, boolean outTable) {
        int slot = slotOf[row];
        if (slot < 0) {
            if (outTable) {
                slot = gOutCount++;
                Arrays.fill(gOut, slot * hidden, (slot + 1) * hidden, 0f);
            } else {
                slot = gBiasCount++;
                gBias[slot] = 0f;
            }
            slotOf[row] = slot;
            ids[slot] = row;
        }
        return slot;
    }

    private int sparseSlotEmb(int row) {
        int slot = embSlot[row];
        if (slot < 0) {
            slot = gEmbCount++;
            Arrays.fill(gEmb, slot * inputDim, (slot + 1) * inputDim, 0f);
            embSlot[row] = slot;
            gEmbRowIds[slot] = row;
        }
        return slot;
    }

    private static void addRow(float[] dst, int dOff, float[] src, int sOff, int len) {
        for (int i = 0; i < len; i++) {
            dst[dOff + i] += src[sOff + i];
        }
    }

    // ------------------------------------------------------------------ optimizer

    private void applyAdagrad() {
        float lr = (float) p.learningRate();
        float mu = (float) p.momentum();
        adagrad(model.wIn, gWIn, accWIn, momWIn, 0, 0, gWIn.length, lr, mu);
        adagrad(model.bIn, gBIn, accBIn, momBIn, 0, 0, h3, lr, mu);
        adagrad(model.wHid, gWHid, accWHid, momWHid, 0, 0, gWHid.length, lr, mu);
        adagrad(model.bHid, gBHid, accBHid, momBHid, 0, 0, h3, lr, mu);
        for (int i = 0; i < gOutCount; i++) {
            int row = gOutRowIds[i];
            adagrad(model.outEmb, gOut, accOut, momOut, row * hidden, i * hidden, hidden, lr, mu);
        }
        for (int i = 0; i < gBiasCount; i++) {
            int row = gBiasRowIds[i];
            adagrad(model.outBias, gBias, accBias, momBias, row, i, 1, lr, mu);
        }
        for (int i = 0; i < gEmbCount; i++) {
            int row = gEmbRowIds[i];
            adagrad(model.inEmb, gEmb, accEmb, momEmb, row * inputDim, i * inputDim, inputDim, lr, mu);
        }
    }

    /** {@code acc += g^2; mom = mu*mom - lr*g/sqrt(acc+eps); w += mom} (plain Adagrad step when mu = 0). */
    private static void adagrad(float[] w, float[] g, float[] acc, float[] mom, int wOff, int gOff, int len, float lr, float mu) {
        if (mu > 0) {
            for (int i = 0; i < len; i++) {
                float gi = g[gOff + i];
                float a = acc[wOff + i] + gi * gi;
                acc[wOff + i] = a;
                float v = mu * mom[wOff + i] - lr * gi / (float) Math.sqrt(a + ADAGRAD_EPS);
                mom[wOff + i] = v;
                w[wOff + i] += v;
            }
        } else {
            for (int i = 0; i < len; i++) {
                float gi = g[gOff + i];
                float a = acc[wOff + i] + gi * gi;
                acc[wOff + i] = a;
                w[wOff + i] -= lr * gi / (float) Math.sqrt(a + ADAGRAD_EPS);
            }
        }
    }

    // ------------------------------------------------------------------ buffers

    private void ensureItemCapacity() {
        int rows = model.capacityRows;
        if (rows <= optimizerRows) {
            return;
        }
        accOut = Arrays.copyOf(accOut, rows * hidden);
        momOut = Arrays.copyOf(momOut, rows * hidden);
        accBias = Arrays.copyOf(accBias, rows);
        momBias = Arrays.copyOf(momBias, rows);
        if (!model.constrained) {
            accEmb = Arrays.copyOf(accEmb, rows * inputDim);
            momEmb = Arrays.copyOf(momEmb, rows * inputDim);
        }
        int old = rowSlot.length;
        rowSlot = Arrays.copyOf(rowSlot, rows);
        biasSlot = Arrays.copyOf(biasSlot, rows);
        embSlot = Arrays.copyOf(embSlot, rows);
        Arrays.fill(rowSlot, old, rows, -1);
        Arrays.fill(biasSlot, old, rows, -1);
        Arrays.fill(embSlot, old, rows, -1);
        optimizerRows = rows;
    }

    private void growScratch(int m, int c) {
        ensureItemCapacity();
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
        rowF1 = grow(rowF1, c);
        rowF2 = grow(rowF2, c);
        rowF3 = grow(rowF3, c);
        if (candidates.length < c) {
            candidates = new int[c];
        }
    }

    private void growSparse(int rows) {
        if (gOutRowIds.length < rows) {
            gOutRowIds = new int[rows];
            gOut = new float[rows * Math.max(hidden, inputDim)];
            gBiasRowIds = new int[rows];
            gBias = new float[rows];
            gEmbRowIds = new int[rows];
            gEmb = new float[rows * inputDim];
        }
    }

    private static float[] grow(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    /** Adagrad accumulators and momenta by snapshot file name; item tables cut to {@code items} rows. */
    Map<String, ModelSnapshot.TensorRef> optimizerState(int items) {
        ensureItemCapacity();
        Map<String, ModelSnapshot.TensorRef> m = new LinkedHashMap<>();
        m.put("acc_gru_w_in.f32", new ModelSnapshot.TensorRef(accWIn, accWIn.length));
        m.put("mom_gru_w_in.f32", new ModelSnapshot.TensorRef(momWIn, momWIn.length));
        m.put("acc_gru_b_in.f32", new ModelSnapshot.TensorRef(accBIn, accBIn.length));
        m.put("mom_gru_b_in.f32", new ModelSnapshot.TensorRef(momBIn, momBIn.length));
        m.put("acc_gru_w_hid.f32", new ModelSnapshot.TensorRef(accWHid, accWHid.length));
        m.put("mom_gru_w_hid.f32", new ModelSnapshot.TensorRef(momWHid, momWHid.length));
        m.put("acc_gru_b_hid.f32", new ModelSnapshot.TensorRef(accBHid, accBHid.length));
        m.put("mom_gru_b_hid.f32", new ModelSnapshot.TensorRef(momBHid, momBHid.length));
        m.put("acc_out_embedding.f32", new ModelSnapshot.TensorRef(accOut, items * hidden));
        m.put("mom_out_embedding.f32", new ModelSnapshot.TensorRef(momOut, items * hidden));
        m.put("acc_out_bias.f32", new ModelSnapshot.TensorRef(accBias, items));
        m.put("mom_out_bias.f32", new ModelSnapshot.TensorRef(momBias, items));
        if (!model.constrained) {
            m.put("acc_in_embedding.f32", new ModelSnapshot.TensorRef(accEmb, items * inputDim));
            m.put("mom_in_embedding.f32", new ModelSnapshot.TensorRef(momEmb, items * inputDim));
        }
        return m;
    }
}
