package org.streamrec.tools.replay;

import java.util.concurrent.TimeUnit;

/** Monotonic time and sleeping, injectable so that pacing can be tested without a wall clock. */
public interface Ticker {

    /** Monotonic nanoseconds, as {@link System#nanoTime()}. */
    long nanoTime();

    /** Sleeps at least {@code nanos} (nothing when not positive). */
    void sleepNanos(long nanos) throws InterruptedException;

    /** The JVM's monotonic clock. */
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleepNanos(long nanos) throws InterruptedException {
            if (nanos > 0) {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        }
    };
}
