package org.streamrec.avro.codec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * Finds the older versions of a record schema kept under {@value #DIRECTORY} on the classpath.
 *
 * <p>Hand-written because Avro has no classpath scanner and pulling in a scanning library for one directory
 * is not worth a dependency. Directories ({@code file:}) and jars ({@code jar:}) are listed; a jar is only found
 * if it contains the directory entry {@value #DIRECTORY} itself. maven-jar-plugin writes it (checked on this
 * module's jar); for other packagings check {@link AvroCodec#knownWriterSchemas()} at start-up.
 */
final class HistorySchemas {

  static final String DIRECTORY = "avro/history/";

  /** One older schema version, the name of its file and where that file is. */
  record HistorySchema(String fileName, String location, Schema schema) {
  }

  private HistorySchemas() {
  }

  /**
   * All {@code .avsc} files directly under {@value #DIRECTORY} in every classpath root of {@code loader} that
   * define a record named {@code fullName}. Files for other records are ignored.
   *
   * @throws IllegalStateException if a file there cannot be read or parsed: a broken contract file is a
   *     packaging bug that must not silently drop a schema version
   */
  static List<HistorySchema> find(ClassLoader loader, String fullName) {
    List<HistorySchema> matching = new ArrayList<>();
    for (SchemaFile file : listAll(loader)) {
      Schema schema;
      try {
        schema = new Schema.Parser().parse(file.json());
      } catch (SchemaParseException e) {
        throw new IllegalStateException("Cannot parse history schema " + file.location() + ": " + e.getMessage(), e);
      }
      if (schema.getType() == Schema.Type.RECORD && schema.getFullName().equals(fullName)) {
        matching.add(new HistorySchema(file.fileName(), file.location(), schema));
      }
    }
    return matching;
  }

  private record SchemaFile(String fileName, String location, String json) {
  }

  private static List<SchemaFile> listAll(ClassLoader loader) {
    List<SchemaFile> files = new ArrayList<>();
    try {
      for (URL root : Collections.list(loader.getResources(DIRECTORY))) {
        switch (root.getProtocol()) {
          case "file" -> listDirectory(root, files);
          case "jar" -> listJar(root, files);
          default -> throw new IllegalStateException(
              "Cannot list " + DIRECTORY + " in " + root + ": only file: and jar: classpath entries are supported");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the schema history under " + DIRECTORY, e);
    }
    return files;
  }

  private static void listDirectory(URL root, List<SchemaFile> files) throws IOException {
    Path directory;
    try {
      directory = Paths.get(root.toURI());
    } catch (URISyntaxException e) {
      throw new IOException("Bad directory URL " + root, e);
    }
    try (Stream<Path> entries = Files.list(directory)) {
      for (Path path : entries.filter(p -> p.getFileName().toString().endsWith(".avsc")).sorted().toList()) {
        files.add(new SchemaFile(path.getFileName().toString(), path.toString(),
            Files.readString(path, StandardCharsets.UTF_8)));
      }
    }
  }

  private static void listJar(URL root, List<SchemaFile> files) throws IOException {
    URLConnection connection = root.openConnection();
    // A private, uncached JarFile that we may close without breaking the class loader that shares the cache.
    connection.setUseCaches(false);
    try (JarFile jar = ((JarURLConnection) connection).getJarFile()) {
      List<JarEntry> entries = jar.stream()
          .filter(e -> !e.isDirectory() && e.getName().startsWith(DIRECTORY) && e.getName().endsWith(".avsc")
              && e.getName().indexOf('/', DIRECTORY.length()) < 0)
          .sorted((a, b) -> a.getName().compareTo(b.getName()))
          .toList();
      for (JarEntry entry : entries) {
        try (InputStream in = jar.getInputStream(entry)) {
          files.add(new SchemaFile(entry.getName().substring(DIRECTORY.length()), jar.getName() + "!/" + entry.getName(),
              new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        }
      }
    }
  }
}
