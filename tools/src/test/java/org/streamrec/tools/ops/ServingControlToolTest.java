package org.streamrec.tools.ops;

import org.streamrec.flink.serving.LogCapture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.ServingControlCommand;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.flink.io.ServingControlDeserializer;

/** What the control tool refuses before sending, and what the job's control deserializer lets through. */
class ServingControlToolTest {

    @Test
    void usageErrorsAndInvalidCommandsExitWith2WithoutContactingABroker() {
        // An unroutable broker: had any of these tried to send, it would fail with 1 after a timeout, not 2 at once.
        String[] nowhere = {"--bootstrap-servers", "127.0.0.1:1"};
        assertThat(ServingControlTool.run("pin")).isEqualTo(2);
        assertThat(ServingControlTool.run("pin", "--version", "three")).isEqualTo(2);
        assertThat(ServingControlTool.run("delete-user")).isEqualTo(2);
        assertThat(ServingControlTool.run(concat(new String[] {"delete-user", "--user", " "}, nowhere))).isEqualTo(2);
        assertThat(ServingControlTool.run(concat(new String[] {"pin", "--version", "-1"}, nowhere))).isEqualTo(2);
        assertThat(ServingControlTool.run("rollback")).isEqualTo(2);
    }

    @Test
    void theJobsDeserializerPassesValidCommandsAndSkipsTheRest() {
        AvroCodec<ServingControl> codec = AvroCodec.servingControl();
        ServingControl pin = ServingControl.newBuilder().setCommandId("c1")
                .setCommand(ServingControlCommand.PIN_MODEL_VERSION).setModelVersion(4L).setRequestedBy("me")
                .setRequestTime(Instant.EPOCH).build();
        ServingControl deleteWithoutUser = ServingControl.newBuilder(pin).setCommandId("c2")
                .setCommand(ServingControlCommand.DELETE_USER).build();
        List<byte[]> payloads = List.of(codec.encode(pin), codec.encode(deleteWithoutUser),
                "delete alice".getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[0]);

        ServingControlDeserializer deserializer = new ServingControlDeserializer();
        List<ServingControl> out = new ArrayList<>();
        Collector<ServingControl> collector = new Collector<>() {
            @Override
            public void collect(ServingControl record) {
                out.add(record);
            }

            @Override
            public void close() {
            }
        };
        try (LogCapture logs = LogCapture.capture()) {
            for (int i = 0; i < payloads.size(); i++) {
                deserializer.deserialize(new ConsumerRecord<>("serving-control", 0, i, null, payloads.get(i)), collector);
            }
            assertThat(out).containsExactly(pin);
            assertThat(logs.lines()).hasSize(3).allSatisfy(l -> assertThat(l).startsWith("WARN").doesNotContain("alice"));
            assertThat(logs.lines().get(0)).contains("INVALID_FIELD", "DELETE_USER needs userId");
        }
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
