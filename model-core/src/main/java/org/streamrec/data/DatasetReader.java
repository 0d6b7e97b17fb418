package org.streamrec.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads one dataset file into sessions. Implementations accept plain or gzip-compressed files (detected by
 * the gzip magic bytes, not the file name), count every line they cannot use in the {@link ReadReport}
 * instead of dropping it, and throw only when the file as a whole is unusable.
 */
public interface DatasetReader {

    /**
     * @throws DatasetFormatException when the header lacks a required column
     * @throws IOException            when the file cannot be read
     */
    SessionDataset read(Path file) throws IOException;
}
