package org.streamrec.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code recsys train} then {@code recsys evaluate} on rsc15-100k, in-process. */
class Gru4RecCliTest {

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = RecsysCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void trainsSavesAndEvaluatesASnapshot() throws Exception {
        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        Path model = tmp.resolve("model");
        Run train = run("train", "--train", data.resolve("yoochoose-clicks-100k_train_full.txt").toString(),
                "--out", model.toString(), "--params", "rsc15-xe", "--epochs", "2", "-p", "n_sample=256", "--layers", "64");
        assertThat(train.exit()).as(train.err()).isZero();
        assertThat(train.err()).contains("epoch 1/2").contains("events/s").contains("ETA");
        assertThat(train.out()).contains("trained 2 epochs");
        assertThat(model.resolve("manifest.json")).exists();

        Run eval = run("evaluate", "--model", model.toString(),
                "--test", data.resolve("yoochoose-clicks-100k_test.txt").toString(), "--format", "json");
        assertThat(eval.exit()).as(eval.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(eval.out());
        assertThat(json.get("predictions").asLong()).isEqualTo(10_152);
        // POP reaches 0.0894 on this split (shared/data/README.md).
        assertThat(json.get("recall@20").asDouble()).isGreaterThan(0.4);
        assertThat(json.get("mrr@20").asDouble()).isGreaterThan(0.15);

        Run table = run("evaluate", "--model", model.toString(),
                "--test", data.resolve("yoochoose-clicks-100k_test.txt").toString());
        assertThat(table.exit()).isZero();
        assertThat(table.out()).contains("R@20").contains("gru4rec");
    }

    @Test
    void corruptedSnapshotFailsWithTheFileName() throws Exception {
        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        Path model = tmp.resolve("model");
        Run train = run("train", "--train", data.resolve("yoochoose-clicks-100k_test.txt").toString(),
                "--out", model.toString(), "--epochs", "1", "--layers", "8", "-p", "n_sample=16");
        assertThat(train.exit()).as(train.err()).isZero();
        Files.writeString(model.resolve("vocabulary.txt"), "tampered\n");
        Run eval = run("evaluate", "--model", model.toString(),
                "--test", data.resolve("yoochoose-clicks-100k_test.txt").toString());
        assertThat(eval.exit()).isEqualTo(2);
        assertThat(eval.err()).contains("vocabulary.txt");
    }

    @Test
    void unknownParameterIsAUsageError() {
        Run train = run("train", "--train", "x.tsv", "--out", tmp.toString(), "-p", "no_such_param=1");
        assertThat(train.exit()).isEqualTo(2);
        assertThat(train.err()).contains("no_such_param");
    }
}
