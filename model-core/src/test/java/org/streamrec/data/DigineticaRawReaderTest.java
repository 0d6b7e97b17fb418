package org.streamrec.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DigineticaRawReaderTest {

    private static final String HEADER = "session_id;user_id;item_id;timeframe;eventdate\n";

    @TempDir
    Path dir;

    private final DigineticaRawReader reader = new DigineticaRawReader();

    private static long day(String date) {
        return LocalDate.parse(date).toEpochDay() * 86_400_000L;
    }

    @Test
    void eventsAreOrderedByTimeframeStablyAndTimedFromTheSessionStartDay() throws IOException {
        Path file = TestFiles.write(dir, "views.csv", HEADER
                + "7;NA;300;5000;2016-03-21\n"     // after midnight: the row carries the next day
                + "7;NA;100;1000;2016-03-20\n"
                + "7;NA;200;3000;2016-03-20\n"
                + "7;NA;201;3000;2016-03-20");     // tie with the previous row; no trailing newline

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.report().clean()).isTrue();
        assertThat(dataset.report().linesRead()).isEqualTo(5);
        Session session = dataset.sessions().get(0);
        assertThat(session.itemIds()).containsExactly("100", "200", "201", "300");
        long start = day("2016-03-20");
        assertThat(session.timestamps()).containsExactly(start + 1000, start + 3000, start + 3000, start + 5000);
        assertThat(session.types()).containsOnly(EventType.VIEW);
    }

    @Test
    void sessionsAreOrderedByStartTimeThenNumericId() throws IOException {
        Path file = TestFiles.write(dir, "order.csv", HEADER
                + "1;NA;1;0;2016-05-09\n"
                + "10;NA;2;0;2016-01-03\n"
                + "9;NA;3;0;2016-01-03\n"
                + "2;NA;4;10;2016-01-03\n");

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.sessions()).extracting(Session::sessionId).containsExactly("9", "10", "2", "1");
    }

    @Test
    void naUserBecomesNullAndASessionTakesItsFirstKnownUser() throws IOException {
        Path file = TestFiles.write(dir, "users.csv", HEADER
                + "1;NA;1;0;2016-01-03\n"
                + "2;NA;1;0;2016-01-04\n"
                + "2;45;2;10;2016-01-04\n"
                + "2;46;3;20;2016-01-04\n");

        SessionDataset dataset = reader.read(file);
        List<String> rowUsers = new ArrayList<>();
        reader.readRows(file, row -> rowUsers.add(row.userId()));

        assertThat(dataset.sessions()).extracting(Session::userId).containsExactly(null, "45");
        assertThat(rowUsers).containsExactly(null, null, "45", "46");
    }

    @Test
    void everyMalformedLineIsCountedWithItsLineNumberAndReason() throws IOException {
        Path file = TestFiles.write(dir, "bad.csv", HEADER  // line 1
                + "1;NA;10;0;2016-01-03\n"                  // 2 ok
                + "1;NA;11;5\n"                             // 3 too few fields
                + "1;NA;12;5;2016-02-30\n"                  // 4 impossible date
                + "1;NA;13;5;2016/01/03\n"                  // 5 wrong date layout
                + "1;anon;14;5;2016-01-03\n"                // 6 user neither NA nor integer
                + "1;NA;15;;2016-01-03\n"                   // 7 empty timeframe
                + "1;NA;16;-5;2016-01-03\n"                 // 8 negative timeframe
                + "s1;NA;17;5;2016-01-03\n"                 // 9 non-numeric session
                + "1;NA;18;5;\n"                            // 10 empty date
                + "\n"                                      // 11 empty line
                + "1;NA;19;7;2016-01-03");                  // 12 ok, no newline

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.report().malformedCount()).isEqualTo(9);
        assertThat(dataset.report().malformed()).extracting(MalformedLine::lineNumber, MalformedLine::reason)
                .containsExactly(
                        tuple(3L, "expected 5 ';'-separated fields as in the header, found 4"),
                        tuple(4L, "eventdate is not a valid YYYY-MM-DD date: '2016-02-30'"),
                        tuple(5L, "eventdate is not a valid YYYY-MM-DD date: '2016/01/03'"),
                        tuple(6L, "user_id is neither NA nor a non-negative integer: 'anon'"),
                        tuple(7L, "timeframe is empty"),
                        tuple(8L, "timeframe is not a non-negative integer of at most 18 digits: '-5'"),
                        tuple(9L, "session_id is not a non-negative integer of at most 18 digits: 's1'"),
                        tuple(10L, "eventdate is empty"),
                        tuple(11L, "empty line"));
        assertThat(dataset.report().linesRead()).isEqualTo(12);
        assertThat(dataset.report().eventsRead()).isEqualTo(2);
        assertThat(dataset.sessions().get(0).itemIds()).containsExactly("10", "19");
    }
}
