package org.streamrec.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reads every file in shared/data and checks the counts and facts their READMEs state. */
class RealDatasetsTest {

    private static Path data;

    @BeforeAll
    static void locateData() {
        String dir = System.getProperty("streamrec.data.dir");
        assertThat(dir).as("system property streamrec.data.dir (set by Surefire)").isNotNull();
        data = Path.of(dir);
        assertThat(data.resolve("README.md")).as("shared data folder").exists();
    }

    @Test
    void digineticaTrainAndTestMatchTheSrGnnSplit() throws IOException {
        Path trainFile = data.resolve("diginetica/diginetica_train.tsv.gz");
        Path testFile = data.resolve("diginetica/diginetica_test.tsv.gz");
        assertThat(DatasetReaders.detect(trainFile)).isEqualTo(DatasetFormat.SESSION_TSV_ORDINAL);

        long started = System.nanoTime();
        SessionDataset train = DatasetReaders.read(trainFile);
        System.out.printf("diginetica train read in %d ms%n", (System.nanoTime() - started) / 1_000_000);
        SessionDataset test = DatasetReaders.read(testFile);

        assertClean(train, 906_140);
        assertThat(train.sessionCount()).isEqualTo(186_670);
        assertThat(train.distinctItemCount()).isEqualTo(43_097);
        assertClean(test, 76_821);
        assertThat(test.sessionCount()).isEqualTo(15_963);
        assertThat(test.distinctItemCount()).isEqualTo(21_131);
        assertThat(predictions(test)).isEqualTo(60_858);
        assertThat(itemsMissingFrom(test, train)).isEmpty();

        // Time is one increasing index over train then test (0..982,960), kept as-is.
        assertThat(minMaxTime(train)).containsExactly(0L, 906_139L);
        assertThat(minMaxTime(test)).containsExactly(906_140L, 982_960L);
        assertStrictlyIncreasingInFileOrder(train);
        assertThat(train.sessions().get(0).sessionId()).isEqualTo("1");
        assertThat(test.sessions().get(0).sessionId()).isEqualTo("186671");
        assertThat(train.sessions().get(0).types()).containsOnly(EventType.VIEW);
        assertThat(maxLength(train)).isEqualTo(70);
        assertThat(maxLength(test)).isEqualTo(41);
        // README: 9.1% of test targets repeat the previous item; only right if order within sessions is kept.
        assertThat(shareOfTargetsEqualToPrevious(test)).isBetween(0.0905, 0.0915);
    }

    @Test
    void rsc15HundredKFilesMatchTheirReadme() throws IOException {
        Path trainFull = data.resolve("rsc15-100k/yoochoose-clicks-100k_train_full.txt");
        assertThat(DatasetReaders.detect(trainFull)).isEqualTo(DatasetFormat.SESSION_TSV_UNIX_SECONDS);

        SessionDataset full = DatasetReaders.read(trainFull);
        SessionDataset test = DatasetReaders.read(data.resolve("rsc15-100k/yoochoose-clicks-100k_test.txt"));
        SessionDataset tr = DatasetReaders.read(data.resolve("rsc15-100k/yoochoose-clicks-100k_train_tr.txt"));
        SessionDataset valid = DatasetReaders.read(data.resolve("rsc15-100k/yoochoose-clicks-100k_train_valid.txt"));

        assertClean(full, 70_278);
        assertThat(full.sessionCount()).isEqualTo(17_794);
        assertThat(full.distinctItemCount()).isEqualTo(2_933);
        assertClean(test, 13_568);
        assertThat(test.sessionCount()).isEqualTo(3_416);
        assertThat(test.distinctItemCount()).isEqualTo(1_771);
        assertThat(predictions(test)).isEqualTo(10_152);
        assertClean(tr, 53_254);
        assertThat(tr.sessionCount()).isEqualTo(13_629);
        assertThat(tr.distinctItemCount()).isEqualTo(2_873);
        assertClean(valid, 16_539);
        assertThat(valid.sessionCount()).isEqualTo(4_084);
        assertThat(valid.distinctItemCount()).isEqualTo(2_029);
        assertThat(itemsMissingFrom(test, full)).isEmpty();
        assertThat(itemsMissingFrom(valid, tr)).isEmpty();

        // First data line "3<TAB>214716935<TAB>1396437466.94": seconds with a fraction become exact milliseconds.
        Session first = full.sessions().get(0);
        assertThat(first.sessionId()).isEqualTo("3");
        assertThat(first.itemIds().get(0)).isEqualTo("214716935");
        assertThat(first.timestamps()[0]).isEqualTo(1_396_437_466_940L);
        assertThat(first.types()).containsOnly(EventType.CLICK);
        // README time spans, to the minute (UTC).
        assertThat(minuteSpan(full)).containsExactly("2014-04-01T01:02:00Z", "2014-04-07T00:43:00Z");
        assertThat(minuteSpan(test)).containsExactly("2014-04-07T00:49:00Z", "2014-04-08T00:50:00Z");
        for (Session s : full.sessions()) {
            assertNonDecreasing(s);
        }
        assertThat(shareOfTargetsEqualToPrevious(test)).isBetween(0.2585, 0.2595);
    }

    @Test
    void digineticaRawSampleMatchesItsReadme() throws IOException {
        Path file = data.resolve("diginetica-sample/sample_train-item-views.csv");
        assertThat(DatasetReaders.detect(file)).isEqualTo(DatasetFormat.DIGINETICA_RAW);
        SessionDataset sample = DatasetReaders.read(file);

        assertClean(sample, 12_391);
        assertThat(sample.sessionCount()).isEqualTo(2_986);
        assertThat(sample.distinctItemCount()).isEqualTo(7_139);
        assertThat(sample.sessions().stream().filter(s -> s.length() == 1).count()).isEqualTo(933);
        // The file's last line has no newline; the last line's row must still be read.
        assertThat(sample.report().linesRead()).isEqualTo(12_392);
        String lastLine = lastLine(file);
        String[] last = lastLine.split(";");
        Session lastSession = sessionById(sample, last[0]);
        assertThat(lastSession.itemIds()).contains(last[2]);

        AtomicLong anonymousRows = new AtomicLong();
        Set<String> knownUsers = new HashSet<>();
        ReadReport rows = new DigineticaRawReader().readRows(file, row -> {
            if (row.userId() == null) {
                anonymousRows.incrementAndGet();
            } else {
                knownUsers.add(row.userId());
            }
        });
        assertThat(rows.eventsRead()).isEqualTo(12_391);
        assertThat(anonymousRows.get()).isEqualTo(7_681);
        assertThat(knownUsers).hasSize(1_270);

        long previousStart = Long.MIN_VALUE;
        long earliest = Long.MAX_VALUE;
        long latest = Long.MIN_VALUE;
        for (Session s : sample.sessions()) {
            assertNonDecreasing(s);
            assertThat(s.startTime()).isGreaterThanOrEqualTo(previousStart);
            previousStart = s.startTime();
            earliest = Math.min(earliest, s.startTime());
            latest = Math.max(latest, s.startTime());
        }
        assertThat(LocalDate.ofInstant(Instant.ofEpochMilli(earliest), ZoneOffset.UTC)).isEqualTo(LocalDate.of(2016, 1, 3));
        assertThat(LocalDate.ofInstant(Instant.ofEpochMilli(latest), ZoneOffset.UTC)).isIn(LocalDate.of(2016, 5, 31), LocalDate.of(2016, 6, 1));

        // Session 1, checked against a naive parse: it starts at midnight of its date plus its smallest timeframe,
        // with the item of that row, although that row is not the session's first line in the file.
        List<String[]> sessionOneRows = Files.readAllLines(file).stream().skip(1)
                .map(line -> line.split(";")).filter(f -> f[0].equals("1")).toList();
        String[] earliestRow = sessionOneRows.stream().min(Comparator.comparingLong(f -> Long.parseLong(f[3]))).orElseThrow();
        assertThat(earliestRow).isNotEqualTo(sessionOneRows.get(0));
        Session one = sessionById(sample, "1");
        assertThat(one.userId()).isNull();
        assertThat(one.length()).isEqualTo(sessionOneRows.size());
        assertThat(one.itemIds().get(0)).isEqualTo(earliestRow[2]);
        assertThat(one.timestamps()[0]).isEqualTo(LocalDate.parse(earliestRow[4]).toEpochDay() * 86_400_000L + Long.parseLong(earliestRow[3]));
    }

    @Test
    void ottoSampleMatchesItsReadme() throws IOException {
        Path file = data.resolve("otto-sample/otto_train_sample.jsonl");
        assertThat(DatasetReaders.detect(file)).isEqualTo(DatasetFormat.OTTO_JSONL);
        SessionDataset otto = DatasetReaders.read(file);

        assertClean(otto, 862);
        assertThat(otto.report().linesRead()).isEqualTo(20);
        assertThat(otto.sessionCount()).isEqualTo(20);
        assertThat(otto.distinctItemCount()).isEqualTo(510);
        Map<EventType, Long> byType = new HashMap<>();
        for (Session s : otto.sessions()) {
            s.types().forEach(t -> byType.merge(t, 1L, Long::sum));
            assertNonDecreasing(s);
        }
        assertThat(byType).containsOnly(Map.entry(EventType.CLICK, 800L), Map.entry(EventType.ADD_TO_CART, 52L),
                Map.entry(EventType.PURCHASE, 10L));
        assertThat(otto.sessions().get(0).sessionId()).isEqualTo("0");
        assertThat(otto.sessions().get(19).sessionId()).isEqualTo("12899778");
        assertThat(otto.sessions().get(0).itemIds().get(0)).isEqualTo("1517085");
        assertThat(otto.sessions().get(0).timestamps()[0]).isEqualTo(1_659_304_800_025L);
        long[] span = minMaxTime(otto);
        assertThat(Instant.ofEpochMilli(span[0]).getEpochSecond()).isEqualTo(Instant.parse("2022-07-31T22:00:00Z").getEpochSecond());
        assertThat(Instant.ofEpochMilli(span[1]).getEpochSecond()).isEqualTo(Instant.parse("2022-08-28T21:59:57Z").getEpochSecond());
    }

    @Test
    void movieLensRatingsBecomeOneTimeOrderedSequencePerUser() throws IOException {
        Path file = data.resolve("movielens-latest-small-2016/ratings.csv");
        assertThat(DatasetReaders.detect(file)).isEqualTo(DatasetFormat.MOVIELENS_RATINGS);
        SessionDataset ratings = DatasetReaders.read(file);

        assertClean(ratings, 100_004);
        assertThat(ratings.sessionCount()).isEqualTo(671);
        assertThat(ratings.distinctItemCount()).isEqualTo(9_066);

        long tiesWithPrevious = 0;
        long outOfOrder = 0;
        long tiesNotByMovieId = 0;
        int minLength = Integer.MAX_VALUE;
        int maxLength = 0;
        for (Session user : ratings.sessions()) {
            assertThat(user.userId()).isEqualTo(user.sessionId());
            assertThat(user.types()).containsOnly(EventType.VIEW);
            minLength = Math.min(minLength, user.length());
            maxLength = Math.max(maxLength, user.length());
            long[] t = user.timestamps();
            for (int i = 1; i < t.length; i++) {
                if (t[i] < t[i - 1]) {
                    outOfOrder++;
                }
                if (t[i] == t[i - 1]) {
                    tiesWithPrevious++;
                    if (Long.parseLong(user.itemIds().get(i)) <= Long.parseLong(user.itemIds().get(i - 1))) {
                        tiesNotByMovieId++;
                    }
                }
            }
        }
        assertThat(outOfOrder).isZero();
        assertThat(tiesNotByMovieId).isZero();
        assertThat(tiesWithPrevious).isEqualTo(21_845);
        assertThat(minLength).isEqualTo(20);
        assertThat(maxLength).isEqualTo(2_391);
        assertThat(minMaxTime(ratings)).containsExactly(
                Instant.parse("1995-01-09T11:46:49Z").toEpochMilli(), Instant.parse("2016-10-16T17:57:24Z").toEpochMilli());

        // Every (user, movie, time) of the file, split naively here, is in the user's sequence exactly once.
        Map<String, List<String>> expected = new HashMap<>();
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            expected.computeIfAbsent(f[0], u -> new ArrayList<>()).add(f[1] + "@" + Long.parseLong(f[3]) * 1000);
        }
        for (Session user : ratings.sessions()) {
            List<String> actual = new ArrayList<>();
            for (int i = 0; i < user.length(); i++) {
                actual.add(user.itemIds().get(i) + "@" + user.timestamps()[i]);
            }
            assertThat(actual).containsExactlyInAnyOrderElementsOf(expected.get(user.sessionId()));
        }
    }

    private static void assertClean(SessionDataset dataset, long events) {
        assertThat(dataset.report().malformed()).as("malformed lines of %s", dataset.report().source()).isEmpty();
        assertThat(dataset.report().malformedCount()).isZero();
        assertThat(dataset.report().eventsRead()).isEqualTo(events);
        assertThat(dataset.eventCount()).isEqualTo(events);
    }

    private static long predictions(SessionDataset dataset) {
        return dataset.sessions().stream().mapToLong(s -> s.length() - 1).sum();
    }

    private static Set<String> itemsOf(SessionDataset dataset) {
        Set<String> items = new HashSet<>();
        dataset.sessions().forEach(s -> items.addAll(s.itemIds()));
        return items;
    }

    /** Items of {@code dataset} absent from {@code reference}; plain set algebra, AssertJ's isSubsetOf is quadratic. */
    private static Set<String> itemsMissingFrom(SessionDataset dataset, SessionDataset reference) {
        Set<String> missing = itemsOf(dataset);
        missing.removeAll(itemsOf(reference));
        return missing;
    }

    private static int maxLength(SessionDataset dataset) {
        return dataset.sessions().stream().mapToInt(Session::length).max().orElse(0);
    }

    private static long[] minMaxTime(SessionDataset dataset) {
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (Session s : dataset.sessions()) {
            for (long t : s.timestamps()) {
                min = Math.min(min, t);
                max = Math.max(max, t);
            }
        }
        return new long[] {min, max};
    }

    private static List<String> minuteSpan(SessionDataset dataset) {
        long[] span = minMaxTime(dataset);
        return List.of(Instant.ofEpochMilli(span[0] / 60_000 * 60_000).toString(), Instant.ofEpochMilli(span[1] / 60_000 * 60_000).toString());
    }

    /** The ordinal Time grows by one per row over the file, so file order of sessions and rows is intact. */
    private static void assertStrictlyIncreasingInFileOrder(SessionDataset dataset) {
        long expected = dataset.sessions().get(0).startTime();
        long gaps = 0;
        for (Session s : dataset.sessions()) {
            for (long t : s.timestamps()) {
                if (t != expected) {
                    gaps++;
                }
                expected = t + 1;
            }
        }
        assertThat(gaps).as("rows whose Time is not the previous row's + 1").isZero();
    }

    private static void assertNonDecreasing(Session s) {
        long[] t = s.timestamps();
        for (int i = 1; i < t.length; i++) {
            if (t[i] < t[i - 1]) {
                throw new AssertionError("session " + s.sessionId() + ": time goes back at event " + i);
            }
        }
    }

    private static double shareOfTargetsEqualToPrevious(SessionDataset dataset) {
        long repeats = 0;
        long targets = 0;
        for (Session s : dataset.sessions()) {
            for (int i = 1; i < s.length(); i++) {
                targets++;
                if (s.itemIds().get(i).equals(s.itemIds().get(i - 1))) {
                    repeats++;
                }
            }
        }
        return (double) repeats / targets;
    }

    private static Session sessionById(SessionDataset dataset, String id) {
        return dataset.sessions().stream().filter(s -> s.sessionId().equals(id)).findFirst().orElseThrow();
    }

    private static String lastLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.get(lines.size() - 1);
    }
}
