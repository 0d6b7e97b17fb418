package org.streamrec.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The read loop every delimited format shares (session TSV, raw DIGINETICA, MovieLens CSV): header line,
 * then one row per line, numbered from 1 = header. Empty lines and rows whose field count differs from the
 * header's are reported here, the same way for every format; each reader only says how a well-formed row
 * becomes an event.
 */
final class DelimitedRows {

    /** Turns one well-formed row into an event. */
    @FunctionalInterface
    interface RowParser {
        /**
         * @param fields the row's fields in header order; the array is reused for the next row
         * @return null when the row became an event, else the reason it is malformed
         */
        String parse(long lineNumber, String[] fields);
    }

    /** Checks the header's columns (throwing {@link DatasetFormatException} when required ones are missing). */
    @FunctionalInterface
    interface HeaderHandler {
        RowParser columns(String source, List<String> columns) throws DatasetFormatException;
    }

    private DelimitedRows() {
    }

    /**
     * @param separatorName how the messages name the separator, e.g. {@code "tab-separated"}
     * @return the report; an empty file gives an empty, clean one
     */
    static ReadReport read(Path file, char separator, String separatorName, HeaderHandler headerHandler) throws IOException {
        String source = file.toString();
        MalformedLines malformed = new MalformedLines();
        long lineNumber = 0;
        long events = 0;
        try (BufferedReader reader = TextFiles.open(file)) {
            String header = reader.readLine();
            if (header == null) {
                return malformed.report(source, 0, 0);
            }
            lineNumber = 1;
            List<String> columns = Fields.headerNames(TextFiles.withoutByteOrderMark(header), separator);
            RowParser parser = headerHandler.columns(source, columns);
            int expectedFields = columns.size();
            String[] fields = new String[expectedFields];

            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isEmpty()) {
                    malformed.add(lineNumber, "empty line", line);
                    continue;
                }
                int found = Fields.split(line, separator, fields);
                if (found != expectedFields) {
                    malformed.add(lineNumber, "expected " + expectedFields + " " + separatorName
                            + " fields as in the header, found " + found, line);
                    continue;
                }
                String problem = parser.parse(lineNumber, fields);
                if (problem != null) {
                    malformed.add(lineNumber, problem, line);
                } else {
                    events++;
                }
            }
        }
        return malformed.report(source, lineNumber, events);
    }
}
