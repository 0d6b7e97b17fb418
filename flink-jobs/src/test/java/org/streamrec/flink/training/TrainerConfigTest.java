package org.streamrec.flink.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine.ParameterException;

class TrainerConfigTest {

    @TempDir
    Path dir;

    @Test
    void yamlFileOverridesDefaultsAndFlagsOverrideTheFile() throws Exception {
        Path file = dir.resolve("trainer.yaml");
        Files.writeString(file, """
                bootstrap-servers: broker:9093
                model-store: file:///store/from-file
                publish-every-events: 500
                publish-every: 30 s
                params: rsc15-xe
                """);
        TrainerConfig c = TrainerConfig.parse("--config", file.toString(), "--publish-every-events", "50",
                "-p", "layers=16", "-p", "batch_size=8");
        assertThat(c.bootstrapServers()).isEqualTo("broker:9093");
        assertThat(c.modelStore()).isEqualTo("file:///store/from-file");
        assertThat(c.publishEveryEvents()).isEqualTo(50);
        assertThat(c.publishEvery()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.eventsTopic()).isEqualTo("events");
        assertThat(c.modelName()).isEqualTo("model");
        // Built-in rsc15-xe with the flags' overrides.
        assertThat(c.gru4recParams().layers()).isEqualTo(16);
        assertThat(c.gru4recParams().batchSize()).isEqualTo(8);
        assertThat(c.gru4recParams().learningRate()).isEqualTo(0.2);
        TrainerSettings s = c.settings();
        assertThat(s.publishEveryMillis()).isEqualTo(30_000);
        assertThat(s.params()).containsEntry("layers", "16");
    }

    @Test
    void invalidSettingsAreRejectedWithTheOptionNamed() throws Exception {
        assertThatThrownBy(() -> TrainerConfig.parse("--publish-every-events", "0"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--model-store is required")
                .hasMessageContaining("--publish-every-events must be at least 1");
        assertThatThrownBy(() -> TrainerConfig.parse("--model-store", "file:///s", "--events-topic", "x",
                "--model-updates-topic", "x", "--session-gap", "0 s", "-p", "no_such_key=1"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("topic 'x' is used for two purposes")
                .hasMessageContaining("--session-gap must be positive")
                .hasMessageContaining("unknown GRU4Rec parameter 'no_such_key'");
        Path file = dir.resolve("typo.properties");
        Files.writeString(file, "model-stor=file:///s\n");
        assertThatThrownBy(() -> TrainerConfig.parse("--config", file.toString()))
                .isInstanceOf(ParameterException.class).hasMessageContaining("unknown option(s) [model-stor]");
    }
}
