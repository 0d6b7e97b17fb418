package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Gru4RecParamsTest {

    @TempDir
    Path tmp;

    @Test
    void shippedDigineticaFileIsThePublishedTunedSetting() {
        Gru4RecParams p = Gru4RecParams.builtIn("diginetica-bprmax");
        assertThat(p.loss()).isEqualTo("bpr-max");
        assertThat(p.layers()).isEqualTo(512);
        assertThat(p.batchSize()).isEqualTo(128);
        assertThat(p.dropoutPEmbed()).isEqualTo(0.5);
        assertThat(p.dropoutPHidden()).isEqualTo(0.3);
        assertThat(p.learningRate()).isEqualTo(0.05);
        assertThat(p.momentum()).isEqualTo(0.15);
        assertThat(p.nSample()).isEqualTo(2048);
        assertThat(p.sampleAlpha()).isEqualTo(0.3);
        assertThat(p.bpreg()).isEqualTo(0.9);
        assertThat(p.eluParam()).isEqualTo(1.0);
        assertThat(p.logq()).isZero();
        assertThat(p.constrainedEmbedding()).isTrue();
        assertThat(p.nEpochs()).isEqualTo(10);

        Gru4RecParams xe = Gru4RecParams.builtIn("rsc15-xe");
        assertThat(xe.loss()).isEqualTo("cross-entropy");
        assertThat(xe.logq()).isEqualTo(1.0);
    }

    @Test
    void fileValuesAreOverriddenByFlagsAndRoundTripThroughText() throws IOException {
        Path file = tmp.resolve("p.properties");
        Files.writeString(file, "# comment\nloss=bpr-max\nlayers=[64]\nconstrained_embedding=False\nembedding=32\n");
        Gru4RecParams p = Gru4RecParams.load(file).withOverrides(Map.of("n_epochs", "3", "layers", "48"));
        assertThat(p.layers()).isEqualTo(48);
        assertThat(p.nEpochs()).isEqualTo(3);
        assertThat(p.constrainedEmbedding()).isFalse();
        assertThat(p.inputDim()).isEqualTo(32);
        assertThat(Gru4RecParams.fromProperties(new StringReader(p.toPropertiesText()))).isEqualTo(p);
    }

    @Test
    void rejectsUnknownKeysBadValuesAndUnsupportedVariants() {
        assertThatThrownBy(() -> Gru4RecParams.fromMap(Map.of("hidden", "100")))
                .hasMessageContaining("unknown GRU4Rec parameter 'hidden'");
        assertThatThrownBy(() -> Gru4RecParams.fromMap(Map.of("loss", "top1")))
                .hasMessageContaining("loss must be");
        assertThatThrownBy(() -> Gru4RecParams.fromMap(Map.of("layers", "100,100")))
                .hasMessageContaining("only one GRU layer");
        assertThatThrownBy(() -> Gru4RecParams.fromMap(Map.of("constrained_embedding", "false")))
                .hasMessageContaining("embedding > 0");
        assertThatThrownBy(() -> Gru4RecParams.fromMap(Map.of("dropout_p_hidden", "1.0")))
                .hasMessageContaining("dropout");
        assertThatThrownBy(() -> Gru4RecParams.fromMap(Map.of("batch_size", "x")))
                .hasMessageContaining("bad GRU4Rec parameter value");
    }
}
