package org.streamrec.flink.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.flink.kafka.EmbeddedKafka;
import org.streamrec.flink.replay.ReplayPlan;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.flink.serving.SnapshotModelLoader;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.TrainingListener;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The whole pipeline in one JVM, for {@code deploy/demo.sh}: an embedded Kafka broker, a bootstrap GRU4Rec trained
 * on rsc15-100k train_full and saved as a snapshot, the serving job on a local Flink cluster with its web UI, and the
 * replay of the rsc15-100k test events into the events topic. It prints progress and a few recommendations while
 * the events flow, then a summary measured from the committed output (read_committed): events, recommendations,
 * online HR@k / MRR@k against popularity, and latency. It then stops everything it started.
 */
@Command(name = "streamrec-demo", mixinStandardHelpOptions = true,
        description = "Embedded end-to-end demo: Kafka + Flink serving job + GRU4Rec on rsc15-100k.")
public final class EmbeddedDemo implements Callable<Integer> {

    @Option(names = "--data-dir", description = "The shared datasets folder (default: system property "
            + "streamrec.data.dir, else ../shared/data).")
    Path dataDir;

    @Option(names = "--work-dir", defaultValue = "runs/demo",
            description = "Model snapshot, RocksDB and checkpoints go here (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--rate", defaultValue = "2000", description = "Replayed events per second (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--events", defaultValue = "0", description = "Replay only this many test events; 0 = all.")
    int maxEvents;

    @Option(names = "--layers", defaultValue = "100", description = "GRU hidden size of the bootstrap model (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--epochs", defaultValue = "1", description = "Bootstrap training epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI port (default: ${DEFAULT-VALUE}).")
    int webUiPort;

    @Option(names = {"-k", "--k"}, defaultValue = "20", description = "Recommendations per event (default: ${DEFAULT-VALUE}).")
    int k;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EmbeddedDemo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Path data = dataDir != null ? dataDir
                : Path.of(System.getProperty("streamrec.data.dir", "../shared/data"));
        Path rsc = data.resolve("rsc15-100k");
        Files.createDirectories(workDir);
        Path work = workDir.toAbsolutePath();

        step(1, "Kafka: starting an embedded broker");
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            say("      broker at %s", kafka.bootstrapServers());

            step(2, "Model: training a bootstrap GRU4Rec on rsc15-100k train_full");
            SessionDataset train = DatasetReaders.read(rsc.resolve("yoochoose-clicks-100k_train_full.txt"));
            SessionDataset test = DatasetReaders.read(rsc.resolve("yoochoose-clicks-100k_test.txt"));
            Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train,
                    Gru4RecParams.defaults().with("layers", String.valueOf(layers)));
            Gru4RecModel model = prepared.model();
            long t0 = System.nanoTime();
            new Gru4RecTrainer(model).train(prepared.sessions(), epochs, Long.MAX_VALUE, TrainingListener.NONE);
            model.bumpVersion(1);
            Path snapshot = work.resolve("models").resolve("v1-" + System.currentTimeMillis());
            ModelSnapshot.save(model, null, snapshot);
            say("      %,d sessions, %,d items, %d epoch(s) in %.1f s -> %s", train.sessionCount(), model.itemCount(),
                    epochs, (System.nanoTime() - t0) / 1e9, snapshot);

            RecommenderConfig config = RecommenderConfig.parse("--bootstrap-servers", kafka.bootstrapServers(),
                    "--model-uri", snapshot.toUri().toString(), "--k", String.valueOf(k),
                    "--checkpoint-interval", "1 s", "--parallelism", "2", "--transactional-id-prefix",
                    "streamrec-demo-" + System.currentTimeMillis());
            kafka.createTopic(config.eventsTopic(), 2);
            kafka.createTopic(config.recommendationsTopic(), 2);
            kafka.createTopic(config.dlqTopic(), 1);
            kafka.createTopic(config.modelUpdatesTopic(), 1, Map.of("cleanup.policy", "compact"));

            step(3, "Flink: local cluster with the serving job");
            Configuration flink = RecommenderJob.flinkConfiguration(config);
            flink.set(RestOptions.PORT, webUiPort);
            flink.set(RocksDBOptions.LOCAL_DIRECTORIES, work.resolve("rocksdb").toString());
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, work.resolve("checkpoints").toUri().toString());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            new RecommenderJob(config, RecommenderJob.eventsSource(config).build(),
                    RecommenderJob.announcementsSource(config).build(), RecommenderJob.recommendationsSink(config),
                    RecommenderJob.deadLetterSink(config), new SnapshotModelLoader()).build(env);
            JobClient job = env.executeAsync("streamrec-recommender (demo)");
            say("      job %s submitted; web UI http://127.0.0.1:%d", job.getJobID(), webUiPort);
            awaitAllTasksRunning(job);
            try {
                return replayAndReport(kafka, config, test, prepared);
            } finally {
                step(6, "Stopping");
                job.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Waits until every vertex of the job reports RUNNING on the REST API (tasks are RUNNING once their state and
     * model are loaded), so the replay measures serving latency rather than job start-up.
     */
    private void awaitAllTasksRunning(JobClient job) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + webUiPort + "/jobs/" + job.getJobID())).build();
        ObjectMapper json = new ObjectMapper();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            try {
                JsonNode vertices = json.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body())
                        .path("vertices");
                boolean allRunning = vertices.size() > 0;
                for (JsonNode v : vertices) {
                    allRunning &= "RUNNING".equals(v.path("status").asText());
                }
                if (allRunning) {
                    say("      all %d job vertices running", vertices.size());
                    return;
                }
            } catch (java.io.IOException e) {
                // The REST endpoint may not be up yet.
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("job did not reach RUNNING within 120 s");
    }

    private int replayAndReport(EmbeddedKafka kafka, RecommenderConfig config, SessionDataset test,
                                Gru4RecTrainer.Prepared prepared) throws Exception {
        List<ClickEvent> events = new ArrayList<>();
        ReplayPlan plan = new ReplayPlan(test, 0);
        while (plan.hasNext() && (maxEvents <= 0 || events.size() < maxEvents)) {
            events.add(plan.next());
        }
        // The item each event's session continues with, to score the recommendation that event triggered.
        Map<String, String> nextItem = new HashMap<>();
        Map<String, ClickEvent> lastInSession = new HashMap<>();
        for (ClickEvent e : events) {
            ClickEvent previous = lastInSession.put(e.getSessionId(), e);
            if (previous != null) {
                nextItem.put(previous.getEventId(), e.getItemId());
            }
        }
        String[] popular = org.streamrec.flink.serving.ServingModel.of(0, prepared.model(),
                prepared.model().vocabulary(), prepared.model().popularity(), k).fallbackItems();
        List<String> popularList = Arrays.asList(popular);

        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        Stats stats = new Stats();
        AtomicBoolean stop = new AtomicBoolean();
        Thread consumer = new Thread(() -> consume(kafka, config, sentAt, nextItem, popularList, stats, stop),
                "demo-consumer");
        consumer.setDaemon(true);
        consumer.start();

        step(4, String.format("Replay: %,d rsc15-100k test events at %,.0f/s into '%s'", events.size(), rate,
                config.eventsTopic()));
        AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            long lastReport = start;
            for (int i = 0; i < events.size(); i++) {
                long due = start + (long) (i * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                ClickEvent e = events.get(i);
                sentAt.put(e.getEventId(), System.currentTimeMillis());
                producer.send(new ProducerRecord<>(config.eventsTopic(),
                        e.getUserId().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
                if (System.nanoTime() - lastReport > 2_000_000_000L) {
                    lastReport = System.nanoTime();
                    say("      sent %,7d   recommendations committed %,7d", i + 1, stats.received.get());
                }
            }
            producer.flush();
        }

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (stats.received.get() < events.size() && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        stop.set(true);
        consumer.join(10_000);

        step(5, "Summary (measured from the committed output, read_committed)");
        synchronized (stats) {
            say("      events sent %,d; recommendations %,d (distinct triggering events %,d, fallback %,d)",
                    events.size(), stats.received.get(), stats.distinctEvents.size(), stats.fallback);
            say("      online HR@%d %.4f, MRR@%d %.4f over %,d next-item predictions; popularity HR@%d %.4f",
                    k, stats.hr(), k, stats.mrr(), stats.predictions, k, stats.popHr());
            say("      latency send -> emit (in the job): p50 %d ms, p99 %d ms; last half of the run: p50 %d ms, p99 %d ms",
                    stats.percentile(stats.toEmit, 50), stats.percentile(stats.toEmit, 99),
                    stats.percentile(stats.lastHalf(stats.toEmit), 50), stats.percentile(stats.lastHalf(stats.toEmit), 99));
            say("      latency send -> committed and read: p50 %d ms, p99 %d ms (includes the 1 s checkpoint interval)",
                    stats.percentile(stats.toVisible, 50), stats.percentile(stats.toVisible, 99));
            if (stats.sample != null) {
                say("      a recommendation: user %s, session %s, model v%d: %s", stats.sample.getUserId(),
                        stats.sample.getSessionId(), stats.sample.getModelVersion(), stats.sample.getItems().stream()
                                .limit(5).map(RecommendedItem::getItemId).toList());
            }
        }
        boolean ok = stats.received.get() == events.size() && stats.distinctEvents.size() == events.size();
        say("      exactly one recommendation per event: %s", ok ? "yes" : "NO");
        return ok ? 0 : 1;
    }

    private void consume(EmbeddedKafka kafka, RecommenderConfig config, Map<String, Long> sentAt,
                         Map<String, String> nextItem, List<String> popular, Stats stats, AtomicBoolean stop) {
        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "streamrec-demo-reader",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(config.recommendationsTopic()));
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    long now = System.currentTimeMillis();
                    if (!(codec.decode(record.value()) instanceof DecodeResult.Decoded<Recommendation> decoded)) {
                        continue;
                    }
                    Recommendation r = decoded.value();
                    synchronized (stats) {
                        stats.add(r, now, sentAt.get(r.getTriggeringEventId()), nextItem.get(r.getTriggeringEventId()),
                                popular);
                    }
                    if (stats.received.get() % 2_000 == 0) {
                        say("      recommendation for %s after %s: %s", r.getUserId(), r.getTriggeringEventId(),
                                r.getItems().stream().limit(5).map(RecommendedItem::getItemId).toList());
                    }
                }
            }
        }
    }

    /** What the consumer measured; guarded by its own monitor. */
    private static final class Stats {
        final AtomicLong received = new AtomicLong();
        final java.util.Set<String> distinctEvents = new java.util.HashSet<>();
        final List<Long> toEmit = new ArrayList<>();
        final List<Long> toVisible = new ArrayList<>();
        long fallback;
        long predictions;
        long hits;
        long popHits;
        double rrSum;
        Recommendation sample;

        void add(Recommendation r, long now, Long sent, String next, List<String> popular) {
            received.incrementAndGet();
            distinctEvents.add(r.getTriggeringEventId());
            if (r.getStrategy() == RecommendationStrategy.FALLBACK) {
                fallback++;
            }
            if (sent != null) {
                toEmit.add(r.getEmitTime().toEpochMilli() - sent);
                toVisible.add(now - sent);
            }
            if (next != null) {
                predictions++;
                List<String> ids = r.getItems().stream().map(RecommendedItem::getItemId).toList();
                int rank = ids.indexOf(next) + 1;
                if (rank > 0) {
                    hits++;
                    rrSum += 1.0 / rank;
                }
                popHits += popular.contains(next) ? 1 : 0;
            }
            if (sample == null && r.getStrategy() == RecommendationStrategy.MODEL) {
                sample = r;
            }
        }

        /** Values in arrival order, second half: past start-up effects. */
        List<Long> lastHalf(List<Long> values) {
            return values.subList(values.size() / 2, values.size());
        }

        double hr() {
            return predictions == 0 ? 0 : (double) hits / predictions;
        }

        double mrr() {
            return predictions == 0 ? 0 : rrSum / predictions;
        }

        double popHr() {
            return predictions == 0 ? 0 : (double) popHits / predictions;
        }

        long percentile(List<Long> values, int p) {
            if (values.isEmpty()) {
                return -1;
            }
            List<Long> sorted = new ArrayList<>(values);
            sorted.sort(null);
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
        }
    }

    private static void step(int n, String what) {
        say("[%d/6] %s", n, what);
    }

    private static void say(String format, Object... args) {
        System.out.println(String.format(format, args));
        System.out.flush();
    }
}
