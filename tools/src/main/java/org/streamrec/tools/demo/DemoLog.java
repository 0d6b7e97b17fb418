package org.streamrec.tools.demo;

import java.io.PrintWriter;

/** The demo's messages, each line marked with the seconds since the demo started and flushed at once. */
final class DemoLog {

    private final PrintWriter out;
    private final long startNanos;

    DemoLog(PrintWriter out, long startNanos) {
        this.out = out;
        this.startNanos = startNanos;
    }

    void say(String format, Object... args) {
        out.printf("[demo %6.1fs] %s%n", (System.nanoTime() - startNanos) / 1e9, String.format(format, args));
        out.flush();
    }
}
