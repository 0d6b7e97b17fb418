package org.streamrec.tools.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.streamrec.tools.flink.FlinkRest;
import org.streamrec.tools.loadtest.LoadTestOptions.JobSettings;
import org.streamrec.tools.loadtest.LoadTestOptions.WarmupStep;
import org.streamrec.flink.serving.RecommenderConfig;

class LoadTestOptionsTest {

    private static LoadTest parse(String... args) {
        return LoadTest.parse(new PrintWriter(new StringWriter()), args);
    }

    /** The serving job's configuration as the harness would start its {@code index}-th job. */
    private static RecommenderConfig servingConfig(LoadTest test, JobSettings job, int index) {
        return RecommenderConfig.parse(
                test.options.jobArgs("127.0.0.1:9092", Path.of("/tmp/model"), job, index).toArray(String[]::new));
    }

    private static RecommenderConfig firstServingConfig(LoadTest test) {
        return servingConfig(test, test.options.jobs().get(0), 1);
    }

    @Test
    void oneJobPerGuaranteeWithTheDefaults() {
        assertThat(parse().options.jobs()).containsExactly(
                new JobSettings("at-least-once", 2, 128, Duration.ofMillis(5)),
                new JobSettings("exactly-once", 2, 128, Duration.ofMillis(5)));
    }

    @Test
    void listsExpandToEveryCombinationGuaranteeOutermost() {
        List<JobSettings> jobs = parse("--guarantees", "exactly-once,at-least-once", "--parallelism", "1,2",
                "--batch-max-size", "32,128,512", "--batch-max-delay", "2ms,10ms").options.jobs();
        assertThat(jobs).hasSize(2 * 2 * 3 * 2);
        assertThat(jobs).doesNotHaveDuplicates();
        assertThat(jobs.get(0)).isEqualTo(new JobSettings("exactly-once", 1, 32, Duration.ofMillis(2)));
        assertThat(jobs.get(1)).isEqualTo(new JobSettings("exactly-once", 1, 32, Duration.ofMillis(10)));
        assertThat(jobs.get(2)).isEqualTo(new JobSettings("exactly-once", 1, 128, Duration.ofMillis(2)));
        assertThat(jobs.get(6)).isEqualTo(new JobSettings("exactly-once", 2, 32, Duration.ofMillis(2)));
        assertThat(jobs.get(12)).isEqualTo(new JobSettings("at-least-once", 1, 32, Duration.ofMillis(2)));
        assertThat(jobs.stream().mapToInt(JobSettings::parallelism).max().orElseThrow()).isEqualTo(2);
    }

    @Test
    void theSinkLingerDefaultsToTheServingJobsOwn() {
        LoadTest test = parse();
        RecommenderConfig job = firstServingConfig(test);
        assertThat(test.options.sinkLinger).isEqualTo(RecommenderConfig.parse("--model-uri", "m").sinkLinger());
        assertThat(job.sinkLinger()).isEqualTo(test.options.sinkLinger);
    }

    @Test
    void theScoreBoundRankIsTheJobsOwnUnlessGiven() {
        LoadTest defaults = parse();
        assertThat(firstServingConfig(defaults).scoreBoundRank())
                .isEqualTo(RecommenderConfig.parse("--model-uri", "m").scoreBoundRank());
        LoadTest unpruned = parse("--score-bound-rank", "0");
        assertThat(firstServingConfig(unpruned).scoreBoundRank()).isZero();
    }

    @Test
    void theStateChangelogIsTheJobsOwnUnlessGiven() {
        LoadTest defaults = parse();
        assertThat(firstServingConfig(defaults).stateChangelog()).isEmpty();
        LoadTest on = parse("--state-changelog");
        assertThat(firstServingConfig(on).stateChangelog()).contains(true);
        LoadTest off = parse("--no-state-changelog");
        assertThat(firstServingConfig(off).stateChangelog()).contains(false);
    }

    @Test
    void aTypoInAGuaranteeFailsBeforeAnythingStarts() {
        assertThatThrownBy(() -> parse("--guarantees", "at-least-once,exactly_once").options.jobs())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly_once");
    }

    @Test
    void eachJobsFlagsCarryItsSettingsAndItsOwnTopicsAndGroup() {
        LoadTest test = parse("--parallelism", "1,2", "--batch-max-size", "32", "--batch-max-delay", "10ms",
                "--checkpoint-interval", "2s");
        List<JobSettings> jobs = test.options.jobs();
        RecommenderConfig first = servingConfig(test, jobs.get(0), 1);
        RecommenderConfig second = servingConfig(test, jobs.get(1), 2);
        assertThat(first.parallelism()).isEqualTo(1);
        assertThat(second.parallelism()).isEqualTo(2);
        assertThat(first.checkpointInterval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(first.eventsTopic()).isNotEqualTo(second.eventsTopic());
        assertThat(first.recommendationsTopic()).isNotEqualTo(second.recommendationsTopic());
        assertThat(first.groupId()).isNotEqualTo(second.groupId());
        assertThat(first.modelUri().toString()).isEqualTo("file:///tmp/model");
    }

    @Test
    void warmupStepIsRateColonDurationOrNone() {
        assertThat(WarmupStep.parse("2000:15s")).isEqualTo(new WarmupStep("2000", Duration.ofSeconds(15)));
        assertThat(WarmupStep.parse("max:5s")).isEqualTo(new WarmupStep("max", Duration.ofSeconds(5)));
        assertThat(WarmupStep.parse("none")).isNull();
        assertThatThrownBy(() -> WarmupStep.parse("2000")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WarmupStep.parse("fast:10s")).isInstanceOf(NumberFormatException.class);
        assertThat(parse().options.warmupStep).isEqualTo("5000:60s");
    }

    @Test
    void theWarmupRequestsTwoHundredCheckpointsUnlessToldOtherwise() {
        assertThat(parse().options.warmupCheckpoints).isEqualTo(200);
        assertThat(parse("--warmup-checkpoints", "0").options.warmupCheckpoints).isZero();
        assertThatThrownBy(() -> parse("--warmup-checkpoints", "-1").run())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--warmup-checkpoints");
    }

    @Test
    void checkpointSummaryKeepsTheStepsCheckpointsAndTheirLongestParts() {
        List<FlinkRest.CheckpointStat> history = List.of(
                new FlinkRest.CheckpointStat(4, 5_000, 90, 40, 3),
                new FlinkRest.CheckpointStat(3, 3_000, 400, 310, 12),
                new FlinkRest.CheckpointStat(2, 2_000, 150, 60, 80),
                new FlinkRest.CheckpointStat(1, 999, 2_000, 1_500, 900));

        CheckpointSummary step = CheckpointSummary.of(history, 1_000, 4_000);

        assertThat(step).isEqualTo(new CheckpointSummary(2, 310, 80, 400));
        assertThat(CheckpointSummary.of(history, 6_000, 7_000)).isEqualTo(new CheckpointSummary(0, -1, -1, -1));
    }

    @Test
    void latencySeriesGroupsAnswersBySecondOfCreation() {
        long start = 1_000_000;
        long[] created = {start + 10, start + 999, start + 1000, start + 2500, start + 2600};
        long[] visible = {30, 50, 40, 400, 20};
        long[] emit = {20, 45, 35, 390, 15};

        List<String> lines = StepRunner.latencySeries("at-least-once alo1-5000", created, visible, emit, start);

        assertThat(lines).containsExactly(
                "at-least-once alo1-5000,0,2,30,50,50,45",
                "at-least-once alo1-5000,1,1,40,40,40,35",
                "at-least-once alo1-5000,2,2,20,400,400,390");
    }
    @Test
    void flinkConfIsRepeatableAndRefusedForTheLocalCluster() {
        assertThat(parse("--flink-conf", "execution.checkpointing.incremental=false",
                "--flink-conf", "execution.checkpointing.unaligned.enabled=true").options.flinkConf)
                .containsExactly(java.util.Map.entry("execution.checkpointing.incremental", "false"),
                        java.util.Map.entry("execution.checkpointing.unaligned.enabled", "true"));
        assertThatThrownBy(() -> parse("--cluster", "local", "--flink-conf", "a=b").run())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--flink-conf");
    }
}
