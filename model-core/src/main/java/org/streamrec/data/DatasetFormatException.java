package org.streamrec.data;

import java.io.IOException;

/**
 * A file that cannot be read as a whole: its format is not recognised, or its header lacks a required
 * column. Problems confined to single lines are never thrown; they are counted in the {@link ReadReport}.
 */
public class DatasetFormatException extends IOException {

    public DatasetFormatException(String message) {
        super(message);
    }
}
