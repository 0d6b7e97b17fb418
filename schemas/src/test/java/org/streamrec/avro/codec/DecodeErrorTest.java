package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.DecodeResult.Decoded;
import org.streamrec.avro.codec.DecodeResult.Failed;

/**
 * Each kind of bad payload maps to its own code. The hand-built bodies reproduce what Avro 1.12.1 does without
 * the codec's body walk (measured separately): huge lengths allocate gigabytes, bad enum/union indexes throw
 * ArrayIndexOutOfBoundsException, trailing bytes are silently ignored.
 */
class DecodeErrorTest {

  private final AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
  private final byte[] valid = codec.encode(SampleRecords.clickEvent().build());

  @Test
  void codeNamesAreTheDeadLetterContract() {
    assertThat(DecodeError.values()).extracting(Enum::name).containsExactly(
        "EMPTY", "BAD_HEADER", "UNKNOWN_FINGERPRINT", "TRUNCATED", "CORRUPT_BODY", "INVALID_FIELD");
  }

  @Test
  void nullPayloadIsEmpty() {
    assertFailure(codec.decode(null), DecodeError.EMPTY, "null");
  }

  @Test
  void zeroBytesAreEmpty() {
    assertFailure(codec.decode(new byte[0]), DecodeError.EMPTY, "0 bytes");
  }

  @Test
  void garbageIsBadHeaderAndShowsTheLeadingBytes() {
    byte[] garbage = "{\"eventId\": \"json, not avro\"}".getBytes(StandardCharsets.UTF_8);
    assertFailure(codec.decode(garbage), DecodeError.BAD_HEADER, "7B 22 65 76");
  }

  @Test
  void secondMarkerByteWrongIsBadHeader() {
    assertFailure(codec.decode(new byte[] {(byte) 0xC3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
        DecodeError.BAD_HEADER, "C3 02");
  }

  @Test
  void singleByteThatIsNotTheMarkerIsBadHeader() {
    assertFailure(codec.decode(new byte[] {0x00}), DecodeError.BAD_HEADER, "1 bytes");
  }

  @Test
  void payloadEndingInsideTheHeaderIsTruncated() {
    for (int length = 1; length < 10; length++) {
      assertFailure(codec.decode(Arrays.copyOf(valid, length)), DecodeError.TRUNCATED, "header");
    }
  }

  @Test
  void unknownFingerprintIsReportedInHex() {
    byte[] payload = valid.clone();
    // Fingerprint bytes are little-endian: the first one is the lowest byte of the long.
    payload[2] ^= 0x01;
    long written = java.nio.ByteBuffer.wrap(payload, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();

    Failed<ClickEvent> failed = assertFailure(codec.decode(payload), DecodeError.UNKNOWN_FINGERPRINT,
        String.format("0x%016X", written));
    assertThat(failed.message()).contains("ClickEvent-v1.avsc");
  }

  @Test
  void recordOfAnotherTopicHasAnUnknownFingerprint() {
    byte[] recommendation = AvroCodec.recommendations().encode(SampleRecords.recommendation());
    assertFailure(codec.decode(recommendation), DecodeError.UNKNOWN_FINGERPRINT, "not a known version");
  }

  @Test
  void everyCutInsideTheBodyIsTruncated() {
    for (int length = 10; length < valid.length; length++) {
      assertFailure(codec.decode(Arrays.copyOf(valid, length)), DecodeError.TRUNCATED, "ends before");
    }
  }

  @Test
  void bytesAfterTheRecordAreCorrupt() {
    byte[] padded = Arrays.copyOf(valid, valid.length + 3);
    assertFailure(codec.decode(padded), DecodeError.CORRUPT_BODY, "3 bytes before");
  }

  @Test
  void hugeStringLengthIsTruncatedWithoutAllocatingIt() throws IOException {
    // Avro alone allocates 1.5 GB for this eventId and needs seconds to fail.
    byte[] payload = body(valid, out -> {
      out.writeLong(1_500_000_000L);
      out.writeFixed("evt".getBytes(StandardCharsets.UTF_8));
    });
    assertFailure(codec.decode(payload), DecodeError.TRUNCATED, "ends before");
  }

  @Test
  void hugeArrayCountIsTruncatedWithoutAllocatingIt() throws IOException {
    // Avro alone pre-sizes an array of 400 million items: OutOfMemoryError on a 3 GB heap.
    AvroCodec<Recommendation> recommendations = AvroCodec.recommendations();
    byte[] header = recommendations.encode(SampleRecords.recommendation());
    byte[] payload = body(header, out -> {
      out.writeString("evt");
      out.writeString("user");
      out.writeString("sess");
      out.writeArrayStart();
      out.setItemCount(400_000_000L);
      out.writeString("item");
      out.writeFloat(1f);
    });
    assertFailure(recommendations.decode(payload), DecodeError.TRUNCATED, "ends before");
  }

  @Test
  void negativeLengthIsCorrupt() throws IOException {
    // Avro's skipping reader treats a negative length as 0, so here the walk sees leftover bytes; the reading
    // decoder would throw "Malformed data. Length is negative". Either way: CORRUPT_BODY.
    byte[] payload = body(valid, out -> {
      out.writeLong(-5);
      out.writeFixed(new byte[8]);
    });
    assertFailure(codec.decode(payload), DecodeError.CORRUPT_BODY, "ClickEvent");
  }

  @Test
  void overlongVarintIsCorrupt() {
    byte[] payload = Arrays.copyOf(valid, 10 + 12);
    Arrays.fill(payload, 10, payload.length - 1, (byte) 0xFF);
    payload[payload.length - 1] = 0x01;
    assertFailure(codec.decode(payload), DecodeError.CORRUPT_BODY, "Invalid long encoding");
  }

  @Test
  void unionBranchOutOfRangeIsCorrupt() throws IOException {
    byte[] payload = body(valid, out -> {
      out.writeString("evt");
      out.writeString("user");
      out.writeIndex(7);
      out.writeString("sess");
    });
    assertFailure(codec.decode(payload), DecodeError.CORRUPT_BODY, "7");
  }

  @Test
  void enumSymbolOutOfRangeIsCorrupt() throws IOException {
    byte[] payload = body(valid, out -> {
      out.writeString("evt");
      out.writeString("user");
      out.writeIndex(0);
      out.writeString("item");
      out.writeEnum(40);
      out.writeLong(SampleRecords.EVENT_TIME.toEpochMilli());
      out.writeIndex(0);
    });
    assertFailure(codec.decode(payload), DecodeError.CORRUPT_BODY, "40");
  }

  @Test
  void handBuiltValidBodyDecodes() throws IOException {
    // Guards the helpers above: the same writer calls with valid values give a record.
    byte[] payload = body(valid, out -> {
      out.writeString("evt");
      out.writeString("user");
      out.writeIndex(0);
      out.writeString("item");
      out.writeEnum(3);
      out.writeLong(SampleRecords.EVENT_TIME.toEpochMilli());
      out.writeIndex(0);
    });
    assertThat(codec.decode(payload)).isInstanceOf(Decoded.class);
  }

  @Test
  void validationFailureIsInvalidField() {
    byte[] payload = codec.encode(SampleRecords.clickEvent().setUserId("  ").build());
    assertThat(codec.decode(payload)).isInstanceOf(Decoded.class);
    assertFailure(codec.decodeAndValidate(payload), DecodeError.INVALID_FIELD, "userId is blank");
  }

  private interface BodyWriter {
    void write(BinaryEncoder out) throws IOException;
  }

  /** The 10-byte header of {@code headerSource} followed by a hand-written body. */
  private static byte[] body(byte[] headerSource, BodyWriter writer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(headerSource, 0, 10);
    BinaryEncoder out = EncoderFactory.get().directBinaryEncoder(bytes, null);
    writer.write(out);
    out.flush();
    return bytes.toByteArray();
  }

  private static <T extends SpecificRecord> Failed<T> assertFailure(DecodeResult<T> result, DecodeError error,
      String messagePart) {
    assertThat(result).isInstanceOf(Failed.class);
    Failed<T> failed = (Failed<T>) result;
    assertThat(failed.error()).as(failed.message()).isEqualTo(error);
    assertThat(failed.message()).contains(messagePart);
    return failed;
  }
}
