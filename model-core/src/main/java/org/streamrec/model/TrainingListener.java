package org.streamrec.model;

import java.time.Duration;

/** Receives training progress from {@link Gru4RecTrainer#train}. */
@FunctionalInterface
public interface TrainingListener {

    /**
     * @param epoch          1-based epoch
     * @param epochs         epochs in this run
     * @param eventsDone     training events (input/target pairs) done in this epoch
     * @param eventsInEpoch  training events one epoch has
     * @param eventsPerSecond throughput over this epoch so far
     * @param meanLoss       mean loss per event over this epoch so far (the official code's "loss")
     * @param eta            estimated time until the whole run ends
     * @param epochFinished  true for the last report of an epoch
     */
    record Progress(int epoch, int epochs, long eventsDone, long eventsInEpoch, double eventsPerSecond,
                    double meanLoss, Duration eta, boolean epochFinished) {

        @Override
        public String toString() {
            return String.format("epoch %d/%d  %,d/%,d events  %.0f events/s  loss %.5f  ETA %s%s",
                    epoch, epochs, eventsDone, eventsInEpoch, eventsPerSecond, meanLoss,
                    formatDuration(eta), epochFinished ? "  (epoch done)" : "");
        }

        private static String formatDuration(Duration d) {
            long s = d.getSeconds();
            return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
        }
    }

    void onProgress(Progress progress);

    TrainingListener NONE = p -> { };
}
