package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.codec.DecodeResult.Decoded;
import org.streamrec.avro.codec.DecodeResult.Failed;

/** Decoding arbitrary bytes returns a result, never an exception or error, for every topic's codec. */
class DecodeFuzzTest {

  private static final long SEED = 20261123L;
  private static final int CASES_PER_CODEC = 1500;

  @Test
  void clickEvents() {
    AvroCodec<org.streamrec.avro.ClickEvent> codec = AvroCodec.clickEvents();
    Map<DecodeError, Integer> failures = fuzz(codec, List.of(
        codec.encode(SampleRecords.clickEvent().build()),
        codec.encode(SampleRecords.clickEvent().setSessionId(null).setContext(null).build())), true);
    assertThat(failures).containsKeys(DecodeError.EMPTY, DecodeError.BAD_HEADER, DecodeError.UNKNOWN_FINGERPRINT,
        DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY, DecodeError.INVALID_FIELD);
  }

  @Test
  void recommendations() {
    AvroCodec<org.streamrec.avro.Recommendation> codec = AvroCodec.recommendations();
    Map<DecodeError, Integer> failures = fuzz(codec, List.of(codec.encode(SampleRecords.recommendation())), false);
    assertThat(failures).containsKeys(DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY);
  }

  @Test
  void modelAnnouncements() {
    AvroCodec<org.streamrec.avro.ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
    Map<DecodeError, Integer> failures = fuzz(codec, List.of(codec.encode(SampleRecords.modelAnnouncement())), false);
    assertThat(failures).containsKeys(DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY);
  }

  @Test
  void servingControl() {
    AvroCodec<org.streamrec.avro.ServingControl> codec = AvroCodec.servingControl();
    Map<DecodeError, Integer> failures = fuzz(codec,
        List.of(codec.encode(SampleRecords.deleteUser()), codec.encode(SampleRecords.pin(7))), false);
    assertThat(failures).containsKeys(DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY);
  }

  @Test
  void deadLetters() {
    AvroCodec<org.streamrec.avro.DeadLetter> codec = AvroCodec.deadLetters();
    Map<DecodeError, Integer> failures = fuzz(codec, List.of(codec.encode(SampleRecords.deadLetter())), false);
    assertThat(failures).containsKeys(DecodeError.TRUNCATED, DecodeError.CORRUPT_BODY);
  }

  /**
   * Feeds pure noise, noise behind a valid header, truncations, bit flips and byte overwrites of valid
   * messages; asserts each decode returns a result and every failure explains itself.
   *
   * @return how often each failure code was seen, so callers can check that every path was reached
   */
  private static <T extends SpecificRecord> Map<DecodeError, Integer> fuzz(AvroCodec<T> codec,
      List<byte[]> validMessages, boolean validate) {
    Random random = new Random(SEED);
    List<Long> fingerprints = new ArrayList<>(codec.knownWriterSchemas().keySet());
    Map<DecodeError, Integer> failures = new EnumMap<>(DecodeError.class);
    int decoded = 0;
    for (int i = 0; i < CASES_PER_CODEC; i++) {
      byte[] valid = validMessages.get(random.nextInt(validMessages.size()));
      byte[] payload = switch (i % 5) {
        case 0 -> noise(random, random.nextInt(64));
        case 1 -> withKnownHeader(random, fingerprints, noise(random, random.nextInt(64)));
        case 2 -> Arrays.copyOf(valid, random.nextInt(valid.length));
        case 3 -> flipBits(random, valid.clone(), 1 + random.nextInt(4));
        default -> overwriteBodyBytes(random, valid.clone(), 1 + random.nextInt(3));
      };
      DecodeResult<T>[] result = new DecodeResult[1];
      Throwable thrown = catchThrowable(() -> result[0] = validate ? codec.decodeAndValidate(payload)
          : codec.decode(payload));
      assertThat(thrown).as("case %d, payload %s", i, Arrays.toString(payload)).isNull();
      assertThat(result[0]).isNotNull();
      if (result[0] instanceof Failed<T> failed) {
        assertThat(failed.message()).isNotBlank();
        failures.merge(failed.error(), 1, Integer::sum);
      } else {
        assertThat(((Decoded<T>) result[0]).value()).isNotNull();
        decoded++;
      }
    }
    assertThat(decoded).as("bit flips inside strings and numbers still decode").isPositive();
    return failures;
  }

  private static byte[] noise(Random random, int length) {
    byte[] bytes = new byte[length];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] withKnownHeader(Random random, List<Long> fingerprints, byte[] body) {
    ByteBuffer payload = ByteBuffer.allocate(10 + body.length).order(ByteOrder.LITTLE_ENDIAN);
    payload.put((byte) 0xC3).put((byte) 0x01);
    payload.putLong(fingerprints.get(random.nextInt(fingerprints.size())));
    payload.put(body);
    return payload.array();
  }

  private static byte[] flipBits(Random random, byte[] bytes, int flips) {
    for (int f = 0; f < flips; f++) {
      int bit = random.nextInt(bytes.length * 8);
      bytes[bit / 8] ^= (byte) (1 << (bit % 8));
    }
    return bytes;
  }

  /** Sets body bytes to values that often form long varints or huge lengths. */
  private static byte[] overwriteBodyBytes(Random random, byte[] bytes, int count) {
    for (int c = 0; c < count; c++) {
      int position = 10 + random.nextInt(bytes.length - 10);
      bytes[position] = random.nextBoolean() ? (byte) 0xFF : (byte) random.nextInt(256);
    }
    return bytes;
  }
}
