package org.streamrec.cli;

import java.io.PrintWriter;
import java.util.Locale;
import org.streamrec.eval.ProgressListener;

/** Prints predictions done, rate and ETA to stderr at most every few seconds. */
final class ProgressPrinter implements ProgressListener {

    private final PrintWriter err;
    private final long intervalNanos;
    private long lastPrinted;

    ProgressPrinter(PrintWriter err, double intervalSeconds) {
        this.err = err;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
    }

    @Override
    public void onProgress(String name, long done, long total, long elapsedNanos) {
        boolean finished = done == total;
        if (!finished && elapsedNanos - lastPrinted < intervalNanos) {
            return;
        }
        lastPrinted = elapsedNanos;
        double seconds = elapsedNanos / 1e9;
        double rate = seconds == 0 ? 0 : done / seconds;
        double eta = rate == 0 ? Double.NaN : (total - done) / rate;
        err.printf(Locale.ROOT, "[%s] %,d / %,d predictions (%.1f%%), %,.0f/s, %s%n", name, done, total,
                total == 0 ? 100.0 : 100.0 * done / total, rate, finished ? String.format(Locale.ROOT, "done in %.1f s", seconds)
                        : String.format(Locale.ROOT, "ETA %.0f s", eta));
        err.flush();
    }
}
