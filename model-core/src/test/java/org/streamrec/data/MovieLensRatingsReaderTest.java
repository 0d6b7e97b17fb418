package org.streamrec.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MovieLensRatingsReaderTest {

    @TempDir
    Path dir;

    private final MovieLensRatingsReader reader = new MovieLensRatingsReader();

    @Test
    void eachUserIsOneSequenceByTimestampThenNumericMovieId() throws IOException {
        Path file = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n"
                + "1,9,4.0,200\n"
                + "1,10,3.5,200\n"     // tie: movie 9 before 10 numerically, although "10" < "9" as text
                + "1,31,2.5,100\n"
                + "2,5,5.0,50\n");

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.report().clean()).isTrue();
        assertThat(dataset.sessions()).extracting(Session::sessionId, Session::userId).containsExactly(tuple("1", "1"), tuple("2", "2"));
        Session user = dataset.sessions().get(0);
        assertThat(user.itemIds()).containsExactly("31", "9", "10");
        assertThat(user.timestamps()).containsExactly(100_000L, 200_000L, 200_000L);
        assertThat(user.types()).containsOnly(EventType.VIEW);
    }

    @Test
    void columnsAreFoundByName() throws IOException {
        Path file = TestFiles.write(dir, "ratings.csv", "timestamp,rating,movieId,userId\n300,1.0,7,3\n");

        Session user = reader.read(file).sessions().get(0);

        assertThat(user.sessionId()).isEqualTo("3");
        assertThat(user.itemIds()).containsExactly("7");
        assertThat(user.timestamps()).containsExactly(300_000L);
    }

    @Test
    void everyMalformedLineIsCountedWithItsLineNumberAndReason() throws IOException {
        Path file = TestFiles.write(dir, "ratings.csv", "userId,movieId,rating,timestamp\n"
                + "1,31,2.5,1260759144\n"     // 2 ok
                + "1,32,good,1260759145\n"    // 3 rating not a number
                + "1,33,2.5\n"                // 4 too few fields
                + "u,34,2.5,1260759146\n"     // 5 non-numeric user
                + "1,35,2.5,12607591.5\n"     // 6 fractional timestamp
                + "1,\"36\",2.5,1260759147\n" // 7 quoted id
                + "1,37,2.5,1260759148");     // 8 ok, no newline

        SessionDataset dataset = reader.read(file);

        assertThat(dataset.report().malformed()).extracting(MalformedLine::lineNumber, MalformedLine::reason).containsExactly(
                tuple(3L, "rating is not a non-negative decimal number: 'good'"),
                tuple(4L, "expected 4 comma-separated fields as in the header, found 3"),
                tuple(5L, "userId is not a non-negative integer of at most 18 digits: 'u'"),
                tuple(6L, "timestamp is not a non-negative integer of at most 18 digits: '12607591.5'"),
                tuple(7L, "movieId is not a non-negative integer of at most 18 digits: '\"36\"'"));
        assertThat(dataset.report().linesRead()).isEqualTo(8);
        assertThat(dataset.sessions().get(0).itemIds()).containsExactly("31", "37");
    }
}
