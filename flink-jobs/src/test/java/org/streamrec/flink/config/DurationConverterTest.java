package org.streamrec.flink.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class DurationConverterTest {

    private final DurationConverter converter = new DurationConverter();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            30 min | PT30M
            30min  | PT30M
            30m    | PT30M
            5 ms   | PT0.005S
            500ms  | PT0.5S
            30 s   | PT30S
            2s     | PT2S
            1h     | PT1H
            1 h    | PT1H
            1 d    | PT24H
            PT2S   | PT2S
            250    | PT0.25S
            0s     | PT0S
            """)
    void acceptsTheJobsAndTheToolsFormerSpellingsAndFlinksOwn(String text, String expected) {
        assertThat(converter.convert(text)).isEqualTo(Duration.parse(expected));
    }

    @Test
    void garbageIsAnErrorThatShowsHowToWriteADuration() {
        assertThatThrownBy(() -> converter.convert("soon"))
                .isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("'soon' is not a duration")
                .hasMessageContaining("30m")
                .hasMessageContaining("30 min");
        assertThatThrownBy(() -> converter.convert("5 mins")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> converter.convert(" ")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Command
    static final class WithDuration {
        @Option(names = "--gap", defaultValue = "30 min", converter = DurationConverter.class)
        Duration gap;
    }

    @Test
    void picocliNamesTheOptionWhenTheValueIsNoDuration() {
        assertThatThrownBy(() -> new CommandLine(new WithDuration()).parseArgs("--gap", "later"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--gap")
                .hasMessageContaining("'later' is not a duration");
    }
}
