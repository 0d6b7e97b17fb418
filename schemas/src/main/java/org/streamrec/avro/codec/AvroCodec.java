package org.streamrec.avro.codec;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificRecord;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.codec.DecodeResult.Decoded;
import org.streamrec.avro.codec.DecodeResult.Failed;

/**
 * Reads and writes one topic's records in Avro single-object encoding: marker {@code C3 01}, the 8-byte
 * little-endian CRC-64-AVRO fingerprint of the writer schema, then the binary body.
 *
 * <p>The decoder knows the current schema and every older version of the same record found under
 * {@code avro/history/} on the classpath, so events from producers still on an older version are read into
 * the current class (fields they lack take their defaults). Each older version is checked for compatibility
 * with the current one when the codec is built, not when the first old message arrives.
 *
 * <p>{@link #decode} never throws for bad input: it returns a {@link Failed} with a stable {@link DecodeError}.
 * Before Avro materialises a record, the body is walked once with the writer schema using Avro's skipping
 * reader, which allocates nothing per declared length. Without that walk a corrupt length prefix makes Avro
 * allocate what it claims: measured with Avro 1.12.1 on a 3 GB heap, a string length of 1.5e9 took 3.9 s
 * before failing with EOF, and an array count of 4e8 in a Recommendation threw {@link OutOfMemoryError}.
 * The walk also rejects bytes left over after the record (Avro itself ignores them), which would otherwise
 * hide a corrupted length.
 *
 * <p>Thread safety: an instance is immutable once built and safe to share between threads. Avro's
 * {@link BinaryMessageEncoder} and {@link BinaryMessageDecoder} are documented thread-safe because they keep
 * their reusable {@code BinaryEncoder}/{@code BinaryDecoder} and buffers in thread-locals; the body walk uses a
 * fresh decoder per call. Flink jobs should still build one per subtask in {@code open()}: the codec is not
 * {@link java.io.Serializable}, and building it reads the classpath.
 *
 * @param <T> the generated record class of the topic
 */
public final class AvroCodec<T extends SpecificRecord> {

  private static final byte[] MARKER = {(byte) 0xC3, (byte) 0x01};
  private static final int HEADER_LENGTH = MARKER.length + Long.BYTES;
  /** How many leading bytes of a rejected payload to show in a message. */
  private static final int SHOWN_BYTES = 16;

  private final Schema schema;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;
  private final Map<Long, WriterSchema> writers;
  private final Function<T, List<String>> rules;

  private record WriterSchema(String label, Schema schema) {
  }

  private AvroCodec(Schema schema, BinaryMessageEncoder<T> encoder,
      Function<SchemaStore, BinaryMessageDecoder<T>> decoderFactory, Function<T, List<String>> rules,
      ClassLoader historyLoader) {
    this.schema = schema;
    this.encoder = encoder;
    this.rules = rules;
    this.decoder = decoderFactory.apply(null);
    Map<Long, WriterSchema> known = new LinkedHashMap<>();
    known.put(SchemaNormalization.parsingFingerprint64(schema),
        new WriterSchema(schema.getName() + " (current)", schema));
    for (HistorySchemas.HistorySchema old : HistorySchemas.find(historyLoader, schema.getFullName())) {
      long fingerprint = SchemaNormalization.parsingFingerprint64(old.schema());
      if (known.containsKey(fingerprint)) {
        continue;
      }
      SchemaPairCompatibility compatibility = SchemaCompatibility.checkReaderWriterCompatibility(schema,
          old.schema());
      if (compatibility.getType() != SchemaCompatibilityType.COMPATIBLE) {
        throw new IllegalStateException("History schema " + old.location() + " cannot be read as the current "
            + schema.getFullName() + ": " + compatibility.getResult().getIncompatibilities());
      }
      decoder.addSchema(old.schema());
      known.put(fingerprint, new WriterSchema(schema.getName() + " (" + old.fileName() + ")", old.schema()));
    }
    this.writers = Collections.unmodifiableMap(known);
  }

  /** Codec of topic {@code events}; {@link #validate} applies the default {@link ClickEventRules}. */
  public static AvroCodec<ClickEvent> clickEvents() {
    return clickEvents(ClickEventRules.defaults());
  }

  /** Codec of topic {@code events}; {@link #validate} applies {@code rules}. */
  public static AvroCodec<ClickEvent> clickEvents(ClickEventRules rules) {
    return clickEvents(AvroCodec.class.getClassLoader(), rules);
  }

  static AvroCodec<ClickEvent> clickEvents(ClassLoader historyLoader) {
    return clickEvents(historyLoader, ClickEventRules.defaults());
  }

  private static AvroCodec<ClickEvent> clickEvents(ClassLoader historyLoader, ClickEventRules rules) {
    Objects.requireNonNull(rules, "rules");
    return new AvroCodec<>(ClickEvent.getClassSchema(), ClickEvent.getEncoder(), ClickEvent::createDecoder,
        rules::check, historyLoader);
  }

  /** Codec of topic {@code recommendations}. */
  public static AvroCodec<Recommendation> recommendations() {
    return new AvroCodec<>(Recommendation.getClassSchema(), Recommendation.getEncoder(),
        Recommendation::createDecoder, r -> List.of(), AvroCodec.class.getClassLoader());
  }

  /** Codec of topic {@code model-updates}. */
  public static AvroCodec<ModelAnnouncement> modelAnnouncements() {
    return new AvroCodec<>(ModelAnnouncement.getClassSchema(), ModelAnnouncement.getEncoder(),
        ModelAnnouncement::createDecoder, r -> List.of(), AvroCodec.class.getClassLoader());
  }

  /**
   * Codec of topic {@code serving-control}; {@link #validate} applies {@link ServingControlRules} (each command's
   * required argument).
   */
  public static AvroCodec<ServingControl> servingControl() {
    return new AvroCodec<>(ServingControl.getClassSchema(), ServingControl.getEncoder(), ServingControl::createDecoder,
        ServingControlRules::violations, AvroCodec.class.getClassLoader());
  }

  /** Codec of topic {@code events.dlq}. */
  public static AvroCodec<DeadLetter> deadLetters() {
    return new AvroCodec<>(DeadLetter.getClassSchema(), DeadLetter.getEncoder(), DeadLetter::createDecoder,
        r -> List.of(), AvroCodec.class.getClassLoader());
  }

  /** The current (reader and writer) schema. */
  public Schema schema() {
    return schema;
  }

  /**
   * Every schema version this codec decodes, by fingerprint, with where it came from; worth logging at
   * start-up so a missing history file shows before the first old event is dead-lettered.
   */
  public Map<Long, String> knownWriterSchemas() {
    Map<Long, String> sources = new LinkedHashMap<>();
    writers.forEach((fingerprint, writer) -> sources.put(fingerprint, writer.label()));
    return sources;
  }

  /**
   * Writes {@code record} with the current schema.
   *
   * @throws RuntimeException as thrown by Avro when the record breaks its own schema (e.g. a required field is
   *     null): a bug in the producing code, not a data problem
   */
  public byte[] encode(T record) {
    Objects.requireNonNull(record, "record");
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try {
      encoder.encode(record, out);
    } catch (IOException e) {
      throw new UncheckedIOException("Writing to memory failed", e);
    }
    return out.toByteArray();
  }

  /** Reads a payload written by any known version of the schema; never throws for bad input. */
  public DecodeResult<T> decode(byte[] payload) {
    if (payload == null) {
      return failed(DecodeError.EMPTY, "payload is null (a tombstone?), expected a " + schema.getName());
    }
    if (payload.length == 0) {
      return failed(DecodeError.EMPTY, "payload has 0 bytes, expected a " + schema.getName());
    }
    for (int i = 0; i < Math.min(MARKER.length, payload.length); i++) {
      if (payload[i] != MARKER[i]) {
        return failed(DecodeError.BAD_HEADER, "no single-object marker C3 01: payload of " + payload.length
            + " bytes starts with " + leadingHex(payload));
      }
    }
    if (payload.length < HEADER_LENGTH) {
      return failed(DecodeError.TRUNCATED, "payload of " + payload.length + " bytes ends inside the "
          + HEADER_LENGTH + "-byte single-object header");
    }
    long fingerprint = ByteBuffer.wrap(payload, MARKER.length, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
    WriterSchema writer = writers.get(fingerprint);
    if (writer == null) {
      return failed(DecodeError.UNKNOWN_FINGERPRINT, "schema fingerprint " + hex(fingerprint)
          + " is not a known version of " + schema.getFullName() + "; known: " + describeKnown());
    }
    Failed<T> badBody = checkBody(payload, writer);
    if (badBody != null) {
      return badBody;
    }
    try {
      return new Decoded<>(decoder.decode(payload));
    } catch (IOException | RuntimeException e) {
      // The body walk accepted the payload, so Avro failing here means data the walk cannot see, e.g. an enum
      // index beyond the symbols (ArrayIndexOutOfBoundsException in Avro 1.12.1).
      return classifyDecoderFailure(e, writer);
    }
  }

  /** The record if it passes the field rules of its type, otherwise {@link DecodeError#INVALID_FIELD}. */
  public DecodeResult<T> validate(T record) {
    return validate(record, rules);
  }

  /**
   * The record if {@code rules} find nothing wrong with it, otherwise {@link DecodeError#INVALID_FIELD}: for rules
   * that need more than the record, such as a reference time a consumer tracks (the codec is immutable).
   */
  public DecodeResult<T> validate(T record, Function<? super T, List<String>> rules) {
    Objects.requireNonNull(record, "record");
    List<String> violations = rules.apply(record);
    if (violations.isEmpty()) {
      return new Decoded<>(record);
    }
    return failed(DecodeError.INVALID_FIELD, schema.getName() + ": " + String.join("; ", violations));
  }

  /** {@link #decode} followed by {@link #validate}: what a consumer of untrusted input wants. */
  public DecodeResult<T> decodeAndValidate(byte[] payload) {
    DecodeResult<T> decoded = decode(payload);
    return decoded instanceof Decoded<T> ok ? validate(ok.value()) : decoded;
  }

  /** Walks the body with the writer schema; null if it is exactly one well-formed record. */
  private Failed<T> checkBody(byte[] payload, WriterSchema writer) {
    int bodyLength = payload.length - HEADER_LENGTH;
    BinaryDecoder body = DecoderFactory.get().binaryDecoder(payload, HEADER_LENGTH, bodyLength, null);
    try {
      GenericDatumReader.skip(writer.schema(), body);
      if (!body.isEnd()) {
        int trailing = body.inputStream().available();
        return failed(DecodeError.CORRUPT_BODY, "the " + writer.label() + " record ends " + trailing
            + " bytes before the " + bodyLength + "-byte body does");
      }
      return null;
    } catch (EOFException e) {
      return failed(DecodeError.TRUNCATED, "body of " + bodyLength + " bytes ends before the " + writer.label()
          + " record is complete");
    } catch (IOException | RuntimeException e) {
      return failed(DecodeError.CORRUPT_BODY, "body of " + bodyLength + " bytes is not a valid " + writer.label()
          + " record: " + describe(e));
    }
  }

  private Failed<T> classifyDecoderFailure(Exception e, WriterSchema writer) {
    if (e instanceof BadHeaderException) {
      return failed(DecodeError.BAD_HEADER, describe(e));
    }
    if (e instanceof MissingSchemaException) {
      return failed(DecodeError.UNKNOWN_FINGERPRINT, describe(e));
    }
    if (e instanceof EOFException || e instanceof AvroRuntimeException && e.getCause() instanceof EOFException) {
      return failed(DecodeError.TRUNCATED, "body ends before the " + writer.label() + " record is complete");
    }
    return failed(DecodeError.CORRUPT_BODY, "body is not a valid " + writer.label() + " record: " + describe(e));
  }

  private String describeKnown() {
    StringBuilder known = new StringBuilder();
    writers.forEach((fingerprint, writer) -> known.append(known.isEmpty() ? "" : ", ")
        .append(hex(fingerprint)).append(' ').append(writer.label()));
    return known.toString();
  }

  private static String hex(long fingerprint) {
    return String.format("0x%016X", fingerprint);
  }

  private static String leadingHex(byte[] payload) {
    int shown = Math.min(SHOWN_BYTES, payload.length);
    return HexFormat.ofDelimiter(" ").withUpperCase().formatHex(payload, 0, shown)
        + (shown < payload.length ? " ..." : "");
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder(e.getClass().getSimpleName());
    if (e.getMessage() != null) {
      text.append(": ").append(e.getMessage());
    }
    Throwable cause = e.getCause();
    if (cause != null && cause != e) {
      text.append(" (caused by ").append(describe(cause)).append(')');
    }
    return text.toString();
  }

  private static <T> Failed<T> failed(DecodeError error, String message) {
    return new Failed<>(error, message);
  }
}
