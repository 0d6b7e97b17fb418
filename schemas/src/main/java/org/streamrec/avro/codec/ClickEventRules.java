package org.streamrec.avro.codec;

import java.io.Serializable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.streamrec.avro.ClickEvent;

/**
 * Field rules for {@link ClickEvent} that the Avro schema cannot express. Ids become Flink keys, state entries
 * and vocabulary entries, so blank or unbounded ones are rejected at the door rather than deep in the job; event
 * times drive watermarks and session timers, so implausible ones are rejected too.
 *
 * <p>What the rules mean:
 * <ul>
 *   <li><b>Ids</b> ({@code eventId}, {@code userId}, {@code itemId}; {@code sessionId} when present): not blank
 *       (whitespace only counts as blank) and at most {@link #MAX_ID_LENGTH} UTF-16 code units. Fixed, not
 *       configurable: it is part of the topic's contract for every consumer, and it bounds the size of the serving
 *       job's per-user state (at most {@code --max-session-items} ids of this length).</li>
 *   <li><b>Too old</b>: an event time before {@code earliestEventTime}, by default
 *       {@link #DEFAULT_EARLIEST_EVENT_TIME} (1990-01-01T00:00:00Z). That catches zero and negative times and the
 *       classic seconds-for-milliseconds bug (a 2026 time in seconds reads as January 1970), while replays of
 *       historic datasets (MovieLens starts in 1995) stay valid. An absolute floor, not an age: an age limit would
 *       reject every replay of a dataset and would make the verdict on the same record change with the day it is
 *       read.</li>
 *   <li><b>Too far in the future</b>: an event time more than {@code maxAhead} ahead of the validating process's
 *       clock, by default {@link #DEFAULT_MAX_AHEAD} (5 minutes; producer clocks may be a little fast). That catches
 *       microseconds-for-milliseconds and wrong time zones. Such an event would drag the event-time watermark
 *       ahead and close every other session of its subtask early. The verdict depends on the clock, but only one
 *       way: an event accepted once is accepted on any later re-read (after a failover or a replay).</li>
 * </ul>
 * Both time bounds are configurable ({@link #of}); the serving job exposes them as {@code --earliest-event-time}
 * and {@code --max-event-time-ahead}. Instances are immutable and serializable, so Flink functions can carry them.
 */
public final class ClickEventRules implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Longest accepted id, in {@code char}s (UTF-16 code units). */
  public static final int MAX_ID_LENGTH = 256;
  /** Default floor of accepted event times. */
  public static final Instant DEFAULT_EARLIEST_EVENT_TIME = Instant.parse("1990-01-01T00:00:00Z");
  /** Default tolerance for event times ahead of the validating clock. */
  public static final Duration DEFAULT_MAX_AHEAD = Duration.ofMinutes(5);

  private static final ClickEventRules DEFAULTS =
      new ClickEventRules(DEFAULT_EARLIEST_EVENT_TIME, DEFAULT_MAX_AHEAD, Clock.systemUTC());

  private final Instant earliestEventTime;
  private final Duration maxAhead;
  private final Clock clock;

  private ClickEventRules(Instant earliestEventTime, Duration maxAhead, Clock clock) {
    this.earliestEventTime = Objects.requireNonNull(earliestEventTime, "earliestEventTime");
    this.maxAhead = Objects.requireNonNull(maxAhead, "maxAhead");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxAhead.isNegative()) {
      throw new IllegalArgumentException("maxAhead must not be negative: " + maxAhead);
    }
  }

  /** The default rules, judged against the system clock. */
  public static ClickEventRules defaults() {
    return DEFAULTS;
  }

  /** Rules with these time bounds, judged against the system clock. */
  public static ClickEventRules of(Instant earliestEventTime, Duration maxAhead) {
    return new ClickEventRules(earliestEventTime, maxAhead, Clock.systemUTC());
  }

  /** The same rules judged against {@code clock} (tests). */
  public ClickEventRules withClock(Clock clock) {
    return new ClickEventRules(earliestEventTime, maxAhead, clock);
  }

  public Instant earliestEventTime() {
    return earliestEventTime;
  }

  public Duration maxAhead() {
    return maxAhead;
  }

  /** Every rule of the default rules the event breaks; see {@link #check}. */
  public static List<String> violations(ClickEvent event) {
    return DEFAULTS.check(event);
  }

  /** Every rule the event breaks, in field order; empty when the event is valid. */
  public List<String> check(ClickEvent event) {
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
    } else if (eventTime.isBefore(earliestEventTime)) {
      violations.add("eventTime " + eventTime.toEpochMilli() + " ms (" + eventTime
          + ") is before the earliest accepted " + earliestEventTime
          + " (seconds instead of milliseconds?)");
    } else {
      Instant latest = clock.instant().plus(maxAhead);
      if (eventTime.isAfter(latest)) {
        violations.add("eventTime " + eventTime.toEpochMilli() + " ms (" + eventTime + ") is more than " + maxAhead
            + " ahead of the clock (latest accepted " + latest + "; microseconds instead of milliseconds?)");
      }
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

  @Override
  public String toString() {
    return "ClickEventRules[ids 1.." + MAX_ID_LENGTH + " chars, eventTime from " + earliestEventTime + " to clock + "
        + maxAhead + "]";
  }
}
