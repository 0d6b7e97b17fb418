package org.streamrec.tools.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A load test's results as the summary table it prints, and as the CSV and JSON files it writes. */
final class LoadTestReport {

    /** Process roles in table order: those of the standalone cluster, then this JVM. */
    static final List<String> PROCESS_ORDER = List.of("broker", "jobmanager", "taskmanager", "harness");

    private final LoadTestLog log;
    private final String clusterMode;

    LoadTestReport(LoadTestLog log, String clusterMode) {
        this.log = log;
        this.clusterMode = clusterMode;
    }

    private static String formatOrDash(double value, String format) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, format, value);
    }

    private static List<String> processNames(List<StepResult> results) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        results.forEach(r -> seen.addAll(r.processes().keySet()));
        return PROCESS_ORDER.stream().filter(seen::contains).toList();
    }

    void printTable(List<StepResult> results) {
        List<String> procs = processNames(results);
        log.say("================ load test summary ================");
        StringBuilder head = new StringBuilder(String.format("%-13s %2s %5s %5s %-6s %9s %9s %9s %9s %6s %5s %6s %6s %6s %7s %8s %9s %9s %8s %7s %5s %7s %8s %5s %6s %6s",
                "guarantee", "p", "batch", "delay", "rate", "sent", "answered", "send/s", "answer/s", "drain", "kept", "p50", "p95",
                "p99", "max", "emit-p99", "in-flight", "lag-max", "lag-end", "lag0-ms", "ckpts", "sync-ms", "align-ms", "rows", "full%", "job"));
        for (String name : procs) {
            head.append(String.format(" %14s", name));
        }
        log.say("%s", head);
        for (StepResult r : results) {
            StringBuilder row = new StringBuilder(String.format("%-13s %2d %5d %5d %-6s %,9d %,9d %,9.0f %,9.0f %6d %5s %6d %6d %6d %7d %8d %,9d %,9d %,8d %7d %5d %7d %8d %5s %6s %6s",
                    r.guarantee(), r.parallelism(), r.batchMaxSize(), r.batchMaxDelayMs(), r.rate(), r.sent(), r.answered(),
                    r.sendRate(), r.throughput(), r.drainMs(), r.keptUp() ? "yes" : "NO", r.visibleP50Ms(), r.visibleP95Ms(),
                    r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(), r.maxGroupLag(), r.finalGroupLag(),
                    r.groupLagZeroMs(), r.checkpoints().count(), r.checkpoints().maxSyncMs(), r.checkpoints().maxAlignmentMs(),
                    formatOrDash(r.scoring().meanBatchRows(), "%.1f"),
                    formatOrDash(100 * r.scoring().itemsScoredInFullShare(), "%.2f"), clusterMode.equals("embedded") ? String.format("%.2f", r.cores().get(ProcessSampler.FLINK_TASKS)) : "-"));
            for (String name : procs) {
                ProcessUsage u = r.processes().get(name);
                row.append(u == null ? String.format(" %14s", "-") : String.format(Locale.ROOT, " %6.2f c %5.0f M", u.cores(), u.peakRssMib()));
            }
            log.say("%s", row);
        }
        log.say("latencies in ms from event creation to a read_committed consumer; emit-p99: to the operator's emit; drain: ms"
                + " from the last send to the last answer; in-flight: most events sent but not answered; lag-max/lag-end:"
                + " the job's consumer-group lag on the events topic (moves only when a checkpoint commits offsets), largest"
                + " during the step and after the drain; lag0-ms: ms after the drain until that lag read 0 (-1: not within"
                + " two checkpoints + " + StepRunner.GROUP_LAG_SETTLE_LIMIT.toSeconds() + " s); ckpts: checkpoints triggered during the step;"
                + " sync-ms/align-ms: their longest synchronous part (the task stops processing records; with RocksDB it"
                + " waits for the memtable flush) and barrier alignment, from Flink's REST API (-1: none); rows: mean rows"
                + " per scoring micro-batch; full%%: share of the item scores computed in full (the exact pruning); job: cores of the Flink task threads in this JVM (embedded mode"
                + " only); per process: average cores (c) and peak RSS in MiB (M) during the step%s",
                clusterMode.equals("embedded") ? " (embedded: the harness process holds broker, Flink, replay and consumer)" : "");
        for (StepResult r : results) {
            if (!r.everyEventAnswered()) {
                log.say("PROBLEM: %s %s: %,d of %,d events answered, %,d duplicates", r.guarantee(), r.rate(), r.answered(),
                        r.sent(), r.duplicates());
            }
        }
    }

    static void writeJson(LoadTest.Report report, Path file) throws IOException {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), report);
    }

    static void writeCsv(List<StepResult> results, Path file) throws IOException {
        List<String> procs = processNames(results);
        StringBuilder header = new StringBuilder("guarantee,parallelism,batch_max_size,batch_max_delay_ms,rate,sent,answered,"
                + "duplicates,fallback,send_rate,throughput,drain_ms,kept_up,timed,p50_ms,p95_ms,p99_ms,max_ms,emit_p99_ms,"
                + "max_in_flight,max_group_lag,final_group_lag,group_lag_zero_ms,checkpoints,checkpoint_sync_max_ms,"
                + "checkpoint_alignment_max_ms,checkpoint_end_to_end_max_ms,cores_total,cores_flink_tasks,cores_replay,cores_consumer,"
                + "cores_other_java,cores_gc_jit_native,peak_rss_mib,load_avg_1m,scoring_batches,mean_batch_rows,"
                + "items_scored_in_full_share,started_at_epoch_ms");
        for (String name : procs) {
            header.append(",cores_").append(name).append(",peak_rss_mib_").append(name);
        }
        List<String> lines = new ArrayList<>();
        lines.add(header.toString());
        for (StepResult r : results) {
            Map<String, Double> c = r.cores();
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                    "%s,%d,%d,%d,%s,%d,%d,%d,%d,%.1f,%.1f,%d,%s,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.1f,%.2f,%d,%.2f,%.5f,%d",
                    r.guarantee(), r.parallelism(), r.batchMaxSize(), r.batchMaxDelayMs(), r.rate(), r.sent(), r.answered(),
                    r.duplicates(), r.fallback(), r.sendRate(), r.throughput(), r.drainMs(), r.keptUp(), r.timed(),
                    r.visibleP50Ms(), r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(),
                    r.maxGroupLag(), r.finalGroupLag(), r.groupLagZeroMs(), r.checkpoints().count(),
                    r.checkpoints().maxSyncMs(), r.checkpoints().maxAlignmentMs(), r.checkpoints().maxEndToEndMs(), c.get("total"), c.get(ProcessSampler.FLINK_TASKS),
                    c.get(ProcessSampler.REPLAY), c.get(ProcessSampler.ANSWERS), c.get(ProcessSampler.OTHER_JAVA),
                    c.get(ProcessSampler.NON_JAVA), r.peakRssMib(), r.loadAverage1m(), r.scoring().batches(),
                    r.scoring().meanBatchRows(), r.scoring().itemsScoredInFullShare(), r.startedAtEpochMs()));
            for (String name : procs) {
                ProcessUsage u = r.processes().get(name);
                line.append(u == null ? ",," : String.format(Locale.ROOT, ",%.3f,%.1f", u.cores(), u.peakRssMib()));
            }
            lines.add(line.toString());
        }
        Files.write(file, lines);
    }
}
