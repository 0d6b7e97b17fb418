package org.streamrec.flink.serving;

import java.util.Collection;

import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Priority;

/**
 * Runs RocksDB's compactions at the lowest CPU priority (nice 19), so that they use the cores the task threads leave
 * idle instead of competing with them. On a busy machine each L0-to-L1 compaction of the session state rewrites all of
 * L1 (tens of MB, about a second of one core, every few seconds per subtask), and the events queued behind it showed
 * as latency spikes (BENCHMARKS.md). Flushes keep their priority: a checkpoint waits for them.
 *
 * <p>The compaction pool is RocksDB's process-wide default environment, so this applies to every RocksDB instance in
 * the TaskManager; setting it again is harmless.
 */
public final class LowPriorityCompactionOptionsFactory implements RocksDBOptionsFactory {

    private static final long serialVersionUID = 1L;

    @Override
    public DBOptions createDBOptions(DBOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        currentOptions.getEnv().lowerThreadPoolCPUPriority(Priority.LOW);
        return currentOptions;
    }

    @Override
    public ColumnFamilyOptions createColumnOptions(ColumnFamilyOptions currentOptions, Collection<AutoCloseable> handlesToClose) {
        return currentOptions;
    }
}
