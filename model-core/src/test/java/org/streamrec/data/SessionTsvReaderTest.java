package org.streamrec.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionTsvReaderTest {

    @TempDir
    Path dir;

    private final SessionTsvReader seconds = SessionTsvReader.unixSecondsClicks();
    private final SessionTsvReader ordinal = SessionTsvReader.ordinalViews();

    @Test
    void everyMalformedLineIsCountedWithItsLineNumberAndReason() throws IOException {
        Path file = TestFiles.write(dir, "bad.tsv", String.join("\n",
                "SessionId\tItemId\tTime",     // 1
                "1\t10\t100.5",                // 2 ok
                "1\t11",                       // 3 too few fields
                "1\t12\t101\textra",           // 4 too many fields
                "",                            // 5 empty line
                "x1\t13\t102",                 // 6 non-numeric session
                "1\t\t103",                    // 7 empty item
                "1\t14\tabc",                  // 8 non-numeric time
                "1\t15\t-104",                 // 9 negative time
                "1\t16\t1.5e9",                // 10 exponent
                "1\t17\t",                     // 11 empty time
                "\t18\t105",                   // 12 empty session
                "1\t19\t106",                  // 13 ok
                "1234567890123456789\t20\t1"   // 14 id too long for the checked range
        ) + "\n");

        SessionDataset dataset = seconds.read(file);

        ReadReport report = dataset.report();
        assertThat(report.linesRead()).isEqualTo(14);
        assertThat(report.eventsRead()).isEqualTo(2);
        assertThat(report.malformedCount()).isEqualTo(11);
        assertThat(report.clean()).isFalse();
        assertThat(report.malformed()).extracting(MalformedLine::lineNumber, MalformedLine::reason, MalformedLine::content)
                .containsExactly(
                        tuple(3L, "expected 3 tab-separated fields as in the header, found 2", "1\t11"),
                        tuple(4L, "expected 3 tab-separated fields as in the header, found 4", "1\t12\t101\textra"),
                        tuple(5L, "empty line", ""),
                        tuple(6L, "SessionId is not a non-negative integer of at most 18 digits: 'x1'", "x1\t13\t102"),
                        tuple(7L, "ItemId is empty", "1\t\t103"),
                        tuple(8L, "Time is not Unix seconds of the form digits[.digits]: 'abc'", "1\t14\tabc"),
                        tuple(9L, "Time is not Unix seconds of the form digits[.digits]: '-104'", "1\t15\t-104"),
                        tuple(10L, "Time is not Unix seconds of the form digits[.digits]: '1.5e9'", "1\t16\t1.5e9"),
                        tuple(11L, "Time is empty", "1\t17\t"),
                        tuple(12L, "SessionId is empty", "\t18\t105"),
                        tuple(14L, "SessionId is not a non-negative integer of at most 18 digits: '1234567890123456789'",
                                "1234567890123456789\t20\t1"));
        assertThat(dataset.sessions()).singleElement().satisfies(s -> {
            assertThat(s.itemIds()).containsExactly("10", "19");
            assertThat(s.timestamps()).containsExactly(100_500L, 106_000L);
        });
    }

    @Test
    void ordinalTimeMustBeAnInteger() throws IOException {
        Path file = TestFiles.write(dir, "ordinal.tsv", "SessionId\tItemId\tTime\n1\t5\t0\n1\t6\t1.5\n1\t7\t2\n");

        SessionDataset dataset = ordinal.read(file);

        assertThat(dataset.report().malformed()).extracting(MalformedLine::lineNumber, MalformedLine::reason)
                .containsExactly(tuple(3L, "Time is not a non-negative integer event index: '1.5'"));
        assertThat(dataset.sessions().get(0).timestamps()).containsExactly(0L, 2L);
    }

    @Test
    void unixSecondsBecomeExactMilliseconds() throws IOException {
        Path file = TestFiles.write(dir, "times.tsv", String.join("\n",
                "SessionId\tItemId\tTime",
                "1\t1\t1396437466.94",
                "1\t2\t1396437466",
                "1\t3\t1396437466.1",
                "1\t4\t1396437466.1234",
                "1\t5\t1396437466.1235",
                "1\t6\t0.001"));

        long[] times = seconds.read(file).sessions().get(0).timestamps();

        assertThat(times).containsExactly(1_396_437_466_940L, 1_396_437_466_000L, 1_396_437_466_100L,
                1_396_437_466_123L, 1_396_437_466_124L, 1L);
    }

    @Test
    void columnsAreFoundByHeaderNameInAnyOrderAndExtraColumnsIgnored() throws IOException {
        Path file = TestFiles.write(dir, "reordered.tsv",
                "Time\tPrice\titemid\tSessionId\n5\t9.99\t42\t7\n6\t\t43\t7\n7\t1\t44\t8\n");

        SessionDataset dataset = ordinal.read(file);

        assertThat(dataset.report().clean()).isTrue();
        assertThat(dataset.sessions()).extracting(Session::sessionId).containsExactly("7", "8");
        assertThat(dataset.sessions().get(0).itemIds()).containsExactly("42", "43");
        assertThat(dataset.sessions().get(0).timestamps()).containsExactly(5L, 6L);
    }

    @Test
    void headerWithoutARequiredColumnIsRejectedAsAWhole() throws IOException {
        Path file = TestFiles.write(dir, "noitem.tsv", "SessionId\tTime\n1\t5\n");

        assertThatThrownBy(() -> ordinal.read(file))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("SessionId, ItemId, Time")
                .hasMessageContaining("[SessionId, Time]");
    }

    @Test
    void gzipIsRecognisedByItsMagicBytesNotItsName() throws IOException {
        String content = "SessionId\tItemId\tTime\n1\t10\t0\n1\t11\t1\n2\t12\t2\n";
        Path gzipWithPlainName = TestFiles.writeGzip(dir, "sessions.txt", content);
        Path plainWithGzipName = TestFiles.write(dir, "sessions.tsv.gz", content);

        SessionDataset fromGzip = ordinal.read(gzipWithPlainName);
        SessionDataset fromPlain = ordinal.read(plainWithGzipName);

        assertThat(fromGzip.report().clean()).isTrue();
        assertThat(fromGzip.eventCount()).isEqualTo(3);
        assertThat(fromGzip.sessions()).usingRecursiveFieldByFieldElementComparator().isEqualTo(fromPlain.sessions());
    }

    @Test
    void lastLineWithoutNewlineAndWindowsLineEndingsAreRead() throws IOException {
        Path noNewline = TestFiles.write(dir, "nonl.tsv", "SessionId\tItemId\tTime\n1\t10\t0\n1\t11\t1");
        Path crlf = TestFiles.write(dir, "crlf.tsv", "SessionId\tItemId\tTime\r\n1\t10\t0\r\n1\t11\t1\r\n");

        for (Path file : new Path[] {noNewline, crlf}) {
            SessionDataset dataset = ordinal.read(file);
            assertThat(dataset.report().clean()).isTrue();
            assertThat(dataset.report().linesRead()).isEqualTo(3);
            assertThat(dataset.sessions().get(0).itemIds()).containsExactly("10", "11");
        }
    }

    @Test
    void emptyAndHeaderOnlyFilesGiveEmptyCleanDatasets() throws IOException {
        SessionDataset empty = ordinal.read(TestFiles.write(dir, "empty.tsv", ""));
        SessionDataset headerOnly = ordinal.read(TestFiles.write(dir, "header.tsv", "SessionId\tItemId\tTime\n"));

        assertThat(empty.sessions()).isEmpty();
        assertThat(empty.report()).isEqualTo(new ReadReport(empty.report().source(), 0, 0, 0, List.of()));
        assertThat(headerOnly.sessions()).isEmpty();
        assertThat(headerOnly.report().linesRead()).isEqualTo(1);
        assertThat(headerOnly.report().clean()).isTrue();
    }

    @Test
    void scatteredRowsAreGroupedInFirstAppearanceOrderKeepingRowOrder() throws IOException {
        Path file = TestFiles.write(dir, "scattered.tsv",
                "SessionId\tItemId\tTime\n5\t1\t0\n3\t2\t1\n5\t3\t2\n9\t4\t3\n3\t5\t4\n5\t6\t5\n");

        SessionDataset dataset = ordinal.read(file);

        assertThat(dataset.sessions()).extracting(Session::sessionId).containsExactly("5", "3", "9");
        assertThat(dataset.sessions()).extracting(Session::itemIds)
                .containsExactly(List.of("1", "3", "6"), List.of("2", "5"), List.of("4"));
        assertThat(dataset.sessions().get(0).timestamps()).containsExactly(0L, 2L, 5L);
    }

    @Test
    void eventTypeIsAReaderOptionDefaultingToView() throws IOException {
        Path file = TestFiles.write(dir, "types.tsv", "SessionId\tItemId\tTime\n1\t10\t0\n");

        assertThat(new SessionTsvReader(SessionTsvReader.TimeScale.ORDINAL).read(file).sessions().get(0).types())
                .containsExactly(EventType.VIEW);
        assertThat(new SessionTsvReader(SessionTsvReader.TimeScale.ORDINAL, EventType.PURCHASE).read(file).sessions().get(0).types())
                .containsExactly(EventType.PURCHASE);
        assertThat(seconds.read(file).sessions().get(0).types()).containsExactly(EventType.CLICK);
    }

    @Test
    void countIsExactWhenMoreLinesAreMalformedThanTheReportKeeps() throws IOException {
        StringBuilder content = new StringBuilder("SessionId\tItemId\tTime\n");
        for (int i = 0; i < 2500; i++) {
            content.append(i % 2 == 0 ? "1\tbad\t0\n" : "1\t7\t0\n");
        }
        content.append("2\t").append("9".repeat(5000)).append("x\t0\n");

        ReadReport report = ordinal.read(TestFiles.write(dir, "many.tsv", content.toString())).report();

        assertThat(report.malformedCount()).isEqualTo(1251);
        assertThat(report.eventsRead()).isEqualTo(1250);
        assertThat(report.malformed()).hasSize(ReadReport.MAX_KEPT);
        assertThat(report.malformed().get(0).lineNumber()).isEqualTo(2);
        assertThat(report.malformed().get(999).lineNumber()).isEqualTo(2 + 2 * 999);
    }

    @Test
    void overlongMalformedLinesAreKeptShortened() throws IOException {
        String longLine = "1\t" + "9".repeat(5000) + "x\t0";
        ReadReport report = ordinal.read(TestFiles.write(dir, "long.tsv", "SessionId\tItemId\tTime\n" + longLine + "\n")).report();

        assertThat(report.malformed()).singleElement().satisfies(m -> {
            assertThat(m.lineNumber()).isEqualTo(2);
            assertThat(m.content()).startsWith(longLine.substring(0, MalformedLines.MAX_KEPT_CHARS))
                    .endsWith("... (" + longLine.length() + " chars)");
        });
    }
}
