package org.streamrec.avro.codec;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.streamrec.avro.ClickEvent;

/**
 * Field rules for {@link ClickEvent} that the Avro schema cannot express. Ids become Flink keys, state entries
 * and vocabulary entries, so blank or unbounded ones are rejected at the door rather than deep in the job.
 */
public final class ClickEventRules {

  /** Longest accepted id, in {@code char}s (UTF-16 code units). */
  public static final int MAX_ID_LENGTH = 256;

  private ClickEventRules() {
  }

  /** Every rule the event breaks, in field order; empty when the event is valid. */
  public static List<String> violations(ClickEvent event) {
    List<String> violations = new ArrayList<>();
    checkId("eventId", event.getEventId(), false, violations);
    checkId("userId", event.getUserId(), false, violations);
    checkId("sessionId", event.getSessionId(), true, violations);
    checkId("itemId", event.getItemId(), false, violations);
    if (event.getEventType() == null) {
      violations.add("eventType is missing");
    }
    Instant eventTime = event.getEventTime();
    if (eventTime == null) {
      violations.add("eventTime is missing");
    } else if (eventTime.toEpochMilli() <= 0) {
      violations.add("eventTime " + eventTime.toEpochMilli() + " ms is not after the epoch");
    }
    return violations;
  }

  private static void checkId(String field, String value, boolean optional, List<String> violations) {
    if (value == null) {
      if (!optional) {
        violations.add(field + " is missing");
      }
    } else if (value.isBlank()) {
      violations.add(field + " is blank");
    } else if (value.length() > MAX_ID_LENGTH) {
      violations.add(field + " has " + value.length() + " chars (limit " + MAX_ID_LENGTH + ")");
    }
  }
}
