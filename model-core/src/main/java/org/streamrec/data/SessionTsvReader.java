package org.streamrec.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads the tab-separated session layout of GRU4Rec and session-rec: a header naming the columns
 * {@code SessionId}, {@code ItemId} and {@code Time} in any order (matched case-insensitively; other columns are
 * ignored), then one event per line. Plain or gzip (detected by magic bytes).
 *
 * <p>Sessions come out in the order their first row appears, each with its rows in file order; rows of one
 * session need not be contiguous. Session and item ids are kept as written, after checking that they are
 * non-negative integers.
 *
 * <p>How {@code Time} is read depends on {@link TimeScale}: {@link TimeScale#UNIX_SECONDS} (rsc15-100k,
 * e.g. {@code 1396437466.94}) is converted exactly to epoch milliseconds; {@link TimeScale#ORDINAL} (the SR-GNN
 * diginetica conversion) is a synthetic increasing event index stored unchanged, so those
 * {@link Session#timestamps()} are <b>not</b> milliseconds and must not be used for time gaps.
 *
 * <p>A line is malformed, counted and kept in the report, when its field count differs from the header's, or
 * when a required field is empty or not a number of the expected form.
 */
public final class SessionTsvReader implements DatasetReader {

    /** What the {@code Time} column holds. */
    public enum TimeScale {
        /** Unix seconds with an optional decimal fraction; stored as epoch milliseconds. */
        UNIX_SECONDS,
        /** A non-negative integer that only orders events; stored as-is. */
        ORDINAL
    }

    static final String SESSION_ID = "SessionId";
    static final String ITEM_ID = "ItemId";
    static final String TIME = "Time";

    private final TimeScale timeScale;
    private final EventType eventType;

    /** Events typed {@link EventType#VIEW}, the weakest claim about what a row records. */
    public SessionTsvReader(TimeScale timeScale) {
        this(timeScale, EventType.VIEW);
    }

    public SessionTsvReader(TimeScale timeScale, EventType eventType) {
        this.timeScale = Objects.requireNonNull(timeScale, "timeScale");
        this.eventType = Objects.requireNonNull(eventType, "eventType");
    }

    /** The rsc15 / YooChoose setting: Unix seconds, click events. */
    public static SessionTsvReader unixSecondsClicks() {
        return new SessionTsvReader(TimeScale.UNIX_SECONDS, EventType.CLICK);
    }

    /** The SR-GNN diginetica setting: ordinal time index, view events. */
    public static SessionTsvReader ordinalViews() {
        return new SessionTsvReader(TimeScale.ORDINAL, EventType.VIEW);
    }

    public TimeScale timeScale() {
        return timeScale;
    }

    public EventType eventType() {
        return eventType;
    }

    @Override
    public SessionDataset read(Path file) throws IOException {
        SessionGrouper grouper = new SessionGrouper();
        ReadReport report = DelimitedRows.read(file, '\t', "tab-separated", (source, columns) -> {
            int[] index = Fields.requireColumns(source, columns, SESSION_ID, ITEM_ID, TIME);
            return (lineNumber, fields) -> {
                String sessionId = fields[index[0]];
                String itemId = fields[index[1]];
                String time = fields[index[2]];
                String problem = Fields.integerProblem(SESSION_ID, sessionId);
                if (problem == null) {
                    problem = Fields.integerProblem(ITEM_ID, itemId);
                }
                long timestamp = 0;
                if (problem == null) {
                    if (time.isEmpty()) {
                        problem = TIME + " is empty";
                    } else if (timeScale == TimeScale.UNIX_SECONDS) {
                        timestamp = Fields.unixSecondsToMillis(time);
                        if (timestamp == Fields.INVALID) {
                            problem = TIME + " is not Unix seconds of the form digits[.digits]: '" + time + "'";
                        }
                    } else if (Fields.isUnsignedInteger(time)) {
                        timestamp = Long.parseLong(time);
                    } else {
                        problem = TIME + " is not a non-negative integer event index: '" + time + "'";
                    }
                }
                if (problem != null) {
                    return problem;
                }
                grouper.add(sessionId, null, itemId, timestamp, eventType);
                return null;
            };
        });
        return new SessionDataset(grouper.sessions(), report);
    }
}
