package org.streamrec.tools.ops;

import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.tools.flink.FlinkRest;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.streamrec.flink.config.DurationConverter;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The Java half of the local cluster scripts (deploy/local): topic creation, status, waiting for jobs, and the
 * end-to-end output check. The shell scripts start and stop the processes; this talks to them.
 */
@Command(name = "local-ops", mixinStandardHelpOptions = true,
        subcommands = {LocalOps.CreateTopics.class, LocalOps.Status.class, LocalOps.WaitJobs.class, LocalOps.Check.class},
        description = "Operations on a local streamrec cluster (Kafka + Flink): see deploy/local/README in deploy/README.md.")
public final class LocalOps {

    public static void main(String[] args) {
        System.exit(new CommandLine(new LocalOps()).execute(args));
    }

    public static Admin admin(String bootstrapServers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return Admin.create(props);
    }

    @Command(name = "create-topics", description = "Creates events, recommendations, events.dlq, model-updates (compacted) "
            + "and serving-control where missing.")
    static final class CreateTopics implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--partitions", defaultValue = "2", description = "Partitions of events and recommendations (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Override
        public Integer call() throws Exception {
            try (Admin admin = admin(kafka.bootstrapServers())) {
                List<String> created = Topics.createMissing(admin, partitions);
                System.out.println("topics created: " + (created.isEmpty() ? "none (all exist)" : String.join(", ", created)));
            }
            return 0;
        }
    }

    @Command(name = "status", description = "Flink TaskManagers and jobs, Kafka topics with their offsets and the jobs' consumer lag.")
    static final class Status implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--flink-rest", required = true, description = "e.g. http://127.0.0.1:8081")
        String flinkRest;

        @Override
        public Integer call() throws Exception {
            int failures = 0;
            try (FlinkRest rest = new FlinkRest(flinkRest)) {
                FlinkRest.Slots slots = rest.slots();
                System.out.printf("flink %s: %d TaskManager(s), %d of %d slots free%n", flinkRest, slots.taskManagers(),
                        slots.free(), slots.total());
                for (FlinkRest.Job job : rest.jobs()) {
                    long restarts = rest.restarts(job.id());
                    System.out.printf("  job %s %-22s %-10s tasks %d/%d running, restarts %s, since %s%n", job.id(), job.name(),
                            job.state(), job.tasksRunning(), job.tasksTotal(),
                            restarts < 0 ? "n/a (metric not fetched yet)" : String.valueOf(restarts), Instant.ofEpochMilli(job.startTime()));
                }
            } catch (Exception e) {
                System.out.println("flink " + flinkRest + ": not reachable (" + e.getMessage() + ")");
                failures++;
            }
            try (Admin admin = admin(kafka.bootstrapServers())) {
                Map<String, TopicDescription> topics = new TreeMap<>(admin.describeTopics(
                        admin.listTopics().names().get()).allTopicNames().get());
                Map<TopicPartition, OffsetSpec> latest = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
                for (TopicDescription topic : topics.values()) {
                    for (TopicPartitionInfo p : topic.partitions()) {
                        latest.put(new TopicPartition(topic.name(), p.partition()), OffsetSpec.latest());
                    }
                }
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> stable = admin.listOffsets(latest,
                        new org.apache.kafka.clients.admin.ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
                System.out.printf("kafka %s: %d topics (end offset = log end; committed = last stable offset)%n", kafka.bootstrapServers(), topics.size());
                for (TopicDescription topic : topics.values()) {
                    long end = 0;
                    long committed = 0;
                    List<String> parts = new ArrayList<>();
                    for (TopicPartitionInfo p : topic.partitions()) {
                        TopicPartition tp = new TopicPartition(topic.name(), p.partition());
                        end += ends.get(tp).offset();
                        committed += stable.get(tp).offset();
                        parts.add(p.partition() + ":" + ends.get(tp).offset());
                    }
                    System.out.printf("  %-18s partitions %d, end offset %,d, committed %,d  [%s]%n", topic.name(),
                            topic.partitions().size(), end, committed, String.join(" ", parts));
                }
                for (var group : admin.listConsumerGroups().all().get()) {
                    Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group.groupId())
                            .partitionsToOffsetAndMetadata().get();
                    long lag = 0;
                    long consumed = 0;
                    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
                        if (e.getValue() != null && ends.containsKey(e.getKey())) {
                            consumed += e.getValue().offset();
                            lag += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                        }
                    }
                    System.out.printf("  group %-24s committed offsets %,d, lag %,d (the jobs commit on checkpoints)%n",
                            group.groupId(), consumed, lag);
                }
            } catch (Exception e) {
                System.out.println("kafka " + kafka.bootstrapServers() + ": not reachable (" + e.getMessage() + ")");
                failures++;
            }
            return failures == 0 ? 0 : 1;
        }
    }

    @Command(name = "wait-jobs", description = "Waits until the named jobs are RUNNING with all tasks running; exit 1 on timeout.")
    static final class WaitJobs implements Callable<Integer> {
        @Option(names = "--flink-rest", required = true)
        String flinkRest;

        @Option(names = "--job", required = true, description = "Job name; repeatable.")
        List<String> names;

        @Option(names = "--timeout", defaultValue = "120 s", converter = DurationConverter.class)
        Duration timeout;

        @Option(names = "--no-restarts", description = "Also require that none of them has restarted (numRestarts 0).")
        boolean noRestarts;

        @Override
        public Integer call() throws Exception {
            try (FlinkRest rest = new FlinkRest(flinkRest)) {
                return await(rest);
            }
        }

        private int await(FlinkRest rest) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "";
            while (true) {
                List<FlinkRest.Job> jobs = List.of();
                try {
                    jobs = rest.jobs();
                } catch (Exception e) {
                    last = e.getMessage();
                }
                List<String> missing = new ArrayList<>();
                Map<String, Long> restarts = new TreeMap<>();
                for (String name : names) {
                    FlinkRest.Job job = jobs.stream().filter(j -> j.name().equals(name) && j.fullyRunning()).findFirst().orElse(null);
                    if (job == null) {
                        missing.add(name);
                    } else if (noRestarts) {
                        // The JobManager's metric fetcher fills its cache on demand: the first queries may find nothing.
                        long n = rest.restarts(job.id());
                        restarts.put(name, n);
                        if (n > 0) {
                            System.out.println(name + " has restarted " + n + " time(s)");
                            return 1;
                        }
                        if (n < 0) {
                            missing.add(name + " (restart count not available yet)");
                        }
                    }
                }
                if (missing.isEmpty()) {
                    System.out.println("running: " + String.join(", ", names) + (noRestarts ? ", restarts " + restarts : ""));
                    return 0;
                }
                if (System.nanoTime() > deadline) {
                    System.out.println("not running after " + timeout + ": " + missing + "; jobs " + jobs + " " + last);
                    return 1;
                }
                Thread.sleep(500);
            }
        }
    }

    @Command(name = "check", description = "End-to-end output check; prints one 'CHECK PASS|FAIL name: detail' line per "
            + "expectation; exit 0 when all pass.")
    static final class Check implements Callable<Integer> {
        @Mixin
        KafkaOptions kafka;

        @Option(names = "--expect-valid", required = true, description = "Valid events the replay wrote.")
        long validEvents;

        @Option(names = "--expect-invalid", defaultValue = "0", description = "Malformed records the replay wrote.")
        long invalidEvents;

        @Option(names = "--expect-announced-above", defaultValue = "-1",
                description = "Require an announced model version above this one (the trainer published); -1 to skip.")
        long announcedAbove;

        @Option(names = "--timeout", defaultValue = "180 s", converter = DurationConverter.class)
        Duration timeout;

        @Override
        public Integer call() {
            List<PipelineCheck.Check> checks = new PipelineCheck(kafka.bootstrapServers()).run(
                    new PipelineCheck.Expectations(validEvents, invalidEvents, announcedAbove), timeout, System.out);
            checks.forEach(System.out::println);
            return checks.stream().allMatch(PipelineCheck.Check::passed) ? 0 : 1;
        }
    }
}
