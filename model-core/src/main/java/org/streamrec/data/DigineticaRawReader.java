package org.streamrec.data;

import java.io.IOException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads the raw DIGINETICA (CIKM Cup 2016) {@code train-item-views.csv} layout: {@code ;}-separated with the
 * header {@code session_id;user_id;item_id;timeframe;eventdate} (columns found by name). {@code user_id} may be
 * {@code NA}, which becomes a null user. Events are {@link EventType#VIEW}s.
 *
 * <p>{@code timeframe} is milliseconds since the session's first query and {@code eventdate} the calendar day of
 * the row. Events of a session are ordered by {@code timeframe} (stable for ties), and each event's time is the
 * session's start day (the {@code eventdate} of its first event, at UTC midnight, in epoch milliseconds) plus
 * its {@code timeframe}. The start day is used for every event, not each row's own day, because a session that
 * crosses midnight carries the later date on its later rows while {@code timeframe} still counts from the
 * session start; adding the row's own day would move those events a day ahead (sessions 629 and 2205 of the
 * SR-GNN sample do this). The source has no time of day, so times are only exact relative to the session start.
 *
 * <p>A session's user is its first known {@code user_id} in event order (a few raw sessions mix a user with
 * {@code NA}, or even two users). Sessions are ordered by their first event's time, then by numeric session id.
 */
public final class DigineticaRawReader implements DatasetReader {

    static final String SESSION_ID = "session_id";
    static final String USER_ID = "user_id";
    static final String ITEM_ID = "item_id";
    static final String TIMEFRAME = "timeframe";
    static final String EVENTDATE = "eventdate";
    static final String ANONYMOUS_USER = "NA";

    private static final long MILLIS_PER_DAY = 86_400_000L;

    /**
     * One valid line as written in the file.
     *
     * @param userId        null for {@code NA}
     * @param eventDayMillis the row's {@code eventdate} at UTC midnight, in epoch milliseconds
     */
    public record Row(long lineNumber, String sessionId, String userId, String itemId, long timeframe, long eventDayMillis) {
    }

    /** Every valid line in file order; malformed lines go to the returned report. */
    public ReadReport readRows(Path file, Consumer<Row> sink) throws IOException {
        Map<String, Long> dayMillisByDate = new HashMap<>();
        return DelimitedRows.read(file, ';', "';'-separated", (source, columns) -> {
            int[] index = Fields.requireColumns(source, columns, SESSION_ID, USER_ID, ITEM_ID, TIMEFRAME, EVENTDATE);
            return (lineNumber, fields) -> {
                String sessionId = fields[index[0]];
                String userId = fields[index[1]];
                String itemId = fields[index[2]];
                String timeframe = fields[index[3]];
                String date = fields[index[4]];
                String problem = Fields.integerProblem(SESSION_ID, sessionId);
                if (problem == null && !ANONYMOUS_USER.equals(userId)) {
                    problem = userId.isEmpty() ? USER_ID + " is empty"
                            : Fields.isUnsignedInteger(userId) ? null
                            : USER_ID + " is neither NA nor a non-negative integer: '" + userId + "'";
                }
                if (problem == null) {
                    problem = Fields.integerProblem(ITEM_ID, itemId);
                }
                if (problem == null) {
                    problem = Fields.integerProblem(TIMEFRAME, timeframe);
                }
                long dayMillis = 0;
                if (problem == null) {
                    Long cached = dayMillisByDate.get(date);
                    if (cached == null) {
                        cached = dayMillis(date);
                        if (cached != Fields.INVALID) {
                            dayMillisByDate.put(date, cached);
                        }
                    }
                    dayMillis = cached;
                    if (dayMillis == Fields.INVALID) {
                        problem = date.isEmpty() ? EVENTDATE + " is empty" : EVENTDATE + " is not a valid YYYY-MM-DD date: '" + date + "'";
                    }
                }
                if (problem != null) {
                    return problem;
                }
                sink.accept(new Row(lineNumber, sessionId, ANONYMOUS_USER.equals(userId) ? null : userId, itemId,
                        Long.parseLong(timeframe), dayMillis));
                return null;
            };
        });
    }

    @Override
    public SessionDataset read(Path file) throws IOException {
        Map<String, List<Row>> rowsBySession = new LinkedHashMap<>();
        Map<String, String> itemIds = new HashMap<>();
        ReadReport report = readRows(file, row -> rowsBySession.computeIfAbsent(row.sessionId(), id -> new ArrayList<>()).add(row));

        List<Session> sessions = new ArrayList<>(rowsBySession.size());
        for (Map.Entry<String, List<Row>> entry : rowsBySession.entrySet()) {
            List<Row> rows = entry.getValue();
            rows.sort(Comparator.comparingLong(Row::timeframe));
            long startDay = rows.get(0).eventDayMillis();
            String userId = null;
            List<String> items = new ArrayList<>(rows.size());
            long[] times = new long[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                Row row = rows.get(i);
                if (userId == null) {
                    userId = row.userId();
                }
                items.add(itemIds.computeIfAbsent(row.itemId(), id -> id));
                times[i] = startDay + row.timeframe();
            }
            sessions.add(new Session(entry.getKey(), userId, items, times, Collections.nCopies(rows.size(), EventType.VIEW)));
        }
        sessions.sort(Comparator.comparingLong(Session::startTime).thenComparingLong(s -> Long.parseLong(s.sessionId())));
        return new SessionDataset(sessions, report);
    }

    /** UTC midnight of a {@code YYYY-MM-DD} date in epoch milliseconds, or {@link Fields#INVALID}. */
    private static long dayMillis(String date) {
        if (date.length() != 10 || date.charAt(4) != '-' || date.charAt(7) != '-'
                || !Fields.isUnsignedInteger(date.substring(0, 4))
                || !Fields.isUnsignedInteger(date.substring(5, 7))
                || !Fields.isUnsignedInteger(date.substring(8, 10))) {
            return Fields.INVALID;
        }
        try {
            // Reached once per distinct valid-looking date (the caller caches), so the exception for
            // impossible dates such as 2016-02-30 stays off the per-line path.
            return LocalDate.of(Integer.parseInt(date.substring(0, 4)), Integer.parseInt(date.substring(5, 7)),
                    Integer.parseInt(date.substring(8, 10))).toEpochDay() * MILLIS_PER_DAY;
        } catch (DateTimeException e) {
            return Fields.INVALID;
        }
    }
}
