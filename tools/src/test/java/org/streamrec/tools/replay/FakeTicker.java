package org.streamrec.tools.replay;

import java.util.ArrayList;
import java.util.List;

/** Virtual time: sleeping advances it (plus a configurable overshoot, like a real scheduler), nothing waits. */
final class FakeTicker implements Ticker {

    private long now;
    private long overshootNanos;
    final List<Long> sleeps = new ArrayList<>();

    FakeTicker(long startNanos) {
        this.now = startNanos;
    }

    @Override
    public long nanoTime() {
        return now;
    }

    @Override
    public void sleepNanos(long nanos) {
        sleeps.add(nanos);
        if (nanos > 0) {
            now += nanos + overshootNanos;
        }
    }

    void advance(long nanos) {
        now += nanos;
    }

    void overshootEverySleepBy(long nanos) {
        overshootNanos = nanos;
    }
}
