package org.streamrec.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeError;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.tools.replay.MalformedRecords.MalformedRecord;

class MalformedRecordsTest {

    @Test
    void eachInjectedRecordIsRejectedByTheRealCodecWithItsExpectedError() {
        AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
        List<MalformedRecord> records = MalformedRecords.generate(12, codec);

        List<DecodeError> actual = new ArrayList<>();
        for (MalformedRecord r : records) {
            DecodeResult<ClickEvent> result = codec.decodeAndValidate(r.value());
            actual.add(result instanceof DecodeResult.Failed<ClickEvent> failed ? failed.error() : null);
        }

        assertThat(actual).containsExactlyElementsOf(records.stream().map(MalformedRecord::expectedError).toList());
        assertThat(actual).containsOnly(DecodeError.BAD_HEADER, DecodeError.TRUNCATED, DecodeError.UNKNOWN_FINGERPRINT,
                DecodeError.INVALID_FIELD, DecodeError.EMPTY);
        assertThat(records).extracting(MalformedRecord::kind).startsWith(MalformedRecords.Kind.values());
    }

    @Test
    void injectionPointsAreSpreadEvenlyAndStayInsideTheRun() {
        List<Long> points = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            points.add(MalformedRecords.injectAfter(j, 4, 100));
        }
        assertThat(points).containsExactly(20L, 40L, 60L, 80L);

        assertThat(MalformedRecords.injectAfter(0, 1, 1)).isEqualTo(1);
        assertThat(MalformedRecords.injectAfter(9, 10, 3)).isEqualTo(2);
        assertThat(MalformedRecords.injectAfter(0, 10, 3)).isEqualTo(1);
    }
}
