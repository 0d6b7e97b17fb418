package org.streamrec.data;

import java.util.ArrayList;
import java.util.List;

/** Counts malformed lines exactly and keeps the first {@link ReadReport#MAX_KEPT} of them. */
final class MalformedLines {

    /** Longer lines are cut when kept, so a corrupt multi-megabyte line cannot blow up the report. */
    static final int MAX_KEPT_CHARS = 1000;

    private final List<MalformedLine> kept = new ArrayList<>();
    private long count;

    void add(long lineNumber, String reason, String content) {
        count++;
        if (kept.size() < ReadReport.MAX_KEPT) {
            String shown = content.length() <= MAX_KEPT_CHARS
                    ? content
                    : content.substring(0, MAX_KEPT_CHARS) + "... (" + content.length() + " chars)";
            kept.add(new MalformedLine(lineNumber, reason, shown));
        }
    }

    long count() {
        return count;
    }

    ReadReport report(String source, long linesRead, long eventsRead) {
        return new ReadReport(source, linesRead, eventsRead, count, kept);
    }
}
