package org.streamrec.tools.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code deploy/local/e2e-test.sh}: a real Kafka broker and a real Flink standalone cluster (separate JVMs),
 * both jobs submitted from the shaded job jar, a replay, and the output checks the script prints. Only with
 * {@code -Pe2e}.
 *
 * <p>The script gets {@code STREAMREC_NO_BUILD=1}: this runs in Failsafe's integration-test phase, after this very
 * build has packaged the job jar and written {@code runtime-classpath.txt}; a nested {@code mvnw package} of the same
 * reactor would rebuild the files the running build uses. The script's only Maven calls are then the class-path
 * resolutions of the separate {@code deploy/local/maven/*.xml} projects, offline first (this build has just
 * resolved the same artifacts).
 */
@Tag("e2e")
class LocalClusterE2EIT {

    /** The script takes about 3 min on 2 busy cores; well above that means something hangs. */
    private static final long SCRIPT_TIMEOUT_MINUTES = 12;

    private static final Pattern SUMMARY = Pattern.compile("^(\\d+) passed, (\\d+) failed$");

    @Test
    void localClusterRunsThePipelineEndToEnd() throws IOException, InterruptedException {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path script = repo.resolve("deploy/local/e2e-test.sh");
        assertThat(script).exists();

        ProcessBuilder builder = new ProcessBuilder("bash", script.toString()).directory(repo.toFile()).redirectErrorStream(true);
        // Its own run directory, so a cluster a developer started with up.sh is left alone.
        String runDir = repo.resolve("deploy/local/run/e2e").toString();
        builder.environment().put("STREAMREC_RUN_DIR", runDir);
        builder.environment().put("STREAMREC_NO_BUILD", "1");
        String dataDir = System.getProperty("streamrec.data.dir");
        if (dataDir != null) {
            builder.environment().put("STREAMREC_DATA_DIR", dataDir);
        }
        Process process = builder.start();
        List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    System.out.println(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("reading the script's output failed: " + e);
            }
        }, "e2e-test.sh output");
        reader.start();
        if (!process.waitFor(SCRIPT_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            // Hung: stop the script, then the cluster it started (by the PIDs it recorded).
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            ProcessBuilder stop = new ProcessBuilder("bash", repo.resolve("deploy/local/stop.sh").toString()).inheritIO();
            stop.environment().put("STREAMREC_RUN_DIR", runDir);
            stop.start().waitFor(2, TimeUnit.MINUTES);
        }
        reader.join(TimeUnit.SECONDS.toMillis(30));
        String output = String.join("\n", lines);
        Files.writeString(Path.of("target", "e2e-test.log"), output + "\n");
        assertThat(process.isAlive()).as("e2e-test.sh still running after %d min:\n%s", SCRIPT_TIMEOUT_MINUTES, output).isFalse();

        Matcher summary = lines.isEmpty() ? null : SUMMARY.matcher(lines.get(lines.size() - 1));
        assertThat(summary != null && summary.matches()).as("summary line of e2e-test.sh in:\n%s", output).isTrue();
        assertThat(Integer.parseInt(summary.group(2))).as("failed checks in:\n%s", output).isZero();
        // The checks that carry the issue's promises must have run and passed, not just "nothing failed".
        assertThat(lines).anyMatch(l -> l.startsWith("PASS every-valid-event-answered:"))
                .anyMatch(l -> l.startsWith("PASS answered-exactly-once:"))
                .anyMatch(l -> l.startsWith("PASS dead-letters:"))
                .anyMatch(l -> l.startsWith("PASS model-scored:"))
                .anyMatch(l -> l.startsWith("PASS stopped:"));
        assertThat(process.exitValue()).as("exit code of e2e-test.sh").isZero();
    }
}
