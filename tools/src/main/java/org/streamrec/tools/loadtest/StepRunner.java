package org.streamrec.tools.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.Session;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.loadtest.LoadTestOptions.JobSettings;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.Pacer;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.SessionInterleaving;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.tools.replay.TokenBucketPacer;

/**
 * One step of a load test's job: replays its sessions at a rate for a while, waits until every event is answered,
 * and measures it (latencies, in-flight events and group lag, checkpoints, the operator's scoring counters, CPU and
 * RSS) into a {@link StepResult}.
 */
final class StepRunner {

    /** Beyond two checkpoint intervals, how long a step waits after its drain for the group lag to reach 0. */
    static final Duration GROUP_LAG_SETTLE_LIMIT = Duration.ofSeconds(25);
    /** How long the operator's counters get to stop moving before a step reads them, and how often they are read. */
    static final Duration COUNTERS_SETTLE_LIMIT = Duration.ofSeconds(6);
    static final Duration COUNTERS_SETTLE_POLL = Duration.ofMillis(1_100);

    private final LoadTestOptions options;
    private final LoadTestLog log;

    StepRunner(LoadTestOptions options, LoadTestLog log) {
        this.options = options;
        this.log = log;
    }

    /** What every step of one job shares. */
    record StepContext(Deployment deployment, Deployment.Job job, FlinkRest rest, JobSettings settings, String tag, String topic,
                       KafkaProducer<byte[], byte[]> producer, AnswerCollector answers, StepMonitor.GroupLag lag,
                       SessionCursor cursor) {
    }

    /** One step at {@code rate} for {@code duration}; {@code label} names an unreported step (the warm-up). */
    StepResult runStep(StepContext c, String rate, Duration duration, String label) throws Exception {
        String guarantee = c.settings().guarantee();
        AnswerCollector answers = c.answers();
        boolean unpaced = rate.equalsIgnoreCase(LoadTestOptions.MAX);
        double target = unpaced ? 0 : Double.parseDouble(rate);
        long limit = unpaced ? options.maxEvents : Math.round(target * duration.toMillis() / 1000.0);
        String prefix = c.tag() + "-" + (label != null ? label : unpaced ? LoadTestOptions.MAX : rate.replace(".", "_"));
        List<Session> stepSessions = SessionInterleaving.interleaved(c.cursor().next(limit), options.interleave);
        answers.reserve((int) Math.min(limit, stepSessions.stream().mapToLong(Session::length).sum()));
        // Start the step from a collected heap, while no events flow: otherwise the step's sessions (about 12 MB for
        // 300,000 events) and what the warm-up left alive would be copied between survivor spaces by every young
        // collection of the step, and in embedded mode those pauses stop the job too (the GC age table of a 60 s step:
        // 40 MB of survivors, 45 ms pauses; BENCHMARKS.md, "Garbage collection in the load test's JVM").
        System.gc();

        // Read before the step's clock starts: it waits for the counters to settle (a second or more).
        Map<Integer, Map<String, Double>> countersAtStart = label != null ? null : operatorCounters(c);
        ProcessSampler sampler = new ProcessSampler();
        long startMillis = System.currentTimeMillis();
        answers.begin(prefix + "-", startMillis + options.warmup.toMillis());
        AtomicLong sent = new AtomicLong();
        Pacer pacer = unpaced ? Pacer.unpaced() : new TokenBucketPacer(target, TokenBucketPacer.defaultBurst(target), Ticker.SYSTEM);
        Replayer replayer = new Replayer(c.producer(), c.topic(), new ClickEventFactory(prefix, ReplayClock.wallClock()),
                AvroCodec.clickEvents(), pacer, Ticker.SYSTEM, Duration.ofDays(1), progress -> { });
        replayer.onSend(event -> sent.incrementAndGet());
        AtomicReference<ReplaySummary> summary = new AtomicReference<>();
        AtomicReference<Exception> replayFailure = new AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                summary.set(replayer.run(stepSessions, limit, 0));
            } catch (Exception e) {
                replayFailure.set(e);
            }
        }, "loadtest-replay-" + prefix);
        if (label == null) {
            log.say("%s %s: sending %s for %d s ...", guarantee, prefix, unpaced ? "as fast as possible" : rate + " events/s",
                    duration.toSeconds());
        }
        ProcessSampler.Mark begin = sampler.mark();
        StepMonitor monitor = new StepMonitor(c.deployment().processes(), c.lag()::current).start();
        sender.start();
        long deadline = System.nanoTime() + duration.toNanos();
        long maxLag = 0;
        double peakRss = 0;
        while (sender.isAlive()) {
            if (unpaced && System.nanoTime() >= deadline) {
                replayer.stop();
            }
            maxLag = Math.max(maxLag, sent.get() - answers.answeredCount());
            peakRss = Math.max(peakRss, ProcessSampler.rssMib());
            sender.join(250);
        }
        long sendEndMillis = System.currentTimeMillis();
        if (replayFailure.get() != null) {
            monitor.close();
            throw replayFailure.get();
        }
        ReplaySummary s = summary.get();
        long acked = s.eventsAcked();
        // Drain: every acknowledged event must get its answer; give up only when answers stop coming.
        long lastCount = -1;
        long lastChange = System.nanoTime();
        while (answers.answeredCount() < acked && System.nanoTime() - lastChange < options.drainTimeout.toNanos()) {
            long count = answers.answeredCount();
            if (count != lastCount) {
                lastCount = count;
                lastChange = System.nanoTime();
            }
            maxLag = Math.max(maxLag, acked - count);
            peakRss = Math.max(peakRss, ProcessSampler.rssMib());
            if (c.job().ended()) {
                monitor.close();
                throw new IllegalStateException("the serving job ended: " + c.job().status());
            }
            Thread.sleep(50);
        }
        // A moment more for duplicates that would follow the last answer.
        Thread.sleep(200);
        ProcessSampler.Mark end = sampler.mark();
        long endMillis = System.currentTimeMillis();
        monitor.stop();
        // Not for the warm-up: its offsets get committed as soon as the next step's traffic wakes the source up.
        long[] settled = label != null ? new long[] {c.lag().current(), -1} : awaitGroupLagZero(c.lag());
        CheckpointSummary checkpoints = label != null ? CheckpointSummary.NONE : checkpointsBetween(c, startMillis, endMillis);
        ScoringSummary scoring = ScoringSummary.UNKNOWN;
        if (countersAtStart != null) {
            Map<Integer, Map<String, Double>> countersAtEnd = operatorCounters(c);
            if (!countersAtStart.isEmpty() && !countersAtEnd.isEmpty()) {
                scoring = ScoringSummary.between(countersAtStart, countersAtEnd);
            }
        }
        AnswerCollector.Tally t = answers.tally();
        double sendSeconds = s.elapsedNanos() / 1e9;
        if (label == null && options.latencySeriesFile != null) {
            appendLatencySeries(options.latencySeriesFile, guarantee + " " + prefix, t, startMillis);
        }
        long[] visible = t.visibleLatencies();
        Arrays.sort(visible);
        long[] emit = t.emitLatencies();
        Arrays.sort(emit);
        long drainMs = t.lastAnswerMillis() == 0 ? -1 : Math.max(0, t.lastAnswerMillis() - sendEndMillis);
        double throughput = t.lastAnswerMillis() == 0 ? 0 : t.answered() * 1000.0 / Math.max(1, t.lastAnswerMillis() - startMillis);
        // Kept up: the answers trail the sends by no more than what the guarantee itself adds (a checkpoint for EOS).
        long allowedDrain = 1000 + (guarantee.equals("exactly-once") ? 2 * options.checkpointInterval.toMillis() : 0);
        JobSettings js = c.settings();
        StepResult r = new StepResult(startMillis, guarantee, js.parallelism(), js.batchMaxSize(), js.batchMaxDelay().toMillis(),
                unpaced ? LoadTestOptions.MAX : rate, target, s.eventsSent(), t.answered(), t.duplicates(),
                t.fallback(), sendSeconds, s.eventsSent() / Math.max(1e-9, sendSeconds), throughput, drainMs,
                t.answered() == s.eventsSent() && drainMs >= 0 && drainMs <= allowedDrain,
                visible.length, percentile(visible, 0.50), percentile(visible, 0.95), percentile(visible, 0.99),
                visible.length == 0 ? -1 : visible[visible.length - 1], percentile(emit, 0.99), maxLag, monitor.maxLag(),
                settled[0], settled[1], checkpoints, scoring, peakRss, ProcessSampler.coresBetween(begin, end), monitor.usage(),
                Machine.loadAverage());
        if (label != null) {
            return r;
        }
        log.say("%s %s: sent %,d (%.0f/s), answered %,d (%,d duplicates), throughput %.0f/s, drain %d ms, latency p50/p95/p99/max "
                        + "%d/%d/%d/%d ms (emit p99 %d ms), in flight max %,d, group lag max %,d end %,d (0 after %d ms), "
                        + "%d checkpoints (longest synchronous part %d ms, alignment %d ms, end to end %d ms), %,d batches of "
                        + "%.1f rows on average, %.2f%% of item scores computed in full, CPU %.2f cores, RSS %.0f MiB; "
                        + "processes %s", guarantee, prefix,
                r.sent(), r.sendRate(), r.answered(), r.duplicates(), r.throughput(), r.drainMs(), r.visibleP50Ms(),
                r.visibleP95Ms(), r.visibleP99Ms(), r.visibleMaxMs(), r.emitP99Ms(), r.maxLag(), r.maxGroupLag(), r.finalGroupLag(),
                r.groupLagZeroMs(), checkpoints.count(), checkpoints.maxSyncMs(), checkpoints.maxAlignmentMs(),
                checkpoints.maxEndToEndMs(), scoring.batches(), scoring.meanBatchRows(),
                100 * scoring.itemsScoredInFullShare(), r.cores().get("total"), r.peakRssMib(), formatProcesses(r.processes()));
        return r;
    }

    /**
     * The checkpoints the job completed that were triggered during the step (from its start to the end of the drain),
     * from Flink's REST API; {@link CheckpointSummary#UNKNOWN} when it cannot be read.
     */
    private CheckpointSummary checkpointsBetween(StepContext c, long fromMillis, long toMillis) {
        try {
            List<FlinkRest.CheckpointStat> inStep = c.rest().completedCheckpoints(JobID.fromHexString(c.job().id()),
                    CheckpointSummary.triggeredBetween(fromMillis, toMillis));
            return CheckpointSummary.of(inStep, fromMillis, toMillis);
        } catch (Exception e) {
            log.say("could not read the checkpoint statistics of job %s: %s", c.job().id(), e);
            return CheckpointSummary.UNKNOWN;
        }
    }

    /**
     * The serving operator's {@link ScoringSummary#COUNTERS} per subtask once they have stopped moving (the job is idle
     * between steps, and the REST API serves values it fetched up to {@code metrics.fetcher.update-interval} ago, 1 s
     * on the embedded cluster and on deploy/local's); empty when they cannot be read.
     */
    private Map<Integer, Map<String, Double>> operatorCounters(StepContext c) {
        try {
            JobID job = JobID.fromHexString(c.job().id());
            Map<Integer, Map<String, Double>> last = c.rest().operatorMetrics(job, RecommenderJob.SERVING_OPERATOR, ScoringSummary.COUNTERS);
            long deadline = System.nanoTime() + COUNTERS_SETTLE_LIMIT.toNanos();
            while (System.nanoTime() < deadline) {
                Thread.sleep(COUNTERS_SETTLE_POLL.toMillis());
                Map<Integer, Map<String, Double>> now = c.rest().operatorMetrics(job, RecommenderJob.SERVING_OPERATOR, ScoringSummary.COUNTERS);
                if (now.equals(last)) {
                    return now;
                }
                last = now;
            }
            return last;
        } catch (Exception e) {
            log.say("could not read the serving operator's counters of job %s: %s", c.job().id(), e);
            return Map.of();
        }
    }

    /** One CSV line per second of event creation: step, second from the step's start, count, p50, p99, max, emit p99. */
    static List<String> latencySeries(String step, long[] created, long[] visible, long[] emit, long startMillis) {
        java.util.TreeMap<Long, List<long[]>> bySecond = new java.util.TreeMap<>();
        for (int i = 0; i < created.length; i++) {
            bySecond.computeIfAbsent((created[i] - startMillis) / 1000, x -> new ArrayList<>()).add(new long[] {visible[i], emit[i]});
        }
        List<String> lines = new ArrayList<>();
        for (var e : bySecond.entrySet()) {
            long[] v = e.getValue().stream().mapToLong(a -> a[0]).sorted().toArray();
            long[] m = e.getValue().stream().mapToLong(a -> a[1]).sorted().toArray();
            lines.add(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%d,%d", step, e.getKey(), v.length, percentile(v, 0.5),
                    percentile(v, 0.99), v[v.length - 1], percentile(m, 0.99)));
        }
        return lines;
    }

    private static void appendLatencySeries(Path file, String step, AnswerCollector.Tally t, long startMillis) throws IOException {
        List<String> lines = new ArrayList<>();
        if (!Files.exists(file)) {
            lines.add("step,second,answers,p50_ms,p99_ms,max_ms,emit_p99_ms");
        }
        lines.addAll(latencySeries(step, t.createdMillis(), t.visibleLatencies(), t.emitLatencies(), startMillis));
        Files.write(file, lines, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    static long percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
    }

    /**
     * How long an operator's view of the lag trails the answers: after the drain, the group's lag is read until it is
     * 0, for at most two checkpoint intervals plus {@link #GROUP_LAG_SETTLE_LIMIT}. The source commits offsets when a
     * checkpoint completes, but flink-connector-kafka 5.0 runs the commit on its fetcher thread after the current
     * {@code poll} returns, and an idle source polls for up to 10 s, so once the traffic stops the committed offsets
     * can trail by that much. Returns {lag when done, ms it took or -1 if it did not reach 0}.
     */
    private long[] awaitGroupLagZero(StepMonitor.GroupLag lag) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + 2 * options.checkpointInterval.toNanos() + GROUP_LAG_SETTLE_LIMIT.toNanos();
        long value = lag.current();
        while (value != 0 && System.nanoTime() < deadline) {
            Thread.sleep(StepMonitor.SAMPLE_MILLIS);
            value = lag.current();
        }
        return new long[] {value, value == 0 ? (System.nanoTime() - start) / 1_000_000 : -1};
    }

    static String formatProcesses(Map<String, ProcessUsage> processes) {
        StringBuilder b = new StringBuilder();
        processes.forEach((name, u) -> b.append(b.length() == 0 ? "" : ", ")
                .append(String.format(Locale.ROOT, "%s %.2f cores %.0f MiB", name, u.cores(), u.peakRssMib())));
        return b.toString();
    }

}
