package org.streamrec.tools.loadtest;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Watches one step from its first send to the end of its drain, on a thread of its own: CPU time and RSS of each
 * process of the deployment ({@link ProcStat}, every 250 ms) and the consumer-group lag of the serving job on the
 * events topic (every 500 ms): the sum over partitions of the log-end offset minus the offset the group committed.
 * The job's Kafka source commits its offsets only when a checkpoint completes, so this lag moves in steps of one
 * checkpoint interval; it is what {@code kafka-consumer-groups.sh --describe} would show an operator.
 */
final class StepMonitor implements AutoCloseable {

    static final long SAMPLE_MILLIS = 250;

    private final Map<String, Long> pids;
    private final LongSupplier lag;
    private final Map<String, Long> startTicks = new LinkedHashMap<>();
    private final Map<String, Long> lastTicks = new HashMap<>();
    private final Map<String, Long> peakRssKib = new HashMap<>();
    private final Thread thread;
    private long startNanos;
    private long endNanos;
    private long maxLag = -1;
    private long lastLag = -1;
    private volatile boolean running = true;

    /** {@code lag}: the group lag now, -1 when unreadable ({@link GroupLag#current}). */
    StepMonitor(Map<String, Long> pids, LongSupplier lag) {
        this.pids = pids;
        this.lag = lag;
        this.thread = new Thread(this::loop, "loadtest-monitor");
        this.thread.setDaemon(true);
    }

    /** Takes the CPU baseline of every process and starts sampling. */
    StepMonitor start() {
        startNanos = System.nanoTime();
        for (Map.Entry<String, Long> p : pids.entrySet()) {
            ProcStat.read(p.getValue()).ifPresent(s -> startTicks.put(p.getKey(), s.cpuTicks()));
        }
        sampleProcesses();
        thread.start();
        return this;
    }

    private void loop() {
        long n = 0;
        while (running) {
            sampleProcesses();
            if (n++ % 2 == 0) {
                sampleLag();
            }
            try {
                Thread.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void sampleProcesses() {
        for (Map.Entry<String, Long> p : pids.entrySet()) {
            Optional<ProcStat.Sample> s = ProcStat.read(p.getValue());
            if (s.isPresent()) {
                lastTicks.put(p.getKey(), s.get().cpuTicks());
                peakRssKib.merge(p.getKey(), s.get().rssKib(), Math::max);
            }
        }
    }

    private void sampleLag() {
        long l = lag.getAsLong();
        if (l >= 0) {
            synchronized (this) {
                maxLag = Math.max(maxLag, l);
                lastLag = l;
            }
        }
    }

    /** Stops sampling: the step's CPU window ends now. */
    void stop() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join(5000);
        sampleProcesses();
        endNanos = System.nanoTime();
    }

    /** Average cores and peak RSS per process between {@link #start} and {@link #stop}. */
    synchronized Map<String, ProcessUsage> usage() {
        double seconds = Math.max(1, endNanos - startNanos) / 1e9;
        double ticksPerSecond = ProcStat.clockTicksPerSecond();
        Map<String, ProcessUsage> usage = new LinkedHashMap<>();
        for (String name : pids.keySet()) {
            Long from = startTicks.get(name);
            Long to = lastTicks.get(name);
            if (from != null && to != null) {
                usage.put(name, new ProcessUsage((to - from) / ticksPerSecond / seconds, peakRssKib.get(name) / 1024.0));
            }
        }
        return usage;
    }

    /** Largest group lag sampled; -1 when none could be read. */
    synchronized long maxLag() {
        return maxLag;
    }

    @Override
    public void close() throws InterruptedException {
        if (running) {
            stop();
        }
    }

    /** The lag of one consumer group on one topic, summed over its partitions, with the Kafka Admin client. */
    static final class GroupLag {
        private final Admin admin;
        private final String groupId;
        private final String topic;
        private List<TopicPartition> partitions;

        GroupLag(Admin admin, String groupId, String topic) {
            this.admin = admin;
            this.groupId = groupId;
            this.topic = topic;
        }

        /**
         * Log-end offsets minus the group's committed offsets; a partition the group has not committed yet counts
         * from 0 (the load test's topics are new, and the job reads them from the earliest offset). -1 when the
         * broker did not answer within 5 s.
         */
        long current() {
            try {
                if (partitions == null) {
                    partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic)
                            .partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
                }
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                        .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
                var ends = admin.listOffsets(partitions.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())))
                        .all().get(5, TimeUnit.SECONDS);
                long lag = 0;
                for (TopicPartition p : partitions) {
                    OffsetAndMetadata c = committed.get(p);
                    lag += Math.max(0, ends.get(p).offset() - (c == null ? 0 : c.offset()));
                }
                return lag;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
    }
}
