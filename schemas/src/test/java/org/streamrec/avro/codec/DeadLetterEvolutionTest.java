package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.codec.DecodeResult.Decoded;

/** Version 2 of DeadLetter (truncation flags and original sizes) still reads the dead letters of version 1. */
class DeadLetterEvolutionTest {

  private static final String V1_RESOURCE = "avro/history/DeadLetter-v1.avsc";

  private static Schema v1() throws IOException {
    try (InputStream in = DeadLetterEvolutionTest.class.getClassLoader().getResourceAsStream(V1_RESOURCE)) {
      assertThat(in).as(V1_RESOURCE + " on the classpath").isNotNull();
      return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void currentSchemaIsBackwardCompatibleWithVersionOne() throws IOException {
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(DeadLetter.getClassSchema(), v1()).getType())
        .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    assertThat(AvroCodec.deadLetters().knownWriterSchemas()).containsOnlyKeys(
        SchemaNormalization.parsingFingerprint64(DeadLetter.getClassSchema()),
        SchemaNormalization.parsingFingerprint64(v1()));
  }

  @Test
  void versionOneDeadLetterDecodesAsNotTruncatedWithUnknownSizes() throws IOException {
    Schema v1 = v1();
    GenericRecord old = new GenericData.Record(v1);
    old.put("sourceTopic", "events");
    old.put("sourcePartition", 1);
    old.put("sourceOffset", 42L);
    old.put("key", ByteBuffer.wrap("user-1".getBytes(StandardCharsets.UTF_8)));
    old.put("payload", ByteBuffer.wrap(new byte[] {1, 2, 3}));
    old.put("errorCode", DecodeError.BAD_HEADER.name());
    old.put("reason", "no single-object marker");
    old.put("failedAt", SampleRecords.EVENT_TIME.toEpochMilli());
    ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old);
    byte[] payload = new byte[encoded.remaining()];
    encoded.get(payload);

    DecodeResult<DeadLetter> result = AvroCodec.deadLetters().decode(payload);

    assertThat(result).isInstanceOf(Decoded.class);
    DeadLetter letter = ((Decoded<DeadLetter>) result).value();
    assertThat(letter.getPayloadTruncated()).isFalse();
    assertThat(letter.getKeyTruncated()).isFalse();
    assertThat(letter.getOriginalPayloadSize()).isNull();
    assertThat(letter.getOriginalKeySize()).isNull();
    assertThat(letter.getErrorCode()).isEqualTo("BAD_HEADER");
  }
}
