package org.streamrec.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;

/** Locates the shared datasets (system property {@code streamrec.data.dir}) for tests and measurement runs. */
final class TestData {

    private TestData() {
    }

    static Path dataDir() {
        String dir = System.getProperty("streamrec.data.dir");
        if (dir == null) {
            throw new IllegalStateException("system property streamrec.data.dir is not set");
        }
        return Path.of(dir);
    }

    static SessionDataset read(String relativePath) {
        try {
            return DatasetReaders.read(dataDir().resolve(relativePath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
