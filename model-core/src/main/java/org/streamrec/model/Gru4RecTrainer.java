package org.streamrec.model;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

/**
 * Trains a {@link Gru4RecModel} the way the official GRU4Rec does (hidasib/GRU4Rec_PyTorch_Official,
 * {@code GRU4Rec.fit}), offline over whole epochs ({@link #train}) or online one mini-batch at a time
 * ({@link #trainIncremental}). The work is split as in the official code:
 * <ul>
 *   <li>{@link SessionParallelEpochs}: the epoch loop over session-parallel mini-batches and its progress reports;</li>
 *   <li>{@link Gru4RecTrainingStep}: the model math of a step: forward (the serving cell, {@link GruCell}, plus
 *       inverted dropout on the input embedding and on the output), scores against the batch's targets plus
 *       {@code n_sample} shared negatives from popularity^{@code sample_alpha} ({@link NegativeSampleCache}), the loss
 *       ({@link SampledLosses}: cross-entropy with logQ, or BPR-max) and one-step back-propagation;</li>
 *   <li>{@link IndexedAdagradM}: Adagrad with momentum, dense for the GRU weights, sparse for the item tables.</li>
 * </ul>
 * Deterministic for a given {@code seed}. Not thread-safe.
 */
public final class Gru4RecTrainer {

    private final Gru4RecModel model;
    private final Gru4RecParams p;
    private final int hidden;
    private final Gru4RecTrainingStep trainingStep;
    private final IndexedAdagradM optimizer;
    private final SessionParallelEpochs epochs;
    private final NegativeSampleCache sampler;
    private final int[] negatives;

    // Incremental API: per-slot hidden states.
    private final float[] slotHidden;

    public Gru4RecTrainer(Gru4RecModel model) {
        this.model = model;
        this.p = model.params;
        this.hidden = model.hidden;
        this.trainingStep = new Gru4RecTrainingStep(model, p.seed() + 1);
        this.optimizer = new IndexedAdagradM(model);
        this.sampler = new NegativeSampleCache(p.nSample(), p.sampleAlpha(), p.sampleCacheMaxSize(),
                model.popularity, model.itemCount(), p.seed() + 2);
        this.negatives = new int[p.nSample()];
        this.slotHidden = new float[p.batchSize() * hidden];
        this.epochs = new SessionParallelEpochs(model, (rows, in, target, hiddenRows) -> {
            sampler.next(negatives, 0);
            return step(rows, in, target, negatives, p.nSample(), hiddenRows, true, true);
        });
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
        return this.epochs.train(sessions, epochs, maxBatchesPerEpoch, listener);
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
        trainingStep.reseedDropout(streamSeed);
        sampler.reseed(new SplittableRandom(streamSeed).split().nextLong());
    }

    /** Counts events into the model's popularity (used by logQ and, after {@link #refreshSampler}, by sampling). */
    public void observe(int itemRow) {
        model.addPopularity(itemRow, 1);
    }

    /** Rebuilds the negative-sampling distribution from the model's current popularity and item count. */
    public void refreshSampler() {
        optimizer.ensureItemRows();
        sampler.updatePopularity(model.popularity, model.itemCount());
    }

    // ------------------------------------------------------------------ one step

    /**
     * Forward pass, loss and (when {@code backward}) gradients for one mini-batch of {@code m} rows.
     * {@code hiddenRows} ([m x H]) holds the previous hidden states and receives the new ones.
     * Dropout applies only when {@code train}; parameters change only when {@code train}.
     */
    double step(int m, int[] in, int[] target, int[] negs, int nNeg, float[] hiddenRows, boolean train, boolean backward) {
        optimizer.ensureItemRows();
        double loss = trainingStep.run(m, in, target, negs, nNeg, hiddenRows, train, backward);
        if (train) {
            optimizer.apply(trainingStep.gradients, (float) p.learningRate(), (float) p.momentum());
            model.eventsSeen += m;
            model.parametersChanged();
        }
        return loss;
    }

    /** Gradients of the last step run with {@code backward}. */
    Gru4RecGradients gradients() {
        return trainingStep.gradients;
    }

    /** Scores of the last step, {@code [m x (m + nNeg)]}. */
    float[] lastScores() {
        return trainingStep.scores;
    }

    /** Adagrad accumulators and momenta by snapshot file name; item tables cut to {@code items} rows. */
    Map<String, ModelSnapshot.TensorRef> optimizerState(int items) {
        return optimizer.state(items);
    }
}
