package org.streamrec.cli;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.streamrec.data.EventType;
import org.streamrec.data.MalformedLine;
import org.streamrec.data.ReadReport;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

/**
 * TEMPORARY stand-in for {@code org.streamrec.data.DatasetReaders.read(Path)}, which is being written on another
 * branch: replace {@link #read(Path)}'s body with that call when it lands and delete the rest of this class.
 * Reads only the session-rec layout: header {@code SessionId<TAB>ItemId<TAB>Time}, rows of a session contiguous,
 * gzip detected by its magic bytes. Time is kept as given (seconds with a fraction become milliseconds, an
 * ordinal index as diginetica's is multiplied by 1000 too: only its order matters to the baselines).
 */
public final class SessionFiles {

    private SessionFiles() {
    }

    public static SessionDataset read(Path path) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path));
             BufferedReader reader = new BufferedReader(new InputStreamReader(maybeGunzip(raw), StandardCharsets.UTF_8), 1 << 16)) {
            String header = reader.readLine();
            if (header == null || !header.strip().equals("SessionId\tItemId\tTime")) {
                throw new IOException(path + ": expected header 'SessionId<TAB>ItemId<TAB>Time', got '" + header + "'");
            }
            List<Session> sessions = new ArrayList<>();
            List<MalformedLine> malformed = new ArrayList<>();
            long malformedCount = 0;
            long lines = 1;
            long events = 0;
            String currentId = null;
            List<String> items = new ArrayList<>();
            long[] times = new long[16];
            String line;
            while ((line = reader.readLine()) != null) {
                lines++;
                String[] fields = line.split("\t", -1);
                long millis;
                try {
                    if (fields.length != 3 || fields[0].isEmpty() || fields[1].isEmpty()) {
                        throw new IllegalArgumentException("expected 3 non-empty tab-separated fields");
                    }
                    millis = Math.round(Double.parseDouble(fields[2]) * 1000.0);
                } catch (IllegalArgumentException e) {
                    malformedCount++;
                    if (malformed.size() < ReadReport.MAX_KEPT) {
                        malformed.add(new MalformedLine(lines, e.getMessage(), line));
                    }
                    continue;
                }
                if (!fields[0].equals(currentId)) {
                    addSession(sessions, currentId, items, times);
                    currentId = fields[0];
                    items = new ArrayList<>();
                }
                if (items.size() == times.length) {
                    times = java.util.Arrays.copyOf(times, times.length * 2);
                }
                times[items.size()] = millis;
                items.add(fields[1]);
                events++;
            }
            addSession(sessions, currentId, items, times);
            return new SessionDataset(sessions, new ReadReport(path.toString(), lines, events, malformedCount, malformed));
        }
    }

    private static void addSession(List<Session> sessions, String id, List<String> items, long[] times) {
        if (id != null && !items.isEmpty()) {
            sessions.add(new Session(id, null, items, java.util.Arrays.copyOf(times, items.size()),
                    Collections.nCopies(items.size(), EventType.CLICK)));
        }
    }

    private static InputStream maybeGunzip(InputStream in) throws IOException {
        in.mark(2);
        int b1 = in.read();
        int b2 = in.read();
        in.reset();
        return b1 == 0x1f && b2 == 0x8b ? new GZIPInputStream(in, 1 << 16) : in;
    }
}
