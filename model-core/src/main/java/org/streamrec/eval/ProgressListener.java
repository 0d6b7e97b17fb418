package org.streamrec.eval;

/** Told after every scored batch how far an evaluation is; implementations decide how often to report. */
@FunctionalInterface
public interface ProgressListener {

    void onProgress(String name, long predictionsDone, long predictionsTotal, long elapsedNanos);
}
