package org.streamrec.data;

import java.util.List;

/**
 * What a reader saw: how many lines it read, how many became events, and every malformed line
 * (up to {@link #MAX_KEPT} kept with line numbers, each cut after 1000 characters; the count is always exact).
 */
public record ReadReport(String source, long linesRead, long eventsRead, long malformedCount, List<MalformedLine> malformed) {

    public static final int MAX_KEPT = 1000;

    public ReadReport {
        malformed = List.copyOf(malformed);
    }

    public boolean clean() {
        return malformedCount == 0;
    }
}
