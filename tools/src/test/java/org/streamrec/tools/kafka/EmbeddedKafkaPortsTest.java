package org.streamrec.tools.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EmbeddedKafkaPortsTest {

    @Test
    void theBrokerAndControllerPortsAreNeverTheSame() {
        // Picked one at a time, the OS sometimes handed out the same port twice (a failed load test); picked together,
        // it cannot. Many rounds, since the old way failed only now and then.
        for (int round = 0; round < 500; round++) {
            int[] ports = EmbeddedKafka.freePorts(2);
            assertThat(ports[0]).as("round %d", round).isNotEqualTo(ports[1]).isPositive();
            assertThat(ports[1]).isPositive();
        }
    }
}
