package org.streamrec.model;

import java.time.Duration;
import java.util.Arrays;

/**
 * The offline epoch loop of the official GRU4Rec ({@code GRU4Rec.fit} with {@code SessionDataIterator} in
 * hidasib/GRU4Rec_PyTorch_Official): session-parallel mini-batches, where each of {@code batch_size} slots walks one
 * session (sessions in order of their first event); a slot whose session ends gets the next session and a zero hidden
 * state; slots with no session left drop out, so the last mini-batches shrink. Each mini-batch goes to a
 * {@link MiniBatch}; progress goes to a {@link TrainingListener} every two seconds and at the end of each epoch.
 */
final class SessionParallelEpochs {

    /** Trains one mini-batch of {@code rows} rows; {@code hiddenRows} holds their hidden states and receives the new ones. */
    @FunctionalInterface
    interface MiniBatch {
        double train(int rows, int[] in, int[] target, float[] hiddenRows);
    }

    private final Gru4RecModel model;
    private final Gru4RecParams p;
    private final int hidden;
    private final MiniBatch miniBatch;

    SessionParallelEpochs(Gru4RecModel model, MiniBatch miniBatch) {
        this.model = model;
        this.p = model.params;
        this.hidden = model.hidden;
        this.miniBatch = miniBatch;
    }

    /**
     * Runs {@code epochs} epochs, each stopping early after {@code maxBatchesPerEpoch} mini-batches
     * (for throughput measurements); returns the mean loss per event of each epoch.
     */
    double[] train(int[][] sessions, int epochs, long maxBatchesPerEpoch, TrainingListener listener) {
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

    private static final class EpochRun {
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
                double loss = miniBatch.train(active, in, target, hiddenRows);
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
}
