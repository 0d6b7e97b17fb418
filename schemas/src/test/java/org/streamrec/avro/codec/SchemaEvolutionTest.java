package org.streamrec.avro.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.codec.DecodeResult.Decoded;
import org.streamrec.avro.codec.DecodeResult.Failed;

class SchemaEvolutionTest {

  private static final String V1_RESOURCE = "avro/history/ClickEvent-v1.avsc";

  private static Schema v1;
  private static String v1Json;

  @BeforeAll
  static void readVersionOne() throws IOException {
    try (InputStream in = SchemaEvolutionTest.class.getClassLoader().getResourceAsStream(V1_RESOURCE)) {
      assertThat(in).as(V1_RESOURCE + " on the test classpath").isNotNull();
      v1Json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    v1 = new Schema.Parser().parse(v1Json);
  }

  @Test
  void versionOneDiffersFromTheCurrentSchemaOnlyByContext() {
    assertThat(SchemaNormalization.parsingFingerprint64(v1))
        .isNotEqualTo(SchemaNormalization.parsingFingerprint64(ClickEvent.getClassSchema()));
    assertThat(ClickEvent.getClassSchema().getFields()).extracting(Schema.Field::name)
        .containsExactly("eventId", "userId", "sessionId", "itemId", "eventType", "eventTime", "context");
    assertThat(v1.getFields()).extracting(Schema.Field::name)
        .containsExactly("eventId", "userId", "sessionId", "itemId", "eventType", "eventTime");
  }

  @Test
  void eventWrittenWithVersionOneDecodesWithNullContext() throws IOException {
    GenericRecord old = new GenericData.Record(v1);
    old.put("eventId", "evt-1");
    old.put("userId", "user-1");
    old.put("sessionId", "sess-1");
    old.put("itemId", "item-1");
    old.put("eventType", new GenericData.EnumSymbol(v1.getField("eventType").schema(), "PURCHASE"));
    old.put("eventTime", SampleRecords.EVENT_TIME.toEpochMilli());
    byte[] payload = bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old));

    DecodeResult<ClickEvent> result = AvroCodec.clickEvents().decode(payload);

    assertThat(result).isInstanceOf(Decoded.class);
    ClickEvent event = ((Decoded<ClickEvent>) result).value();
    assertThat(event.getContext()).isNull();
    assertThat(event).isEqualTo(ClickEvent.newBuilder()
        .setEventId("evt-1").setUserId("user-1").setSessionId("sess-1").setItemId("item-1")
        .setEventType(EventType.PURCHASE).setEventTime(SampleRecords.EVENT_TIME).setContext(null)
        .build());
  }

  @Test
  void versionOneIsOnlyReadableBecauseTheHistoryIsRegistered() throws IOException {
    GenericRecord old = new GenericData.Record(v1);
    old.put("eventId", "evt-1");
    old.put("userId", "user-1");
    old.put("sessionId", null);
    old.put("itemId", "item-1");
    old.put("eventType", new GenericData.EnumSymbol(v1.getField("eventType").schema(), "VIEW"));
    old.put("eventTime", 1L);
    byte[] payload = bytes(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(old));

    assertThatThrownBy(() -> ClickEvent.getDecoder().decode(payload)).isInstanceOf(MissingSchemaException.class);
    assertThat(AvroCodec.clickEvents().decode(payload)).isInstanceOf(Decoded.class);
  }

  @Test
  void historyListsOnlyVersionsOfTheSameRecord() {
    Map<Long, String> known = AvroCodec.clickEvents().knownWriterSchemas();
    assertThat(known).containsOnlyKeys(SchemaNormalization.parsingFingerprint64(ClickEvent.getClassSchema()),
        SchemaNormalization.parsingFingerprint64(v1));
    assertThat(known.get(SchemaNormalization.parsingFingerprint64(v1))).contains("ClickEvent-v1.avsc");
    assertThat(AvroCodec.recommendations().knownWriterSchemas()).hasSize(1);
  }

  @Test
  void historyIsFoundInsideJars(@TempDir Path dir) throws IOException {
    String otherRecord = "{\"type\":\"record\",\"name\":\"Other\",\"namespace\":\"org.streamrec.avro\","
        + "\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
    Path jar = writeJar(dir.resolve("history.jar"), Map.of(
        "avro/history/ClickEvent-v1.avsc", v1Json,
        "avro/history/Other-v1.avsc", otherRecord,
        "avro/history/nested/ClickEvent-v0.avsc", "not even json"));

    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      var found = HistorySchemas.find(loader, "org.streamrec.avro.ClickEvent");
      assertThat(found).singleElement().satisfies(h -> {
        assertThat(h.fileName()).isEqualTo("ClickEvent-v1.avsc");
        assertThat(h.schema()).isEqualTo(v1);
      });

      Map<Long, String> known = AvroCodec.clickEvents(loader).knownWriterSchemas();
      assertThat(known).containsKey(SchemaNormalization.parsingFingerprint64(v1));
    }
  }

  @Test
  void historyVersionTheCurrentSchemaCannotReadFailsTheCodecAtConstruction(@TempDir Path dir) throws IOException {
    // eventTime as a string cannot be promoted to long: such an old producer's events would all fail.
    String unreadable = v1Json.replace("\"logicalType\": \"timestamp-millis\"", "\"logicalType\": \"x\"")
        .replace("\"type\": \"long\"", "\"type\": \"string\"");
    assertThat(unreadable).isNotEqualTo(v1Json);
    Path jar = writeJar(dir.resolve("bad.jar"), Map.of("avro/history/ClickEvent-v0.avsc", unreadable));

    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      assertThatThrownBy(() -> AvroCodec.clickEvents(loader))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("ClickEvent-v0.avsc")
          .hasMessageContaining("TYPE_MISMATCH");
    }
  }

  @Test
  void unparsableHistoryFileFailsTheCodecAtConstruction(@TempDir Path dir) throws IOException {
    Path jar = writeJar(dir.resolve("broken.jar"), Map.of("avro/history/ClickEvent-v9.avsc", "{\"type\":"));
    try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
      assertThatThrownBy(() -> AvroCodec.clickEvents(loader))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("ClickEvent-v9.avsc");
    }
  }

  /** A jar as maven-jar-plugin writes it: with an entry for every directory. */
  private static Path writeJar(Path jar, Map<String, String> files) throws IOException {
    try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
      out.putNextEntry(new JarEntry("avro/"));
      out.putNextEntry(new JarEntry("avro/history/"));
      out.putNextEntry(new JarEntry("avro/history/nested/"));
      for (Map.Entry<String, String> entry : files.entrySet()) {
        out.putNextEntry(new JarEntry(entry.getKey()));
        out.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
      }
    }
    return jar;
  }

  private static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }
}
