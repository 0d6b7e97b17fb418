package org.streamrec.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Entry point for the CLI and the replay tool: reads any supported dataset file, with the format either given
 * or detected from the content (never from the file name).
 *
 * <p>Detection looks at the first line: a JSON object means {@link DatasetFormat#OTTO_JSONL}; otherwise the
 * header's column names decide. The two session TSV flavours share a header, so their {@code Time} values
 * decide: a decimal fraction or a value of at least 10^9 (a Unix time after 2001-09-09) means Unix seconds,
 * anything else (or no data row) an ordinal index. Pass the format explicitly when that rule does not fit.
 */
public final class DatasetReaders {

    /** Data lines inspected to tell Unix seconds from an ordinal index. */
    private static final int TIME_PROBE_LINES = 100;
    private static final int UNIX_SECONDS_MIN_DIGITS = 10;
    private static final int MAX_QUOTED_CHARS = 200;

    private DatasetReaders() {
    }

    /** Reads {@code file} in the format {@link #detect} finds. */
    public static SessionDataset read(Path file) throws IOException {
        return read(file, detect(file));
    }

    public static SessionDataset read(Path file, DatasetFormat format) throws IOException {
        return readerFor(format).read(file);
    }

    /** The reader with this format's default options (event type, time scale). */
    public static DatasetReader readerFor(DatasetFormat format) {
        return switch (format) {
            case SESSION_TSV_UNIX_SECONDS -> SessionTsvReader.unixSecondsClicks();
            case SESSION_TSV_ORDINAL -> SessionTsvReader.ordinalViews();
            case DIGINETICA_RAW -> new DigineticaRawReader();
            case OTTO_JSONL -> new OttoJsonlReader();
            case MOVIELENS_RATINGS -> new MovieLensRatingsReader();
        };
    }

    /**
     * The format of {@code file}, judged from its content.
     *
     * @throws DatasetFormatException when the file is empty or its first line matches no known format
     */
    public static DatasetFormat detect(Path file) throws IOException {
        try (BufferedReader reader = TextFiles.open(file)) {
            String first = reader.readLine();
            if (first == null) {
                throw new DatasetFormatException(file + ": the file is empty, so its dataset format cannot be detected");
            }
            first = TextFiles.withoutByteOrderMark(first);
            if (first.stripLeading().startsWith("{")) {
                return DatasetFormat.OTTO_JSONL;
            }
            if (hasColumns(first, '\t', SessionTsvReader.SESSION_ID, SessionTsvReader.ITEM_ID, SessionTsvReader.TIME)) {
                return sessionTsvTimeScale(first, reader) == SessionTsvReader.TimeScale.UNIX_SECONDS
                        ? DatasetFormat.SESSION_TSV_UNIX_SECONDS
                        : DatasetFormat.SESSION_TSV_ORDINAL;
            }
            if (hasColumns(first, ';', DigineticaRawReader.SESSION_ID, DigineticaRawReader.USER_ID, DigineticaRawReader.ITEM_ID,
                    DigineticaRawReader.TIMEFRAME, DigineticaRawReader.EVENTDATE)) {
                return DatasetFormat.DIGINETICA_RAW;
            }
            if (hasColumns(first, ',', MovieLensRatingsReader.USER_ID, MovieLensRatingsReader.MOVIE_ID, MovieLensRatingsReader.TIMESTAMP)) {
                return DatasetFormat.MOVIELENS_RATINGS;
            }
            String quoted = first.length() > MAX_QUOTED_CHARS ? first.substring(0, MAX_QUOTED_CHARS) + "..." : first;
            throw new DatasetFormatException(file + ": unknown dataset format; the first line '" + quoted + "' is none of: "
                    + "a tab-separated header with SessionId, ItemId, Time; "
                    + "a ';'-separated header session_id;user_id;item_id;timeframe;eventdate; "
                    + "a comma-separated header with userId, movieId, timestamp; "
                    + "a JSON object (OTTO JSON Lines). Choose one of " + List.of(DatasetFormat.values()) + " explicitly if the file is one of them.");
        }
    }

    private static boolean hasColumns(String header, char separator, String... required) {
        Set<String> names = Fields.headerNames(header, separator).stream()
                .map(name -> name.trim().toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
        for (String name : required) {
            if (!names.contains(name.toLowerCase(Locale.ROOT))) {
                return false;
            }
        }
        return true;
    }

    private static SessionTsvReader.TimeScale sessionTsvTimeScale(String header, BufferedReader reader) throws IOException {
        List<String> columns = Fields.headerNames(header, '\t');
        int timeColumn = Fields.optionalColumn(columns, SessionTsvReader.TIME);
        String[] fields = new String[columns.size()];
        for (int i = 0; i < TIME_PROBE_LINES; i++) {
            String line = reader.readLine();
            if (line == null) {
                break;
            }
            if (Fields.split(line, '\t', fields) != columns.size()) {
                continue;
            }
            String time = fields[timeColumn];
            if (Fields.isUnsignedInteger(time)) {
                return time.length() >= UNIX_SECONDS_MIN_DIGITS ? SessionTsvReader.TimeScale.UNIX_SECONDS : SessionTsvReader.TimeScale.ORDINAL;
            }
            if (Fields.isUnsignedDecimal(time)) {
                return SessionTsvReader.TimeScale.UNIX_SECONDS;
            }
        }
        return SessionTsvReader.TimeScale.ORDINAL;
    }
}
