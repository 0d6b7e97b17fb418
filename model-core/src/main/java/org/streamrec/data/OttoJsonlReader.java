package org.streamrec.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads the OTTO RecSys dataset's JSON Lines: one session per line,
 * {@code {"session": <int>, "events": [{"aid": <int>, "ts": <ms>, "type": "clicks"|"carts"|"orders"}, ...]}}.
 * {@code ts} is already epoch milliseconds; types map to {@link EventType#CLICK}, {@link EventType#ADD_TO_CART}
 * and {@link EventType#PURCHASE}. Sessions keep file order and events their order in the line; a session id
 * seen again on a later line continues its earlier session.
 *
 * <p>A line is malformed, as a whole, when it is not a JSON object, when {@code session} is not a non-negative
 * integer, when {@code events} is missing or empty, or when any event lacks an integer {@code aid} or
 * {@code ts} or has another {@code type}; the reason names the first such event.
 */
public final class OttoJsonlReader implements DatasetReader {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public SessionDataset read(Path file) throws IOException {
        String source = file.toString();
        MalformedLines malformed = new MalformedLines();
        SessionGrouper grouper = new SessionGrouper();
        long lineNumber = 0;
        long events = 0;
        try (BufferedReader reader = TextFiles.open(file)) {
            String line;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (lineNumber == 1) {
                    line = TextFiles.withoutByteOrderMark(line);
                }
                if (line.isBlank()) {
                    malformed.add(lineNumber, "empty line", line);
                    continue;
                }
                JsonNode root;
                try {
                    root = MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    malformed.add(lineNumber, "not valid JSON: " + e.getOriginalMessage(), line);
                    continue;
                }
                String problem = problem(root);
                if (problem != null) {
                    malformed.add(lineNumber, problem, line);
                    continue;
                }
                String sessionId = root.get("session").asText();
                for (JsonNode event : root.get("events")) {
                    grouper.add(sessionId, null, event.get("aid").asText(), event.get("ts").longValue(),
                            eventType(event.get("type").textValue()));
                    events++;
                }
            }
        }
        return new SessionDataset(grouper.sessions(), malformed.report(source, lineNumber, events));
    }

    /** Why {@code root} is not a usable session line, or null; checked fully before anything is added. */
    private static String problem(JsonNode root) {
        if (root == null || !root.isObject()) {
            return "not a JSON object";
        }
        JsonNode session = root.get("session");
        if (!isNonNegativeLong(session)) {
            return "\"session\" is missing or not a non-negative integer";
        }
        JsonNode events = root.get("events");
        if (events == null || !events.isArray() || events.isEmpty()) {
            return "\"events\" is missing, not an array, or empty";
        }
        for (int i = 0; i < events.size(); i++) {
            JsonNode event = events.get(i);
            if (!event.isObject()) {
                return "event " + i + " is not a JSON object";
            }
            if (!isNonNegativeLong(event.get("aid"))) {
                return "event " + i + ": \"aid\" is missing or not a non-negative integer";
            }
            if (!isNonNegativeLong(event.get("ts"))) {
                return "event " + i + ": \"ts\" is missing or not a non-negative integer of milliseconds";
            }
            JsonNode type = event.get("type");
            if (type == null || !type.isTextual() || eventType(type.textValue()) == null) {
                return "event " + i + ": \"type\" must be \"clicks\", \"carts\" or \"orders\", found " + type;
            }
        }
        return null;
    }

    private static boolean isNonNegativeLong(JsonNode node) {
        return node != null && node.isIntegralNumber() && node.canConvertToLong() && node.longValue() >= 0;
    }

    private static EventType eventType(String otto) {
        return switch (otto) {
            case "clicks" -> EventType.CLICK;
            case "carts" -> EventType.ADD_TO_CART;
            case "orders" -> EventType.PURCHASE;
            default -> null;
        };
    }
}
