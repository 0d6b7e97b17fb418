package org.streamrec.tools.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.demo.LocalFlinkCluster;
import org.streamrec.tools.demo.OnlineAccuracy;
import org.streamrec.tools.demo.ReplayPlan;
import org.streamrec.tools.kafka.EmbeddedKafka;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.SessionEvent;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.tools.replay.TokenBucketPacer;
import org.streamrec.tools.ops.AnnounceModel;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.flink.serving.SnapshotModelLoader;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.TrainingListener;
import picocli.CommandLine;

/**
 * The dashboard against a real pipeline, looked at in a real browser: an in-JVM Kafka broker, the serving job on a
 * Flink MiniCluster (RocksDB, exactly-once sinks) with a small GRU4Rec trained here as v1, a paced replay of rsc15-100k
 * test sessions, {@link AnnounceModel} publishing v2 half-way, and the dashboard reading the topics and the Flink REST
 * API. Headless Chromium then loads the page (with {@code ?user=} set to one replayed user) and the test reads the
 * rendered DOM: every chart has drawn series from the pipeline, the HR@20 line ends at the job's online hit rate
 * (checked against the rate computed here from the committed output), the version timeline shows the swap to v2, and
 * the feed lists exactly that user's events with the items the job committed. A screenshot goes to
 * {@code target/dashboard-e2e.png}.
 *
 * <p>Needs Debian's {@code chromium} ({@code /usr/bin/chromium}, or {@code -Dstreamrec.chromium=PATH}); without it the
 * test fails and says so: a browser test that skips would pass without having looked at anything.
 */
@Tag("e2e")
class DashboardIT {

    private static final Logger LOG = LoggerFactory.getLogger(DashboardIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Path CHROMIUM = Path.of(System.getProperty("streamrec.chromium", "/usr/bin/chromium"));
    private static final Path SCREENSHOT = Path.of("target", "dashboard-e2e.png");
    private static final int K = 20;
    /** Sessions per replay phase: v1 serves the first phase, v2 (announced in between) the second. */
    private static final int SESSIONS_PER_PHASE = 250;
    private static final double RATE = 300;
    private static final Duration WAIT = Duration.ofSeconds(120);

    @Test
    void showsLiveThroughputLatencyAccuracyVersionsAndAUsersFeedFromARunningPipeline(@TempDir Path dir) throws Exception {
        assertThat(Files.isExecutable(CHROMIUM))
                .as("headless Chromium is needed at %s: install Debian's package (apt-get install -y chromium) or pass"
                        + " -Dstreamrec.chromium=/path/to/chromium", CHROMIUM)
                .isTrue();

        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        Path v1 = dir.resolve("model-v1");
        Path v2 = dir.resolve("model-v2");
        trainTwoVersions(DatasetReaders.read(data.resolve("yoochoose-clicks-100k_train_full.txt")), v1, v2);

        SessionDataset test = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_test.txt"));
        ClickEventFactory factory = new ClickEventFactory("rsc15-test", ReplayClock.epochMillis());
        List<Session> phase1 = ReplayTool.slice(test, 0, SESSIONS_PER_PHASE);
        List<Session> phase2 = ReplayTool.slice(test, SESSIONS_PER_PHASE, SESSIONS_PER_PHASE);
        ReplayPlan plan1 = ReplayPlan.of(phase1, Long.MAX_VALUE, factory);
        ReplayPlan plan2 = ReplayPlan.of(phase2, Long.MAX_VALUE, factory);
        int total = plan1.size() + plan2.size();

        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            RecommenderConfig config = RecommenderConfig.parse(
                    "--bootstrap-servers", kafka.bootstrapServers(), "--model-uri", v1.toUri().toString(),
                    "--k", String.valueOf(K), "--parallelism", "2", "--checkpoint-interval", "1 s",
                    "--transactional-id-prefix", "dashboard-it", "--transaction-timeout", "5 min");
            kafka.createTopic(config.eventsTopic(), 2);
            kafka.createTopic(config.recommendationsTopic(), 2);
            kafka.createTopic(config.dlqTopic(), 1);
            kafka.createTopic(config.modelUpdatesTopic(), 1, Map.of("cleanup.policy", "compact"));

            Configuration flink = RecommenderJob.flinkConfiguration(config);
            flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
            try (LocalFlinkCluster cluster = LocalFlinkCluster.start(flink, 0, 2)) {
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
                new RecommenderJob(config, RecommenderJob.eventsSource(config).build(),
                        RecommenderJob.announcementsSource(config).build(), RecommenderJob.recommendationsSink(config),
                        RecommenderJob.deadLetterSink(config), new SnapshotModelLoader()).build(env);
                JobID job = cluster.submit(env, "streamrec-recommender (dashboard IT)");
                assertThat(cluster.awaitAllTasksRunning(job, WAIT)).as("serving job running").isTrue();

                try (Dashboard dashboard = Dashboard.parse("--bootstrap-servers", kafka.bootstrapServers(),
                        "--events-topic", config.eventsTopic(), "--recommendations-topic", config.recommendationsTopic(),
                        "--model-updates-topic", config.modelUpdatesTopic(),
                        "--session-gap", config.sessionGap().toMillis() + " ms", "--flink-rest", cluster.webUi().toString(), "--port", "0", "--sample-interval", "1s",
                        "-k", String.valueOf(K)).start()) {
                    URI url = dashboard.url();
                    LOG.info("dashboard at {}", url);
                    assertThat(url.getHost()).isEqualTo("127.0.0.1");

                    replay(kafka, config.eventsTopic(), factory, phase1);
                    awaitJson(url, "api/summary", s -> s.path("recommendationsRead").asLong() >= plan1.size(),
                            "the dashboard read the " + plan1.size() + " phase-1 recommendations");

                    int announced = new CommandLine(new AnnounceModel()).execute("--snapshot", v2.toString(),
                            "--bootstrap-servers", kafka.bootstrapServers(), "--topic", config.modelUpdatesTopic());
                    assertThat(announced).isZero();
                    awaitJson(url, "api/series", s -> lastPoint(s).path("flinkVersionMin").asLong() == 2,
                            "every subtask serves v2 (Flink modelVersion gauge through the dashboard)");

                    replay(kafka, config.eventsTopic(), factory, phase2);
                    awaitJson(url, "api/summary", s -> s.path("recommendationsRead").asLong() >= total,
                            "the dashboard read all " + total + " recommendations");
                    awaitJson(url, "api/summary", s -> s.path("flink").path("prequentialPredictions").asLong()
                                    >= total - 2L * SESSIONS_PER_PHASE - 100,
                            "the job's prequential gauges cover (almost) every judged event");

                    // The dashboard judges every event whose previous answer it read (1,330 in every run); the job's gauge
                    // has counted fewer in some runs (1,327-1,330, once 1,323 in a clean-clone CI run of 2026-12-06),
                    // never more, with every event still answered exactly once. The cause is not found yet (README,
                    // Project status: known issues), so they must agree within 1%.
                    JsonNode summary = awaitJson(url, "api/summary", s -> {
                                long judgedHere = s.path("outputAccuracy").path("predictions").asLong();
                                long judgedByJob = s.path("flink").path("prequentialPredictions").asLong();
                                return judgedByJob <= judgedHere && judgedHere - judgedByJob <= Math.max(3, judgedHere / 100);
                            },
                            "the answers the dashboard judged from the topics are (within 1%) the ones the job judged");
                    assertThat(summary.path("outputAccuracy").path("hitRate").asDouble())
                            .as("HR@20 judged from the topics = the job's prequential gauge")
                            .isCloseTo(summary.path("flink").path("prequentialHitRate").asDouble(), within(0.005));
                    assertThat(summary.path("outputAccuracy").path("mrr").asDouble())
                            .isCloseTo(summary.path("flink").path("prequentialMrr").asDouble(), within(0.005));
                    LOG.info("summary: {}", summary);

                    List<Recommendation> committed = readCommitted(kafka.bootstrapServers(), config.recommendationsTopic(), total);
                    Map<String, String> nextItem = new HashMap<>(plan1.nextItemByEventId());
                    nextItem.putAll(plan2.nextItemByEventId());
                    OnlineAccuracy fromOutput = new OnlineAccuracy(nextItem, K);
                    for (Recommendation r : committed) {
                        fromOutput.record(r.getTriggeringEventId(), r.getItems().stream().map(RecommendedItem::getItemId).toList(), true);
                    }

                    String user = userWithMostEvents(plan2, factory, 3, 20);
                    List<String> userEvents = plan2.events().stream().filter(e -> factory.userId(e.session()).equals(user))
                            .map(e -> factory.eventId(e.session(), e.position())).toList();
                    URI page = url.resolve("/?user=" + URLEncoder.encode(user, StandardCharsets.UTF_8));

                    String dom = chromium(dir, "--dump-dom", page.toString());
                    Files.writeString(Path.of("target", "dashboard-e2e.html"), dom);
                    assertPageShowsThePipeline(dom, committed, fromOutput, user, userEvents);

                    chromium(dir, "--screenshot=" + SCREENSHOT.toAbsolutePath(), "--window-size=1400,1500", page.toString());
                    assertScreenshotHasDrawnCharts();
                } finally {
                    cluster.cancel(job, Duration.ofSeconds(60));
                }
            }
        }
    }

    private static void assertPageShowsThePipeline(String dom, List<Recommendation> committed, OnlineAccuracy fromOutput,
                                                   String user, List<String> userEvents) {
        assertThat(attributes(dom, "body")).as("the page refreshed from the API without an error")
                .singleElement().satisfies(body -> {
                    assertThat(Integer.parseInt(body.getOrDefault("data-refreshes", "0"))).isPositive();
                    assertThat(body).doesNotContainKey("data-error");
                });
        Map<String, Map<String, String>> series = new LinkedHashMap<>();
        for (Map<String, String> g : attributes(dom, "g")) {
            if (g.containsKey("data-series")) {
                series.put(g.get("data-series"), g);
            }
        }
        LOG.info("drawn series: {}", series);
        for (String id : List.of("recommendations-read", "events-in", "emit-visible-p50", "emit-visible-p95",
                "emit-visible-p99", "operator-p99")) {
            assertThat(count(series, id)).as("points drawn for %s", id).isGreaterThanOrEqualTo(3);
            assertThat(Double.parseDouble(series.get(id).get("data-max"))).as("largest value of %s", id).isPositive();
        }
        assertThat(count(series, "hit-rate")).isGreaterThanOrEqualTo(3);
        assertThat(Double.parseDouble(series.get("hit-rate").get("data-last")))
                .as("the HR@20 line ends at the job's online hit rate, which the output itself confirms (%,d predictions)",
                        fromOutput.predictions())
                .isCloseTo(fromOutput.hitRate(), within(0.03));
        assertThat(Double.parseDouble(series.get("mrr").get("data-last"))).isCloseTo(fromOutput.mrr(), within(0.03));
        assertThat(count(series, "output-hit-rate")).as("HR@20 judged from the topics, sliding window").isGreaterThanOrEqualTo(3);
        assertThat(Double.parseDouble(series.get("output-hit-rate").get("data-max"))).isBetween(0.05, 1.0);
        assertThat(Double.parseDouble(series.get("version-read").get("data-max"))).as("v2 recommendations were read").isEqualTo(2.0);
        assertThat(Double.parseDouble(series.get("flink-version-min").get("data-last"))).isEqualTo(2.0);
        assertThat(count(series, "flink-version-max")).isGreaterThanOrEqualTo(3);
        assertThat(attributes(dom, "g")).as("the v2 announcement is marked on the timeline")
                .anySatisfy(g -> assertThat(g).containsEntry("class", "marker").containsEntry("data-version", "2"));

        Map<String, Recommendation> byEvent = new HashMap<>();
        committed.forEach(r -> byEvent.put(r.getTriggeringEventId(), r));
        List<Map<String, String>> rows = attributes(dom, "tr").stream()
                .filter(tr -> "feed-row".equals(tr.get("class"))).toList();
        assertThat(rows).extracting(r -> r.get("data-event-id")).as("the feed of %s lists exactly the events sent for it", user)
                .containsExactlyInAnyOrderElementsOf(userEvents);
        for (Map<String, String> row : rows) {
            Recommendation r = byEvent.get(row.get("data-event-id"));
            assertThat(r.getUserId()).isEqualTo(user);
            assertThat(row.get("data-items")).as("items shown for %s", row.get("data-event-id"))
                    .isEqualTo(String.join(" ", r.getItems().stream().map(RecommendedItem::getItemId).toList()));
            assertThat(row.get("data-model-version")).isEqualTo(String.valueOf(r.getModelVersion())).isEqualTo("2");
        }
    }

    /**
     * The chart panels draw their series in these two colours first (dashboard.js COLORS). Counted as the screenshot's
     * columns holding the colour, not its pixels: later series are drawn over earlier ones (the oldest subtask's
     * version hides the newest's when they agree, p99 crosses p95), so the pixel count moves with the data's shape from
     * run to run (the second colour painted 991 pixels in the CI run of 2026-12-06 that failed on a 1,000-pixel floor,
     * 1,454-2,150 in others), while any line across a panel's time axis spans hundreds of columns.
     */
    private static void assertScreenshotHasDrawnCharts() throws IOException {
        assertThat(SCREENSHOT).exists();
        BufferedImage image = ImageIO.read(SCREENSHOT.toFile());
        assertThat(image).as("a PNG was written").isNotNull();
        BitSet blueColumns = new BitSet(image.getWidth());
        BitSet orangeColumns = new BitSet(image.getWidth());
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                if (near(rgb, 0x2f6fdf)) {
                    blueColumns.set(x);
                }
                if (near(rgb, 0xe07b00)) {
                    orangeColumns.set(x);
                }
            }
        }
        LOG.info("screenshot {}: {}x{}, {} columns hold the first series colour, {} the second", SCREENSHOT.toAbsolutePath(),
                image.getWidth(), image.getHeight(), blueColumns.cardinality(), orangeColumns.cardinality());
        // The four legends' 14-unit swatches cover under 100 columns at this window size; the lines 780-980 (measured).
        assertThat(blueColumns.cardinality()).as("columns of the first series' lines in the screenshot").isGreaterThan(300);
        assertThat(orangeColumns.cardinality()).as("columns of the second series' lines in the screenshot").isGreaterThan(300);
    }

    private static boolean near(int rgb, int target) {
        for (int shift = 0; shift <= 16; shift += 8) {
            if (Math.abs(((rgb >> shift) & 0xff) - ((target >> shift) & 0xff)) > 24) {
                return false;
            }
        }
        return true;
    }

    private static int count(Map<String, Map<String, String>> series, String id) {
        assertThat(series).as("series drawn").containsKey(id);
        return Integer.parseInt(series.get(id).get("data-count"));
    }

    /** The attributes of every {@code <tag ...>} start tag in Chromium's serialised DOM. */
    private static List<Map<String, String>> attributes(String dom, String tag) {
        List<Map<String, String>> result = new ArrayList<>();
        Matcher element = Pattern.compile("<" + tag + "(\\s[^>]*)?>").matcher(dom);
        Pattern attribute = Pattern.compile("([\\w-]+)=\"([^\"]*)\"");
        while (element.find()) {
            Map<String, String> attrs = new LinkedHashMap<>();
            if (element.group(1) != null) {
                Matcher a = attribute.matcher(element.group(1));
                while (a.find()) {
                    attrs.put(a.group(1), a.group(2).replace("&amp;", "&").replace("&quot;", "\""));
                }
            }
            result.add(attrs);
        }
        return result;
    }

    /**
     * Runs headless Chromium once with the flags these machines need (no sandbox as root, no background networking
     * on a closed network, a fresh profile) and a virtual-time budget, so the page's script runs its first refreshes
     * before the DOM is dumped or the screenshot taken.
     */
    private static String chromium(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--virtual-time-budget=5000",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chromium-profile-")));
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(dir, "chromium-", ".out");
        Path stderr = Files.createTempFile(dir, "chromium-", ".err");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        try {
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("chromium finished: %s", command).isTrue();
        } finally {
            process.destroyForcibly();
        }
        assertThat(process.exitValue()).as("chromium exit code; stderr: %s", Files.readString(stderr)).isZero();
        return Files.readString(stdout);
    }

    private static void replay(EmbeddedKafka kafka, String topic, ClickEventFactory factory, List<Session> sessions)
            throws InterruptedException {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(ReplayTool.producerConfig(kafka.bootstrapServers(), Map.of()))) {
            Replayer replayer = new Replayer(producer, topic, factory, AvroCodec.clickEvents(),
                    new TokenBucketPacer(RATE, TokenBucketPacer.defaultBurst(RATE), Ticker.SYSTEM), Ticker.SYSTEM,
                    Duration.ofSeconds(2), progress -> { });
            ReplaySummary summary = replayer.run(sessions, Long.MAX_VALUE, 0);
            LOG.info("{}", summary.describe());
            assertThat(summary.complete()).isTrue();
        }
    }

    private static JsonNode lastPoint(JsonNode series) {
        JsonNode points = series.path("points");
        return points.size() == 0 ? JSON.missingNode() : points.get(points.size() - 1);
    }

    private static JsonNode awaitJson(URI dashboard, String path, Predicate<JsonNode> condition, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(dashboard.resolve(path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
            last = JSON.readTree(response.body());
            if (condition.test(last)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("timed out waiting until " + what + "; last " + path + ": " + last);
    }

    private static List<Recommendation> readCommitted(String bootstrap, String topic, int expected) {
        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        List<Recommendation> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (codec.decode(record.value()) instanceof DecodeResult.Decoded<Recommendation> d) {
                        out.add(d.value());
                    }
                }
            }
        }
        assertThat(out).as("committed recommendations").hasSize(expected);
        return out;
    }

    private static String userWithMostEvents(ReplayPlan plan, ClickEventFactory factory, int min, int max) {
        Map<String, Integer> perUser = new LinkedHashMap<>();
        for (SessionEvent e : plan.events()) {
            perUser.merge(factory.userId(e.session()), 1, Integer::sum);
        }
        return perUser.entrySet().stream().filter(e -> e.getValue() >= min && e.getValue() <= max)
                .max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /** v1: a small GRU4Rec trained one epoch on rsc15-100k train_full; v2: the same trained one more epoch. */
    private static void trainTwoVersions(SessionDataset train, Path v1, Path v2) throws IOException {
        long t0 = System.nanoTime();
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, Gru4RecParams.defaults()
                .with("layers", "32").with("batch_size", "32").with("n_sample", "256").with("n_epochs", "1"));
        Gru4RecModel model = prepared.model();
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        trainer.train(prepared.sessions(), TrainingListener.NONE);
        model.bumpVersion(1);
        ModelSnapshot.save(model, null, v1);
        trainer.train(prepared.sessions(), TrainingListener.NONE);
        model.bumpVersion(2);
        ModelSnapshot.save(model, null, v2);
        LOG.info("trained v1 and v2 in {} ms", (System.nanoTime() - t0) / 1_000_000);
    }
}
