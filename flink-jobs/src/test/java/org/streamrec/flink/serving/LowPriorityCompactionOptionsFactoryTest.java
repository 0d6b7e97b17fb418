package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * A real RocksDB instance opened with the factory's options: after a compaction, the threads of RocksDB's compaction
 * pool ({@code rocksdb:low}) run at nice 19 and its flush pool ({@code rocksdb:high}) keeps the JVM's priority. Read
 * from {@code /proc/self/task}, i.e. what the Linux scheduler sees.
 */
class LowPriorityCompactionOptionsFactoryTest {

    @Test
    void compactionThreadsRunAtTheLowestPriorityAndFlushThreadsDoNot(@TempDir Path dir) throws Exception {
        RocksDB.loadLibrary();
        List<AutoCloseable> handles = new ArrayList<>();
        try (DBOptions dbOptions = new LowPriorityCompactionOptionsFactory()
                     .createDBOptions(new DBOptions().setCreateIfMissing(true), handles);
             ColumnFamilyOptions columnOptions = new ColumnFamilyOptions();
             Options options = new Options(dbOptions, columnOptions);
             FlushOptions waitForFlush = new FlushOptions().setWaitForFlush(true);
             RocksDB db = RocksDB.open(options, dir.toString())) {
            for (int file = 0; file < 3; file++) {
                for (int i = 0; i < 1_000; i++) {
                    db.put(("key-" + i).getBytes(StandardCharsets.UTF_8), ("value-" + file).getBytes(StandardCharsets.UTF_8));
                }
                db.flush(waitForFlush);
            }
            // A manual compaction runs on the compaction pool, whose threads take the pool's priority when they work.
            db.compactRange();
            assertThat(db.get("key-7".getBytes(StandardCharsets.UTF_8))).asString(StandardCharsets.UTF_8).isEqualTo("value-2");

            assertThat(niceOfThreads("rocksdb:low")).isNotEmpty().allMatch(nice -> nice == 19);
            assertThat(niceOfThreads("rocksdb:high")).isNotEmpty().allMatch(nice -> nice == 0);
        } finally {
            for (AutoCloseable handle : handles) {
                handle.close();
            }
        }
    }

    /** The nice value (field 19 of /proc/self/task/TID/stat) of every thread whose name starts with {@code prefix}. */
    private static List<Integer> niceOfThreads(String prefix) throws IOException {
        List<Integer> nice = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException threadEnded) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.startsWith(prefix)) {
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    nice.add(Integer.parseInt(fields[16]));
                }
            }
        }
        return nice;
    }
}
