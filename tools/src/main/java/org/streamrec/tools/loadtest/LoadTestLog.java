package org.streamrec.tools.loadtest;

import java.io.PrintWriter;

/** The load test's messages, each line marked {@code [loadtest]} and flushed at once. */
final class LoadTestLog {

    private final PrintWriter out;

    LoadTestLog(PrintWriter out) {
        this.out = out;
    }

    void say(String format, Object... args) {
        out.printf("[loadtest] " + format + "%n", args);
        out.flush();
    }
}
