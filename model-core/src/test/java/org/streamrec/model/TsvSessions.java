package org.streamrec.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.streamrec.data.EventType;
import org.streamrec.data.ReadReport;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

/**
 * Minimal reader for the {@code SessionId<TAB>ItemId<TAB>Time} files (optionally gzipped), used by the
 * GRU4Rec tests and measurement runs until the {@code org.streamrec.data} readers land. Keeps file order
 * within a session, as the sources publish them.
 */
final class TsvSessions {

    private TsvSessions() {
    }

    static Path dataDir() {
        String dir = System.getProperty("streamrec.data.dir");
        if (dir == null) {
            throw new IllegalStateException("system property streamrec.data.dir is not set");
        }
        return Path.of(dir);
    }

    static SessionDataset read(Path file, int maxSessions) {
        Map<String, List<String>> items = new LinkedHashMap<>();
        Map<String, List<Long>> times = new LinkedHashMap<>();
        long lines = 0;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16)) {
            String header = r.readLine();
            if (header == null || !header.startsWith("SessionId")) {
                throw new IllegalArgumentException(file + ": expected a SessionId/ItemId/Time header");
            }
            String line;
            while ((line = r.readLine()) != null) {
                lines++;
                String[] f = line.split("\t");
                if (!items.containsKey(f[0]) && items.size() >= maxSessions) {
                    continue;
                }
                items.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f[1]);
                times.computeIfAbsent(f[0], k -> new ArrayList<>()).add((long) (Double.parseDouble(f[2]) * 1000));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Session> sessions = new ArrayList<>(items.size());
        long events = 0;
        for (Map.Entry<String, List<String>> e : items.entrySet()) {
            List<Long> t = times.get(e.getKey());
            long[] ts = new long[t.size()];
            for (int i = 0; i < ts.length; i++) {
                ts[i] = t.get(i);
            }
            sessions.add(new Session(e.getKey(), null, e.getValue(), ts, java.util.Collections.nCopies(ts.length, EventType.CLICK)));
            events += ts.length;
        }
        return new SessionDataset(sessions, new ReadReport(file.toString(), lines, events, 0, List.of()));
    }
}
