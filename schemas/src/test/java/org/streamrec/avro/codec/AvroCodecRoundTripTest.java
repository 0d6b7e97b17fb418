package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.ServingControlCommand;
import org.streamrec.avro.codec.DecodeResult.Decoded;

class AvroCodecRoundTripTest {

  @Test
  void clickEventWithEveryFieldSurvivesRoundTrip() {
    assertRoundTrip(AvroCodec.clickEvents(), SampleRecords.clickEvent().build());
  }

  @Test
  void clickEventWithoutOptionalFieldsSurvivesRoundTrip() {
    assertRoundTrip(AvroCodec.clickEvents(), SampleRecords.clickEvent().setSessionId(null).setContext(null).build());
  }

  @Test
  void recommendationSurvivesRoundTrip() {
    assertRoundTrip(AvroCodec.recommendations(), SampleRecords.recommendation());
  }

  @Test
  void modelAnnouncementSurvivesRoundTrip() {
    assertRoundTrip(AvroCodec.modelAnnouncements(), SampleRecords.modelAnnouncement());
  }

  @Test
  void servingControlSurvivesRoundTripAndEachCommandNeedsItsArgument() {
    assertRoundTrip(AvroCodec.servingControl(), SampleRecords.deleteUser());
    assertRoundTrip(AvroCodec.servingControl(), SampleRecords.pin(3));
    AvroCodec<ServingControl> codec = AvroCodec.servingControl();
    ServingControl pinWithoutVersion = ServingControl.newBuilder(SampleRecords.pin(3)).setModelVersion(null).build();
    ServingControl deleteWithoutUser = ServingControl.newBuilder(SampleRecords.deleteUser()).setUserId(" ").build();
    ServingControl unpin = ServingControl.newBuilder(SampleRecords.pin(3))
        .setCommand(ServingControlCommand.UNPIN_MODEL_VERSION).setModelVersion(null).build();
    assertThat(codec.decodeAndValidate(codec.encode(pinWithoutVersion)))
        .isEqualTo(new DecodeResult.Failed<ServingControl>(DecodeError.INVALID_FIELD,
            "ServingControl: PIN_MODEL_VERSION needs modelVersion"));
    assertThat(codec.decodeAndValidate(codec.encode(deleteWithoutUser)))
        .isEqualTo(new DecodeResult.Failed<ServingControl>(DecodeError.INVALID_FIELD,
            "ServingControl: DELETE_USER needs userId"));
    assertThat(codec.decodeAndValidate(codec.encode(unpin))).isInstanceOf(Decoded.class);
  }

  @Test
  void deadLetterKeepsRawBytesExactly() {
    DeadLetter letter = SampleRecords.deadLetter();
    DeadLetter decoded = assertRoundTrip(AvroCodec.deadLetters(), letter);
    assertThat(bytes(decoded.getPayload())).containsExactly(0xC3, 0x01, 0x00, 0xFF);
    assertThat(bytes(decoded.getKey())).isEqualTo(bytes(letter.getKey()));
  }

  @Test
  void encodingIsInteroperableWithTheGeneratedSingleObjectEncoder() throws Exception {
    ClickEvent event = SampleRecords.clickEvent().build();
    byte[] ours = AvroCodec.clickEvents().encode(event);
    byte[] generated = bytes(event.toByteBuffer());
    assertThat(ours).isEqualTo(generated);
    assertThat(ClickEvent.fromByteBuffer(ByteBuffer.wrap(ours))).isEqualTo(event);
  }

  @Test
  void generatedStringFieldsAreJavaStrings() {
    // stringType=String in schemas/pom.xml: consumers must never see org.apache.avro.util.Utf8.
    ClickEvent decoded = assertRoundTrip(AvroCodec.clickEvents(), SampleRecords.clickEvent().build());
    assertThat(decoded.get("userId")).isInstanceOf(String.class);
    assertThat(decoded.getContext().keySet()).allMatch(k -> k instanceof String);
  }

  private static <T extends SpecificRecord> T assertRoundTrip(AvroCodec<T> codec, T record) {
    byte[] payload = codec.encode(record);

    assertThat(Arrays.copyOf(payload, 2)).containsExactly(0xC3, 0x01);
    long fingerprint = ByteBuffer.wrap(payload, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(fingerprint).isEqualTo(SchemaNormalization.parsingFingerprint64(record.getSchema()));

    DecodeResult<T> result = codec.decode(payload);
    assertThat(result).isInstanceOf(Decoded.class);
    T decoded = ((Decoded<T>) result).value();
    assertThat(decoded).isEqualTo(record).isNotSameAs(record);
    return decoded;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer copy = buffer.duplicate();
    byte[] out = new byte[copy.remaining()];
    copy.get(out);
    return out;
  }
}
