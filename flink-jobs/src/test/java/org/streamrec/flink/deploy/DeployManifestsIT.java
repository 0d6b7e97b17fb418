package org.streamrec.flink.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.io.IOException;
import java.io.Reader;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.flink.training.TrainerConfig;
import org.streamrec.flink.training.TrainerJob;

/**
 * Validates the deployment files users run without us: the Kubernetes manifests ({@code deploy/k8s}), the compose
 * file ({@code deploy/compose}) and the image they share ({@code deploy/docker/Dockerfile}). No Kubernetes or Docker
 * engine exists here, so this test checks what would make them fail at deploy time or silently misbehave: job
 * flags and config files the jobs' own parsers reject, topics the jobs use but nobody creates, a non-compacted
 * model-updates topic, image and jar names that disagree with each other or with what the build produces, versions
 * that drift from the ones the code is built against, ports published beyond 127.0.0.1, ephemeral checkpoint
 * storage. It is an IT (Failsafe, after {@code package}) because it checks that the files the Dockerfile copies
 * exist in the build output.
 */
class DeployManifestsIT {

    private static final Pattern FLINK_RUN_ENTRY = Pattern.compile("-c\\s+(\\S+)\\s+\\\\?\\s*(\\S+\\.jar)");

    private static Path repo;
    private static Dockerfile dockerfile;
    private static List<Map<String, Object>> kafkaResources;
    private static Map<String, Object> compose;

    @BeforeAll
    static void load() throws IOException {
        // Failsafe runs in the module directory.
        repo = Path.of("").toAbsolutePath().getParent();
        assertThat(repo.resolve("deploy")).as("repository root").isDirectory();
        dockerfile = Dockerfile.read(repo.resolve("deploy/docker/Dockerfile"));
        kafkaResources = yamlDocuments(repo.resolve("deploy/k8s/kafka.yaml"));
        compose = yamlMap(yamlDocuments(repo.resolve("deploy/compose/compose.yaml")).get(0));
    }

    // ------------------------------------------------------------------ the image

    @Test
    void imageBuildsOnTheFlinkVersionTheJobsAreCompiledAgainstAndCopiesFilesTheBuildProduces() {
        assertThat(dockerfile.baseImage()).startsWith("flink:" + EnvironmentInformation.getVersion() + "-");
        assertThat(dockerfile.baseImage()).contains("java17");
        for (String source : dockerfile.copySources()) {
            assertThat(repo.resolve(source)).as("Dockerfile COPY source %s (built by ./mvnw package)", source).isRegularFile();
        }
        // The jars the image adds to Flink's lib/: ND4J with the natives of the image's platform.
        assertThat(repo.resolve("deploy/docker/image-lib.xml")).content()
                .contains("<artifactId>nd4j-native</artifactId>", "<classifier>${javacpp.platform}</classifier>");
        assertThat(dockerfile.documentedTag()).isEqualTo("streamrec/flink-jobs:" + projectVersion());
    }

    // ------------------------------------------------------------------ Kubernetes

    @Test
    void kafkaClusterRunsTheBrokerVersionOfTheClientsAndAllowsTheSinkTransactionTimeout() {
        Map<String, Object> kafka = single(kafkaResources, "Kafka");
        Map<String, Object> spec = yamlMap(yamlMap(kafka.get("spec")).get("kafka"));
        assertThat(String.valueOf(spec.get("version"))).isEqualTo(AppInfoParser.getVersion());
        long brokerMaxTimeout = Long.parseLong(String.valueOf(yamlMap(spec.get("config")).get("transaction.max.timeout.ms")));
        assertThat(Duration.ofMillis(brokerMaxTimeout)).isGreaterThan(RecommenderConfig.parse("--model-uri", "x").transactionTimeout());
        assertThat(plainListenerBootstrap()).isEqualTo(name(kafka) + "-kafka-bootstrap:9092");
    }

    @Test
    void everyTopicTheJobsUseIsCreatedAndModelUpdatesIsCompacted() {
        Map<String, Map<String, Object>> topics = kafkaTopics();
        for (Map<String, Object> deployment : flinkDeployments()) {
            assertThat(topics.keySet()).as("KafkaTopics for %s", name(deployment)).containsAll(topicsOf(parsedJobConfig(deployment)));
        }
        Map<String, Object> config = yamlMap(yamlMap(topics.get("model-updates").get("spec")).get("config"));
        assertThat(config).containsEntry("cleanup.policy", "compact");
        for (Map<String, Object> topic : topics.values()) {
            assertThat(yamlMap(topic.get("metadata")).get("labels")).as("topic %s", name(topic))
                    .isEqualTo(Map.of("strimzi.io/cluster", name(single(kafkaResources, "Kafka"))));
        }
    }

    @Test
    void flinkDeploymentsRunTheImageJarAndEntryClassesWithFlagsTheJobsAccept() throws Exception {
        List<Map<String, Object>> deployments = flinkDeployments();
        assertThat(deployments).extracting(d -> job(d).get("entryClass"))
                .containsExactlyInAnyOrder(RecommenderJob.class.getName(), TrainerJob.class.getName());
        for (Map<String, Object> deployment : deployments) {
            Map<String, Object> spec = yamlMap(deployment.get("spec"));
            assertThat(deployment.get("apiVersion")).isEqualTo("flink.apache.org/v1beta1");
            assertThat(spec.get("image")).isEqualTo(dockerfile.documentedTag());
            assertThat(spec.get("flinkVersion")).isEqualTo(operatorFlinkVersion());
            Map<String, Object> job = job(deployment);
            assertThat(job.get("jarURI")).isEqualTo("local://" + dockerfile.jobJarInImage());
            assertThat(job.get("upgradeMode")).isEqualTo("savepoint");
            Method main = Class.forName(String.valueOf(job.get("entryClass"))).getMethod("main", String[].class);
            assertThat(main).isNotNull();
            Object config = parsedJobConfig(deployment);
            assertThat(invoke(config, "bootstrapServers")).isEqualTo(plainListenerBootstrap());
        }
    }

    @Test
    void flinkDeploymentsKeepStateInRocksDbOnDurableStorageAndLoadNd4jParentFirst() {
        for (Map<String, Object> deployment : flinkDeployments()) {
            Map<String, Object> flink = yamlMap(yamlMap(deployment.get("spec")).get("flinkConfiguration"));
            assertThat(flink).as(name(deployment)).containsEntry("state.backend.type", "rocksdb");
            assertThat(String.valueOf(flink.get("execution.checkpointing.dir"))).matches("(s3|hdfs|gs|abfss?)://.+");
            assertThat(String.valueOf(flink.get("execution.checkpointing.savepoint-dir"))).matches("(s3|hdfs|gs|abfss?)://.+");
            assertThat(String.valueOf(flink.get("classloader.parent-first-patterns.additional")).split(";"))
                    .contains("org.nd4j", "org.bytedeco");
            // The job sets its own interval from --checkpoint-interval; a second one here would be dead config.
            assertThat(flink).doesNotContainKey("execution.checkpointing.interval");
            Object config = parsedJobConfig(deployment);
            for (String uri : modelUris(config)) {
                assertThat(uri).as("model location of %s", name(deployment)).matches("(s3|hdfs|gs|abfss?)://.+");
            }
        }
    }

    // ------------------------------------------------------------------ compose

    @Test
    void composeRunsTheSameImageAndBrokerVersionAndPublishesPortsOnLoopbackOnly() {
        Map<String, Object> services = yamlMap(compose.get("services"));
        assertThat(services).containsKeys("kafka", "create-topics", "jobmanager", "taskmanager", "submit-jobs");
        for (Map.Entry<String, Object> service : services.entrySet()) {
            Map<String, Object> s = yamlMap(service.getValue());
            String image = String.valueOf(s.get("image"));
            if (image.startsWith("apache/kafka:")) {
                assertThat(image).isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
            } else {
                assertThat(image).as("image of %s", service.getKey()).isEqualTo(dockerfile.documentedTag());
            }
            for (Object port : list(s.get("ports"))) {
                assertThat(String.valueOf(port)).as("published port of %s", service.getKey()).startsWith("127.0.0.1:");
            }
        }
        assertThat(list(yamlMap(services.get("jobmanager")).get("ports"))).contains("127.0.0.1:8081:8081");
    }

    @Test
    void composeJobConfigFilesParseAndPointAtTheBrokerAndTopicsOfTheFile() throws IOException {
        Map<String, Object> services = yamlMap(compose.get("services"));
        Map<String, Object> kafkaEnv = yamlMap(yamlMap(services.get("kafka")).get("environment"));
        String advertised = String.valueOf(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS"));
        String createTopics = String.join("\n", list(yamlMap(services.get("create-topics")).get("command")).stream()
                .map(String::valueOf).toList());
        Set<String> createdTopics = createdTopics(createTopics);
        assertThat(createTopics).containsPattern("--topic model-updates[^\\n]*(\\n[^\\n]*)?--config cleanup.policy=compact");

        Map<String, Object> submit = yamlMap(services.get("submit-jobs"));
        String submitCommand = String.join("\n", list(submit.get("command")).stream().map(String::valueOf).toList());
        Matcher entries = FLINK_RUN_ENTRY.matcher(submitCommand);
        Set<String> entryClasses = new TreeSet<>();
        while (entries.find()) {
            entryClasses.add(entries.group(1));
            assertThat(entries.group(2)).isEqualTo(dockerfile.jobJarInImage());
        }
        assertThat(entryClasses).containsExactlyInAnyOrder(RecommenderJob.class.getName(), TrainerJob.class.getName());

        Path composeDir = repo.resolve("deploy/compose");
        for (Object mount : list(submit.get("volumes"))) {
            String[] parts = String.valueOf(mount).split(":");
            Path file = composeDir.resolve(parts[0]).normalize();
            assertThat(file).as("mounted config file").isRegularFile();
            assertThat(submitCommand).contains("--config " + parts[1]);
            Object config = file.getFileName().toString().startsWith("trainer")
                    ? TrainerConfig.parse("--config", file.toString())
                    : RecommenderConfig.parse("--config", file.toString());
            String bootstrap = String.valueOf(invoke(config, "bootstrapServers"));
            assertThat(advertised).as("a listener the broker advertises").contains("PLAINTEXT://" + bootstrap);
            assertThat(createdTopics).as("topics created for %s", file.getFileName()).containsAll(topicsOf(config));
        }
    }

    // ------------------------------------------------------------------ helpers

    private static Object parsedJobConfig(Map<String, Object> deployment) {
        Map<String, Object> job = job(deployment);
        String[] args = list(job.get("args")).stream().map(String::valueOf).toArray(String[]::new);
        boolean serving = RecommenderJob.class.getName().equals(job.get("entryClass"));
        Object[] parsed = new Object[1];
        assertThatCode(() -> parsed[0] = serving ? RecommenderConfig.parse(args) : TrainerConfig.parse(args))
                .as("job.args of %s", name(deployment)).doesNotThrowAnyException();
        return parsed[0];
    }

    /** Every {@code xxxTopic()} accessor of a job's config: the set grows with the jobs without editing this test. */
    private static Set<String> topicsOf(Object config) {
        Set<String> topics = new LinkedHashSet<>();
        for (Method m : config.getClass().getMethods()) {
            if (m.getName().endsWith("Topic") && m.getParameterCount() == 0 && m.getReturnType() == String.class) {
                topics.add(String.valueOf(invoke(config, m.getName())));
            }
        }
        assertThat(topics).as("topics of %s", config.getClass().getSimpleName()).isNotEmpty();
        return topics;
    }

    private static List<String> modelUris(Object config) {
        List<String> uris = new ArrayList<>();
        for (String accessor : List.of("modelUri", "modelStore", "bootstrapModel")) {
            try {
                Object value = config.getClass().getMethod(accessor).invoke(config);
                if (value != null) {
                    uris.add(value.toString());
                }
            } catch (NoSuchMethodException e) {
                // not an option of this job
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        assertThat(uris).isNotEmpty();
        return uris;
    }

    private static Set<String> createdTopics(String script) {
        Set<String> topics = new TreeSet<>();
        Matcher loop = Pattern.compile("for topic in ([^;]+);").matcher(script);
        while (loop.find()) {
            topics.addAll(List.of(loop.group(1).trim().split("\\s+")));
        }
        Matcher single = Pattern.compile("--topic ([\\w.-]+)").matcher(script);
        while (single.find()) {
            topics.add(single.group(1));
        }
        return topics;
    }

    private static String plainListenerBootstrap() {
        Map<String, Object> kafka = single(kafkaResources, "Kafka");
        Map<String, Object> spec = yamlMap(yamlMap(kafka.get("spec")).get("kafka"));
        for (Object l : list(spec.get("listeners"))) {
            Map<String, Object> listener = yamlMap(l);
            if ("internal".equals(listener.get("type")) && Boolean.FALSE.equals(listener.get("tls"))) {
                return name(kafka) + "-kafka-bootstrap:" + listener.get("port");
            }
        }
        throw new AssertionError("deploy/k8s/kafka.yaml has no plain internal listener");
    }

    /** The operator's enum value for the Flink minor version on the classpath, e.g. 2.2.1 -> v2_2. */
    private static String operatorFlinkVersion() {
        String[] parts = EnvironmentInformation.getVersion().split("\\.");
        return "v" + parts[0] + "_" + parts[1];
    }

    private static String projectVersion() {
        try {
            var pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(repo.resolve("pom.xml").toFile());
            var children = pom.getDocumentElement().getChildNodes();
            for (int i = 0; i < children.getLength(); i++) {
                if ("version".equals(children.item(i).getNodeName())) {
                    return children.item(i).getTextContent().trim();
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read the project version from pom.xml", e);
        }
        throw new IllegalStateException("pom.xml has no <version>");
    }

    private List<Map<String, Object>> flinkDeployments() {
        List<Map<String, Object>> deployments = new ArrayList<>();
        for (String file : List.of("recommender-job.yaml", "trainer-job.yaml")) {
            try {
                for (Map<String, Object> doc : yamlDocuments(repo.resolve("deploy/k8s").resolve(file))) {
                    if ("FlinkDeployment".equals(doc.get("kind"))) {
                        deployments.add(doc);
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        assertThat(deployments).hasSize(2);
        return deployments;
    }

    private static Map<String, Map<String, Object>> kafkaTopics() {
        return kafkaResources.stream().filter(r -> "KafkaTopic".equals(r.get("kind")))
                .collect(Collectors.toMap(DeployManifestsIT::name, r -> r));
    }

    private static Map<String, Object> job(Map<String, Object> deployment) {
        return yamlMap(yamlMap(deployment.get("spec")).get("job"));
    }

    private static Map<String, Object> single(List<Map<String, Object>> resources, String kind) {
        List<Map<String, Object>> found = resources.stream().filter(r -> kind.equals(r.get("kind"))).toList();
        assertThat(found).as("resources of kind %s", kind).hasSize(1);
        return found.get(0);
    }

    private static String name(Map<String, Object> resource) {
        return String.valueOf(yamlMap(resource.get("metadata")).get("name"));
    }

    private static Object invoke(Object target, String accessor) {
        try {
            return target.getClass().getMethod(accessor).invoke(target);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(accessor, e);
        }
    }

    private static List<Map<String, Object>> yamlDocuments(Path file) throws IOException {
        List<Map<String, Object>> docs = new ArrayList<>();
        // snakeyaml-engine: the YAML parser Flink itself uses (flink-core), so no extra dependency.
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (Object doc : new Load(LoadSettings.builder().build()).loadAllFromReader(reader)) {
                if (doc != null) {
                    docs.add(yamlMap(doc));
                }
            }
        }
        assertThat(docs).as(file.toString()).isNotEmpty();
        return docs;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> yamlMap(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    private static List<Object> list(Object node) {
        if (node == null) {
            return List.of();
        }
        assertThat(node).isInstanceOf(List.class);
        return new ArrayList<>((List<?>) node);
    }

    /**
     * The few Dockerfile facts the manifests must agree with. The image is built in two stages: the build stage
     * copies the repository to {@code /src} and builds there, so a {@code COPY --from=build /src/<path>} names a
     * file of this repository's build output.
     */
    private record Dockerfile(String baseImage, List<String> copySources, String jobJarInImage, String documentedTag) {

        private static final String BUILD_ROOT = "/src/";

        static Dockerfile read(Path file) throws IOException {
            String base = null;
            String jobJar = null;
            String tag = null;
            List<String> sources = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String trimmed = line.trim();
                Matcher tagInBuildCommand = Pattern.compile("docker build .*-t (\\S+)").matcher(trimmed);
                if (tagInBuildCommand.find()) {
                    tag = tagInBuildCommand.group(1);
                } else if (trimmed.startsWith("FROM ")) {
                    base = trimmed.substring(5).trim().split("\\s+")[0]; // the last FROM is the runtime image
                } else if (trimmed.startsWith("COPY --from=build ")) {
                    String[] parts = trimmed.substring("COPY --from=build ".length()).trim().split("\\s+");
                    if (parts[0].startsWith(BUILD_ROOT)) {
                        sources.add(parts[0].substring(BUILD_ROOT.length()));
                    }
                    if (parts[1].startsWith("/opt/flink/usrlib/") && parts[1].endsWith(".jar")) {
                        jobJar = parts[1];
                    }
                }
            }
            assertThat(base).as("FROM in %s", file).isNotNull();
            assertThat(jobJar).as("COPY of the job jar to /opt/flink/usrlib in %s", file).isNotNull();
            assertThat(tag).as("the documented `docker build -t` tag in %s", file).isNotNull();
            assertThat(sources).as("files copied from the build stage").isNotEmpty();
            return new Dockerfile(base, sources, jobJar, tag);
        }
    }
}
