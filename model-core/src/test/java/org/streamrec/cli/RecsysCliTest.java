package org.streamrec.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RecsysCliTest {

    private static final Path RSC15 = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = RecsysCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void baselinesPrintsOneJsonObjectWithTheReferenceNumbers() throws Exception {
        Run run = run("baselines",
                "--train", RSC15.resolve("yoochoose-clicks-100k_train_full.txt").toString(),
                "--test", RSC15.resolve("yoochoose-clicks-100k_test.txt").toString(),
                "--format", "json", "--only", "pop,markov,itemknn,vsknn");

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("items").asInt()).isEqualTo(2933);
        assertThat(json.get("excludeSeen").asBoolean()).isFalse();
        Map<String, JsonNode> byName = new HashMap<>();
        json.get("results").forEach(r -> byName.put(r.get("name").asText(), r));
        assertThat(byName).containsOnlyKeys("pop", "markov", "itemknn", "vsknn");
        for (JsonNode r : byName.values()) {
            assertThat(r.get("predictions").asLong()).isEqualTo(10_152);
            assertThat(r.get("fitSeconds").asDouble()).isNotNegative();
            assertThat(r.get("coverage@20").asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(byName.get("markov").get("recall@20").asDouble()).isCloseTo(0.5874, within(0.0006));
        assertThat(byName.get("markov").get("mrr@20").asDouble()).isCloseTo(0.3466, within(0.0006));
        assertThat(byName.get("pop").get("recall@20").asDouble()).isCloseTo(0.0894, within(0.0006));
        assertThat(byName.get("itemknn").get("recall@20").asDouble()).isCloseTo(0.3860, within(0.0006));
        assertThat(byName.get("vsknn").get("recall@20").asDouble()).isGreaterThan(byName.get("itemknn").get("recall@20").asDouble());
        assertThat(run.err()).contains("10,152 / 10,152 predictions");
    }

    @Test
    void tableFormatAndExcludeSeenAreReported() {
        Run run = run("baselines",
                "--train", RSC15.resolve("yoochoose-clicks-100k_train_tr.txt").toString(),
                "--test", RSC15.resolve("yoochoose-clicks-100k_train_valid.txt").toString(),
                "--exclude-seen", "--only", "markov");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("R@20", "MRR@20", "markov", "EXCLUDED from the ranking");
    }

    @Test
    void unknownBaselineIsAUsageError() {
        Run run = run("baselines", "--train", "x", "--test", "y", "--only", "gru");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("unknown baseline 'gru'");
    }
}
