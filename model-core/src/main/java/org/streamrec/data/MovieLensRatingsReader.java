package org.streamrec.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a MovieLens {@code ratings.csv} (header {@code userId,movieId,rating,timestamp}, columns found by name)
 * as one sequence per user: {@code sessionId} and {@code userId} are the user id, items are movie ids, times
 * are the Unix-second timestamps in milliseconds, and every event is a {@link EventType#VIEW}.
 *
 * <p>The file is ordered by user then movie, not by time, so each user's ratings are sorted by timestamp and,
 * because many ratings of a user share a timestamp, then by numeric movie id, which makes the order
 * deterministic. Users keep the order of their first line. The rating value is checked but not kept.
 * Quoted fields are not supported: ratings files have none, and such a line is reported as malformed.
 */
public final class MovieLensRatingsReader implements DatasetReader {

    static final String USER_ID = "userId";
    static final String MOVIE_ID = "movieId";
    static final String TIMESTAMP = "timestamp";
    static final String RATING = "rating";

    private record Rating(long movieId, String movieIdText, long timestamp) {
    }

    private static final Comparator<Rating> TIME_THEN_MOVIE =
            Comparator.comparingLong(Rating::timestamp).thenComparingLong(Rating::movieId);

    @Override
    public SessionDataset read(Path file) throws IOException {
        Map<String, List<Rating>> ratingsByUser = new LinkedHashMap<>();
        Map<String, String> movieIds = new HashMap<>();
        ReadReport report = DelimitedRows.read(file, ',', "comma-separated", (source, columns) -> {
            int[] index = Fields.requireColumns(source, columns, USER_ID, MOVIE_ID, TIMESTAMP);
            int ratingColumn = Fields.optionalColumn(columns, RATING);
            return (lineNumber, fields) -> {
                String userId = fields[index[0]];
                String movieId = fields[index[1]];
                String timestamp = fields[index[2]];
                String problem = Fields.integerProblem(USER_ID, userId);
                if (problem == null) {
                    problem = Fields.integerProblem(MOVIE_ID, movieId);
                }
                if (problem == null) {
                    problem = Fields.integerProblem(TIMESTAMP, timestamp);
                }
                if (problem == null && ratingColumn >= 0 && !Fields.isUnsignedDecimal(fields[ratingColumn])) {
                    problem = RATING + " is not a non-negative decimal number: '" + fields[ratingColumn] + "'";
                }
                if (problem == null && timestamp.length() > 15) {
                    problem = TIMESTAMP + " is too large for Unix seconds: '" + timestamp + "'";
                }
                if (problem != null) {
                    return problem;
                }
                ratingsByUser.computeIfAbsent(userId, id -> new ArrayList<>())
                        .add(new Rating(Long.parseLong(movieId), movieIds.computeIfAbsent(movieId, id -> id), Long.parseLong(timestamp) * 1000));
                return null;
            };
        });
        List<Session> sessions = new ArrayList<>(ratingsByUser.size());
        for (Map.Entry<String, List<Rating>> entry : ratingsByUser.entrySet()) {
            List<Rating> ratings = entry.getValue();
            ratings.sort(TIME_THEN_MOVIE);
            List<String> items = new ArrayList<>(ratings.size());
            long[] times = new long[ratings.size()];
            for (int i = 0; i < ratings.size(); i++) {
                items.add(ratings.get(i).movieIdText());
                times[i] = ratings.get(i).timestamp();
            }
            sessions.add(new Session(entry.getKey(), entry.getKey(), items, times, Collections.nCopies(ratings.size(), EventType.VIEW)));
        }
        return new SessionDataset(sessions, report);
    }
}
