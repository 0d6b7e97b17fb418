package org.streamrec.tools.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load harness against deploy/local's standalone deployment ({@code --cluster local}): {@code up.sh --no-jobs}
 * starts a real Kafka broker, a Flink JobManager and a TaskManager as separate JVMs; each guarantee's serving job
 * is the shaded job jar submitted by {@code submit.sh} and cancelled through the REST API; {@code stop.sh} stops
 * everything at the end. This JVM runs only the replay and the answer consumer. Asserted: every event of every
 * reported step answered exactly once, CPU and RSS read from /proc for each of the four processes, the job's
 * consumer-group lag read (and back to 0 once the offsets of the last checkpoint are committed), the warm-up step
 * absent from the results and its checkpoint requests completed, and every process stopped. Counts only, never
 * times: the machine is shared.
 *
 * <p>Like {@code LocalClusterE2EIT}, it runs after this build has packaged the job jar (the harness passes
 * {@code STREAMREC_NO_BUILD=1} to the scripts); it has a run directory of its own.
 */
@Tag("e2e")
class LoadTestLocalClusterIT {

    @TempDir
    Path temp;

    @Test
    void standaloneClusterRunAnswersEveryEventOnceAndMeasuresEachProcess() throws Exception {
        Path repo = Path.of("").toAbsolutePath().getParent();
        Path runDir = repo.resolve("deploy/local/run/loadtest-it");
        StringWriter log = new StringWriter();
        Path csv = temp.resolve("results.csv");
        Path json = temp.resolve("results.json");
        LoadTest test = LoadTest.parse(new PrintWriter(log, true),
                "--cluster", "local", "--repo-dir", repo.toString(), "--run-dir", runDir.toString(),
                "--epochs", "0", "--model-cache", temp.resolve("models").toString(),
                "--rates", "400", "--duration", "3s", "--warmup", "0s", "--warmup-step", "200:2s",
                // A few checkpoint requests through the standalone JobManager's REST API, not the 200 that would add
                // seconds of idle checkpoints to each job here.
                "--warmup-checkpoints", "2",
                "--parallelism", "1", "--checkpoint-interval", "500ms", "--csv", csv.toString(), "--json", json.toString());

        LoadTest.Report report;
        try {
            report = test.run();
        } finally {
            System.out.println(log);
        }

        List<StepResult> steps = report.steps();
        // One reported step per guarantee: the warm-up steps (200/s for 2 s = 400 events each) are not among them.
        assertThat(steps).extracting(StepResult::guarantee, StepResult::rate, StepResult::parallelism).containsExactly(
                org.assertj.core.groups.Tuple.tuple("at-least-once", "400", 1),
                org.assertj.core.groups.Tuple.tuple("exactly-once", "400", 1));
        assertThat(log.toString()).contains("warm-up step (not reported)");
        // Each job's warm-up got its checkpoints from the standalone JobManager's REST API.
        assertThat(Pattern.compile("warm-up step \\(not reported\\).*, 2 of 2 requested checkpoints").matcher(log.toString())
                .results().count()).as("warm-ups with both checkpoints\n%s", log).isEqualTo(2);
        for (StepResult step : steps) {
            String where = step.guarantee() + "\n" + log;
            assertThat(step.sent()).as("sent in %s", where).isEqualTo(1200);
            assertThat(step.answered()).as("answered in %s", where).isEqualTo(step.sent());
            assertThat(step.duplicates()).as("duplicates in %s", where).isZero();
            assertThat(step.timed()).isEqualTo(step.answered());
            Map<String, ProcessUsage> processes = step.processes();
            assertThat(processes).as("processes in %s", where).containsOnlyKeys("broker", "jobmanager", "taskmanager", "harness");
            processes.forEach((name, usage) -> {
                assertThat(usage.cores()).as("cores of %s in %s", name, where).isPositive();
                assertThat(usage.peakRssMib()).as("RSS of %s in %s", name, where).isGreaterThan(50);
            });
            // The lag was read during the step and reached 0 after the drain. At most the 1,200 events of the step plus
            // the 400 of the warm-up, whose offsets may still be uncommitted when the step starts.
            assertThat(step.maxGroupLag()).as("max group lag in %s", where).isBetween(1L, 1600L);
            assertThat(step.finalGroupLag()).as("final group lag in %s", where).isZero();
            assertThat(step.groupLagZeroMs()).as("ms until the group lag read 0 in %s", where).isNotNegative();
            // Checkpoints every 500 ms during the step: read from the standalone JobManager's REST API.
            assertThat(step.checkpoints().count()).as("checkpoints in %s", where).isPositive();
            assertThat(step.checkpoints().maxSyncMs()).as("checkpoint sync in %s", where).isNotNegative();
        }
        List<String> csvLines = Files.readAllLines(csv);
        assertThat(csvLines).hasSize(1 + steps.size());
        assertThat(csvLines.get(0)).contains("max_group_lag", "final_group_lag", "group_lag_zero_ms", "cores_broker", "peak_rss_mib_taskmanager",
                "cores_harness", "parallelism", "batch_max_size", "batch_max_delay_ms", "checkpoint_sync_max_ms");
        assertThat(Files.readString(json)).contains("\"processes\"", "\"taskmanager\"", "\"maxGroupLag\"", "\"maxSyncMs\"");
        assertThat(log.toString()).contains("load test summary");
        // stop.sh ran: none of the recorded processes is left.
        for (String name : List.of("kafka", "jobmanager", "taskmanager")) {
            Path pidFile = runDir.resolve("pids").resolve(name + ".pid");
            assertThat(pidFile).as("%s still recorded as running", name).doesNotExist();
        }
    }
}
