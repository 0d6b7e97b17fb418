package org.streamrec.tools.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short run of the load harness with everything real (broker, MiniCluster job with RocksDB, replay, the
 * read_committed consumer, diginetica's 43,097 items): every event of every step is answered exactly once under both
 * delivery guarantees, the warm-up step of each job is not among the results and requests its checkpoints, and the
 * CSV/JSON outputs hold one row per step. Only counts are asserted, never times: the machine is shared.
 */
@Tag("e2e")
class LoadTestIT {

    @TempDir
    Path temp;

    @Test
    void everyEventOfEveryStepIsAnsweredOnceUnderBothGuarantees() throws Exception {
        StringWriter log = new StringWriter();
        Path csv = temp.resolve("results.csv");
        Path json = temp.resolve("results.json");
        LoadTest test = LoadTest.parse(new PrintWriter(log, true),
                "--epochs", "0", "--model-cache", temp.resolve("models").toString(),
                "--rates", "400,max", "--duration", "3s", "--warmup", "0s", "--max-events", "4000", "--warmup-step", "200:1s",
                "--warmup-checkpoints", "3",
                "--checkpoint-interval", "500ms", "--csv", csv.toString(), "--json", json.toString());

        LoadTest.Report report = test.run();

        List<StepResult> steps = report.steps();
        assertThat(steps).extracting(StepResult::guarantee, StepResult::rate).containsExactly(
                org.assertj.core.groups.Tuple.tuple("at-least-once", "400"),
                org.assertj.core.groups.Tuple.tuple("at-least-once", "max"),
                org.assertj.core.groups.Tuple.tuple("exactly-once", "400"),
                org.assertj.core.groups.Tuple.tuple("exactly-once", "max"));
        for (StepResult step : steps) {
            assertThat(step.sent()).as("sent in %s %s", step.guarantee(), step.rate()).isPositive();
            assertThat(step.answered()).as("answered in %s %s\n%s", step.guarantee(), step.rate(), log).isEqualTo(step.sent());
            assertThat(step.duplicates()).isZero();
            // No warm-up: every answer was timed.
            assertThat(step.timed()).isEqualTo(step.answered());
            assertThat(step.visibleMaxMs()).isGreaterThanOrEqualTo(step.visibleP99Ms());
            assertThat(step.cores()).containsKeys("total", ProcessSampler.FLINK_TASKS);
            // Embedded: broker, Flink and harness are one process.
            assertThat(step.processes()).containsOnlyKeys("harness");
            assertThat(step.processes().get("harness").peakRssMib()).isPositive();
            assertThat(step.maxGroupLag()).isPositive();
            // Checkpoints every 500 ms during a step of 3 s plus its drain: their statistics come from the REST API.
            assertThat(step.checkpoints().count()).as("checkpoints in %s %s", step.guarantee(), step.rate()).isPositive();
            assertThat(step.checkpoints().maxSyncMs()).isNotNegative();
            assertThat(step.checkpoints().maxEndToEndMs()).isGreaterThanOrEqualTo(step.checkpoints().maxSyncMs());
            // The operator's counters cover exactly the step: every answer but the fallbacks was a scored row.
            assertThat(step.scoring().rows()).as("scored rows in %s %s: %s", step.guarantee(), step.rate(), step.scoring())
                    .isEqualTo(step.answered() - step.fallback());
            assertThat(step.scoring().batches()).isBetween(1L, step.scoring().rows());
            assertThat(step.scoring().meanBatchRows()).isGreaterThanOrEqualTo(1.0);
            assertThat(step.scoring().itemsScoredInFullShare()).isGreaterThan(0.0).isLessThanOrEqualTo(1.0);
            assertThat(step.startedAtEpochMs()).isPositive();
        }
        // A paced step sends exactly rate x duration events; the unpaced one at most --max-events.
        assertThat(steps.get(0).sent()).isEqualTo(1200);
        assertThat(steps.get(1).sent()).isBetween(1L, 4000L);
        assertThat(Files.readAllLines(csv)).hasSize(1 + steps.size());
        assertThat(Files.readAllLines(csv).get(0)).contains("checkpoints", "checkpoint_sync_max_ms", "checkpoint_alignment_max_ms",
                "scoring_batches", "mean_batch_rows", "items_scored_in_full_share", "started_at_epoch_ms");
        assertThat(Files.readString(json)).contains("\"steps\"", "\"exactly-once\"");
        assertThat(log.toString()).contains("load test summary").contains("warm-up step (not reported)");
        // Each job's warm-up requested its checkpoints one by one through the REST API, and all completed (those its
        // traffic left undone after it).
        Matcher warmups = Pattern.compile("warm-up step \\(not reported\\).*, (\\d+) of 3 requested checkpoints \\((\\d+) during its traffic\\)")
                .matcher(log.toString());
        int jobsWarmed = 0;
        while (warmups.find()) {
            assertThat(Integer.parseInt(warmups.group(1))).as("checkpoints of the warm-up\n%s", log).isEqualTo(3);
            assertThat(Integer.parseInt(warmups.group(2))).isBetween(0, 3);
            jobsWarmed++;
        }
        assertThat(jobsWarmed).isEqualTo(2);
    }
}
