package org.streamrec.tools.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Callable;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.config.TopicOptions;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.tools.flink.FlinkRest;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The live dashboard: one web page on 127.0.0.1 with throughput, latency percentiles, online HR@k, the serving model
 * version timeline and a feed of recent recommendations for a chosen user, fed by the committed recommendations and
 * model-updates topics and the events topic ({@link TopicReader}) and the serving job's Flink REST metrics
 * ({@link FlinkPoller}), sampled once per {@code --sample-interval} into {@link LiveStats}. The page polls JSON
 * endpoints under {@code /api/}.
 *
 * <p>The HTTP server is the JDK's {@code com.sun.net.httpserver}: a handful of read-only GET endpoints for one or two
 * viewers need no web framework, and it adds no dependency to the job's module. The page draws its charts as inline
 * SVG with a few dozen lines of its own script instead of a chart library: nothing is fetched from a CDN at run time
 * or from npm at build time, and the drawn series stay in the DOM (polylines with their point counts), which is what
 * the headless-browser test reads.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Live web dashboard of a running streamrec pipeline (recommendations + model-updates topics, Flink REST).",
        footer = "The events topic is read to judge the answers here (HR@k from the topics); --events-topic none skips it.")
public final class Dashboard implements Callable<Integer>, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RESOURCES = "/org/streamrec/tools/dashboard/";
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html",
            "/static/dashboard.js", "dashboard.js",
            "/static/dashboard.css", "dashboard.css");

    /** The dashboard keeps its own default, 127.0.0.1:9092 (the jobs' is localhost:9092), as before the options were shared. */
    @Mixin
    KafkaOptions kafka = new KafkaOptions("127.0.0.1:9092");

    @Mixin
    TopicOptions.Recommendations recommendations;

    @Mixin
    TopicOptions.ModelUpdates modelUpdates;

    /** Input events, to judge the answers here (HR@k from the topics); 'none' skips that. */
    @Mixin
    TopicOptions.Events events;

    @Option(names = "--from-beginning", description = "Read the recommendations and events topics from their start instead of their end.")
    boolean fromBeginning;

    @Option(names = "--flink-rest", defaultValue = "http://127.0.0.1:8081",
            description = "Flink REST endpoint (JobManager web UI address); 'none' to show only what the topics say (default: ${DEFAULT-VALUE}).")
    String flinkRest;

    @Option(names = "--job-id", description = "Serving job to watch (default: the newest RUNNING job with the operator below).")
    String jobId;

    @Option(names = "--operator", defaultValue = RecommenderJob.SERVING_OPERATOR,
            description = "Name of the serving operator whose metrics are read (default: ${DEFAULT-VALUE}).")
    String operator;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8090", description = "Port to listen on; 0 = any free port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--sample-interval", defaultValue = "1s", converter = DurationConverter.class,
            description = "One chart point per interval (default: ${DEFAULT-VALUE}).")
    Duration sampleInterval;

    @Option(names = "--history", defaultValue = "900", description = "Chart points kept (default: ${DEFAULT-VALUE}).")
    int history;

    @Option(names = "--feed-size", defaultValue = "20", description = "Recommendations kept per user for the feed (default: ${DEFAULT-VALUE}).")
    int feedSize;

    @Option(names = "--max-users", defaultValue = "100000",
            description = "Users whose feed is kept; the least recently active are dropped first (default: ${DEFAULT-VALUE}).")
    int maxUsers;

    @Option(names = "--accuracy-window", defaultValue = "30s", converter = DurationConverter.class,
            description = "HR@k/MRR@k judged from the topics are plotted over this sliding window (default: ${DEFAULT-VALUE}).")
    Duration accuracyWindow;

    @Option(names = "--session-gap", defaultValue = "30 min", converter = DurationConverter.class,
            description = "The serving job's --session-gap, so answers are judged by its sessions (default: ${DEFAULT-VALUE}).")
    Duration sessionGap;

    @Option(names = "-k", defaultValue = "20", description = "The k of the job's HR@k/MRR@k, for the labels (default: ${DEFAULT-VALUE}).")
    int k;

    private LiveStats stats;
    private TopicReader reader;
    private FlinkPoller poller;
    private ScheduledExecutorService sampler;
    private ExecutorService httpThreads;
    private HttpServer server;
    private URI url;
    private long startedAt;

    public static void main(String[] args) {
        // The Kafka client logs every consumer setting at INFO; the demo's configuration keeps warnings only.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:log4j2-demo.properties");
        }
        System.exit(new CommandLine(new Dashboard()).execute(args));
    }

    /** A dashboard with the options of the command line, not started yet. */
    public static Dashboard parse(String... args) {
        CommandLine cli = new CommandLine(new Dashboard());
        cli.parseArgs(args);
        return cli.getCommand();
    }

    @Override
    public Integer call() throws Exception {
        start();
        System.out.printf("streamrec dashboard at %s (Kafka %s, topics %s + %s, Flink REST %s); Ctrl-C stops it%n",
                url, bootstrapServers(), recommendationsTopic(), modelUpdatesTopic(), flinkRest);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            close();
            stopped.countDown();
        }, "dashboard-shutdown"));
        stopped.await();
        return 0;
    }

    /** Starts reading and serving; {@link #url()} then says where. */
    public synchronized Dashboard start() throws IOException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        if (history < 2 || feedSize < 1 || maxUsers < 1 || sampleInterval.isNegative() || sampleInterval.isZero()
                || accuracyWindow.isNegative() || accuracyWindow.isZero()) {
            throw new IllegalArgumentException(
                    "--history must be >= 2, --feed-size and --max-users >= 1, --sample-interval and --accuracy-window > 0");
        }
        startedAt = System.currentTimeMillis();
        stats = new LiveStats(history, feedSize, maxUsers, accuracyWindow.toMillis(), sessionGap.toMillis(), startedAt);
        poller = "none".equalsIgnoreCase(flinkRest) ? null : new FlinkPoller(URI.create(flinkRest), jobId, operator);
        reader = new TopicReader(bootstrapServers(), recommendationsTopic(), modelUpdatesTopic(),
                "none".equalsIgnoreCase(eventsTopic()) ? null : eventsTopic(), fromBeginning, stats);
        reader.start();
        sampler = Executors.newSingleThreadScheduledExecutor(daemon("dashboard-sampler"));
        sampler.scheduleAtFixedRate(this::sampleOnce, sampleInterval.toMillis(), sampleInterval.toMillis(), TimeUnit.MILLISECONDS);

        server = HttpServer.create(new InetSocketAddress(host, port), 0);
        httpThreads = Executors.newFixedThreadPool(2, daemon("dashboard-http"));
        server.setExecutor(httpThreads);
        server.createContext("/", this::serveStatic);
        server.createContext("/api/summary", json(q -> summary()));
        server.createContext("/api/series", json(q -> Map.of("k", k, "points", stats.points())));
        server.createContext("/api/models", json(q -> Map.of("announcements", stats.announcements(),
                "served", stats.versionsServed())));
        server.createContext("/api/users", json(q -> stats.recentUsers(parseLimit(q.get("limit")))));
        server.createContext("/api/feed", json(q -> {
            String user = q.getOrDefault("user", "");
            return Map.of("user", user, "rows", stats.feed(user));
        }));
        server.start();
        url = URI.create("http://" + host + ":" + server.getAddress().getPort() + "/");
        return this;
    }

    public URI url() {
        return url;
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    String recommendationsTopic() {
        return recommendations.topic();
    }

    String modelUpdatesTopic() {
        return modelUpdates.topic();
    }

    String eventsTopic() {
        return events.topic();
    }

    private void sampleOnce() {
        try {
            stats.sample(System.currentTimeMillis(), poller == null ? null : poller.poll());
        } catch (RuntimeException e) {
            // A failed sample must not cancel the schedule (a thrown exception would); the next one tries again.
            System.err.println("dashboard: sample failed: " + e);
        }
    }

    private Map<String, Object> summary() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("startedAt", startedAt);
        s.put("now", System.currentTimeMillis());
        s.put("k", k);
        s.put("kafka", Map.of("bootstrapServers", bootstrapServers(), "recommendationsTopic", recommendationsTopic(),
                "modelUpdatesTopic", modelUpdatesTopic(), "eventsTopic", eventsTopic(), "reader", reader.status()));
        s.put("accuracyWindowMs", accuracyWindow.toMillis());
        s.put("outputAccuracy", stats.outputAccuracy());
        s.put("recommendationsRead", stats.recommendationsRead());
        s.put("undecodable", stats.undecodable());
        s.put("usersTracked", stats.usersTracked());
        List<LiveStats.VersionServed> served = stats.versionsServed();
        s.put("latestVersionRead", served.isEmpty() ? null : served.get(served.size() - 1).version());
        Map<String, Object> flink = new LinkedHashMap<>();
        flink.put("rest", poller == null ? null : poller.rest().toString());
        FlinkPoller.Reading r = stats.lastReading();
        if (r != null) {
            flink.put("jobId", r.jobId());
            flink.put("jobName", r.jobName());
            flink.put("error", r.error());
            flink.put("subtasks", r.operator().size());
            flink.put("eventsIn", FlinkRest.sum(r.operator(), "eventsIn"));
            flink.put("recommendationsOut", FlinkRest.sum(r.operator(), "recommendationsOut"));
            flink.put("fallbackRecommendationsOut", FlinkRest.sum(r.operator(), "fallbackRecommendationsOut"));
            flink.put("modelSwaps", FlinkRest.sum(r.operator(), "modelSwaps"));
            flink.put("deadLetters", r.deadLetters());
            flink.put("prequentialPredictions", FlinkRest.sum(r.operator(), "prequentialPredictions"));
            flink.put("prequentialHitRate", FlinkRest.weightedMean(r.operator(), "prequentialHitRate", "prequentialPredictions"));
            flink.put("prequentialMrr", FlinkRest.weightedMean(r.operator(), "prequentialMrr", "prequentialPredictions"));
        }
        s.put("flink", flink);
        return s;
    }

    private static int parseLimit(String value) {
        try {
            return value == null ? 50 : Math.max(1, Math.min(1000, Integer.parseInt(value)));
        } catch (NumberFormatException e) {
            return 50;
        }
    }

    private interface JsonSource {
        Object get(Map<String, String> query) throws Exception;
    }

    private static HttpHandler json(JsonSource source) {
        return exchange -> {
            try (exchange) {
                if (!"GET".equals(exchange.getRequestMethod())) {
                    send(exchange, 405, "text/plain", "GET only".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                byte[] body;
                try {
                    body = JSON.writeValueAsBytes(source.get(query(exchange.getRequestURI())));
                } catch (Exception e) {
                    send(exchange, 500, "text/plain", e.toString().getBytes(StandardCharsets.UTF_8));
                    return;
                }
                send(exchange, 200, "application/json", body);
            }
        };
    }

    private void serveStatic(HttpExchange exchange) throws IOException {
        try (exchange) {
            String resource = STATIC.get(exchange.getRequestURI().getPath());
            if (resource == null) {
                send(exchange, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
                return;
            }
            try (InputStream in = Dashboard.class.getResourceAsStream(RESOURCES + resource)) {
                if (in == null) {
                    send(exchange, 500, "text/plain", ("missing resource " + resource).getBytes(StandardCharsets.UTF_8));
                    return;
                }
                String type = resource.endsWith(".html") ? "text/html" : resource.endsWith(".js") ? "text/javascript" : "text/css";
                send(exchange, 200, type, in.readAllBytes());
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> q = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null) {
            return q;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(key, value);
        }
        return q;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
        if (httpThreads != null) {
            httpThreads.shutdownNow();
        }
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (poller != null) {
            poller.close();
            poller = null;
        }
        if (reader != null) {
            try {
                reader.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reader = null;
        }
    }
}
