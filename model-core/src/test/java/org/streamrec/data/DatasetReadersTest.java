package org.streamrec.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetReadersTest {

    @TempDir
    Path dir;

    @Test
    void formatIsDetectedFromTheContent() throws IOException {
        assertThat(DatasetReaders.detect(TestFiles.write(dir, "a.csv", "SessionId\tItemId\tTime\n3\t214716935\t1396437466.94\n")))
                .isEqualTo(DatasetFormat.SESSION_TSV_UNIX_SECONDS);
        assertThat(DatasetReaders.detect(TestFiles.write(dir, "b.csv", "Time\tSessionId\tItemId\n1396437466\t3\t214716935\n")))
                .isEqualTo(DatasetFormat.SESSION_TSV_UNIX_SECONDS);
        assertThat(DatasetReaders.detect(TestFiles.writeGzip(dir, "c.json", "SessionId\tItemId\tTime\n1\t1\t0\n1\t2\t1\n")))
                .isEqualTo(DatasetFormat.SESSION_TSV_ORDINAL);
        assertThat(DatasetReaders.detect(TestFiles.write(dir, "d.tsv", "session_id;user_id;item_id;timeframe;eventdate\n1;NA;5;0;2016-01-03")))
                .isEqualTo(DatasetFormat.DIGINETICA_RAW);
        assertThat(DatasetReaders.detect(TestFiles.write(dir, "e.txt", "\uFEFFuserId,movieId,rating,timestamp\n1,31,2.5,1260759144\n")))
                .isEqualTo(DatasetFormat.MOVIELENS_RATINGS);
        assertThat(DatasetReaders.detect(TestFiles.write(dir, "f.csv", "{\"session\":1,\"events\":[]}\n")))
                .isEqualTo(DatasetFormat.OTTO_JSONL);
    }

    @Test
    void sessionTsvTimeScaleIsJudgedFromTheFirstValidDataRow() throws IOException {
        Path file = TestFiles.write(dir, "probe.tsv", "SessionId\tItemId\tTime\nbroken line\n1\t1\t1396437466.5\n");

        assertThat(DatasetReaders.detect(file)).isEqualTo(DatasetFormat.SESSION_TSV_UNIX_SECONDS);
        SessionDataset dataset = DatasetReaders.read(file);
        assertThat(dataset.sessions().get(0).timestamps()).containsExactly(1_396_437_466_500L);
        assertThat(dataset.sessions().get(0).types()).containsExactly(EventType.CLICK);
        assertThat(dataset.report().malformedCount()).isEqualTo(1);
    }

    @Test
    void anExplicitFormatOverridesDetection() throws IOException {
        Path file = TestFiles.write(dir, "explicit.tsv", "SessionId\tItemId\tTime\n1\t1\t5\n1\t2\t6\n");

        SessionDataset asSeconds = DatasetReaders.read(file, DatasetFormat.SESSION_TSV_UNIX_SECONDS);

        assertThat(asSeconds.sessions().get(0).timestamps()).containsExactly(5_000L, 6_000L);
        assertThat(DatasetReaders.read(file).sessions().get(0).timestamps()).containsExactly(5L, 6L);
    }

    @Test
    void headerOnlySessionFileIsAnEmptyDataset() throws IOException {
        Path file = TestFiles.write(dir, "header.tsv", "SessionId\tItemId\tTime\n");

        SessionDataset dataset = DatasetReaders.read(file);

        assertThat(dataset.sessionCount()).isZero();
        assertThat(dataset.report().linesRead()).isEqualTo(1);
        assertThat(dataset.report().clean()).isTrue();
    }

    @Test
    void unknownFormatFailsWithTheFirstLineAndTheKnownFormats() throws IOException {
        Path file = TestFiles.write(dir, "unknown.csv", "user,item,when\n1,2,3\n");

        assertThatThrownBy(() -> DatasetReaders.read(file))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("unknown dataset format")
                .hasMessageContaining("'user,item,when'")
                .hasMessageContaining("SessionId, ItemId, Time")
                .hasMessageContaining("OTTO_JSONL");
    }

    @Test
    void emptyFileCannotBeDetected() throws IOException {
        Path file = TestFiles.write(dir, "empty", "");

        assertThatThrownBy(() -> DatasetReaders.read(file))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("the file is empty");
        assertThat(DatasetReaders.read(file, DatasetFormat.OTTO_JSONL).sessionCount()).isZero();
    }
}
