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
 *   <li><b>Too far in the future</b>: an event time more than {@code maxAhead} ahead of the reference, by default
 *       {@link #DEFAULT_MAX_AHEAD} (5 minutes; producer clocks may be a little fast). That catches
 *       microseconds-for-milliseconds and wrong time zones. Such an event would drag the event-time watermark
 *       ahead and close every other session of its subtask early. The reference is the validating process's clock;
 *       a caller that tracks the event times it has recently seen ({@link #check(ClickEvent, Instant, Instant)})
 *       may move it later, to that stream time, but by at most {@code clockSkewTolerance} (by default
 *       {@link #DEFAULT_CLOCK_SKEW_TOLERANCE}): a validating clock that is minutes slow is outvoted by the stream
 *       instead of rejecting all live traffic, while nothing more than {@code clockSkewTolerance + maxAhead} ahead of
 *       the clock is ever accepted. Against the clock alone ({@link #check(ClickEvent)}) an event accepted once is
 *       accepted on any later re-read; with a stream time, only events within that extra tolerance can get another
 *       verdict on a re-read (the stream time behind them may differ).</li>
 * </ul>
 * The time bounds are configurable ({@link #of}); the serving job exposes them as {@code --earliest-event-time},
 * {@code --max-event-time-ahead} and {@code --clock-skew-tolerance}. Instances are immutable and serializable, so
 * Flink functions can carry them.
 */
public final class ClickEventRules implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Longest accepted id, in {@code char}s (UTF-16 code units). */
  public static final int MAX_ID_LENGTH = 256;
  /** Default floor of accepted event times. */
  public static final Instant DEFAULT_EARLIEST_EVENT_TIME = Instant.parse("1990-01-01T00:00:00Z");
  /** Default tolerance for event times ahead of the validating clock. */
  public static final Duration DEFAULT_MAX_AHEAD = Duration.ofMinutes(5);
  /** Default of how far a stream time may move the reference past the validating clock. */
  public static final Duration DEFAULT_CLOCK_SKEW_TOLERANCE = Duration.ofMinutes(15);

  private static final ClickEventRules DEFAULTS =
      new ClickEventRules(DEFAULT_EARLIEST_EVENT_TIME, DEFAULT_MAX_AHEAD, DEFAULT_CLOCK_SKEW_TOLERANCE,
          Clock.systemUTC());

  private final Instant earliestEventTime;
  private final Duration maxAhead;
  private final Duration clockSkewTolerance;
  private final Clock clock;

  private ClickEventRules(Instant earliestEventTime, Duration maxAhead, Duration clockSkewTolerance, Clock clock) {
    this.earliestEventTime = Objects.requireNonNull(earliestEventTime, "earliestEventTime");
    this.maxAhead = Objects.requireNonNull(maxAhead, "maxAhead");
    this.clockSkewTolerance = Objects.requireNonNull(clockSkewTolerance, "clockSkewTolerance");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxAhead.isNegative()) {
      throw new IllegalArgumentException("maxAhead must not be negative: " + maxAhead);
    }
    if (clockSkewTolerance.isNegative()) {
      throw new IllegalArgumentException("clockSkewTolerance must not be negative: " + clockSkewTolerance);
    }
  }

  /** The default rules, judged against the system clock. */
  public static ClickEventRules defaults() {
    return DEFAULTS;
  }

  /** Rules with these time bounds and {@link #DEFAULT_CLOCK_SKEW_TOLERANCE}, judged against the system clock. */
  public static ClickEventRules of(Instant earliestEventTime, Duration maxAhead) {
    return of(earliestEventTime, maxAhead, DEFAULT_CLOCK_SKEW_TOLERANCE);
  }

  /**
   * Rules with these time bounds, judged against the system clock.
   *
   * @param clockSkewTolerance how far a stream time may move the "too far ahead" reference past the clock;
   *     zero judges against the clock alone
   */
  public static ClickEventRules of(Instant earliestEventTime, Duration maxAhead, Duration clockSkewTolerance) {
    return new ClickEventRules(earliestEventTime, maxAhead, clockSkewTolerance, Clock.systemUTC());
  }

  /** The same rules judged against {@code clock} (tests). */
  public ClickEventRules withClock(Clock clock) {
    return new ClickEventRules(earliestEventTime, maxAhead, clockSkewTolerance, clock);
  }

  /**
   * The clock of {@link #check(ClickEvent)}. Callers of {@link #check(ClickEvent, Instant, Instant)} read this one
   * too, so that {@link #withClock} reaches them.
   */
  public Clock clock() {
    return clock;
  }

  public Instant earliestEventTime() {
    return earliestEventTime;
  }

  public Duration maxAhead() {
    return maxAhead;
  }

  public Duration clockSkewTolerance() {
    return clockSkewTolerance;
  }

  /** Every rule of the default rules the event breaks; see {@link #check}. */
  public static List<String> violations(ClickEvent event) {
    return DEFAULTS.check(event);
  }

  /** Every rule the event breaks, in field order, judged against the clock alone; empty when the event is valid. */
  public List<String> check(ClickEvent event) {
    return check(event, clock.instant(), null);
  }

  /**
   * Every rule the event breaks, in field order; empty when the event is valid. An event is too far ahead when it is
   * more than {@code maxAhead} ahead of the later of {@code clockNow} and {@code streamTime}, where
   * {@code streamTime} counts for at most {@code clockSkewTolerance} past {@code clockNow}.
   *
   * @param clockNow the validating process's clock, read once for this event
   * @param streamTime where the recent event times of this stream say "now" is (e.g. a median of the event times
   *     of the last events, each moved on by the clock time since it was seen); null if unknown
   */
  public List<String> check(ClickEvent event, Instant clockNow, Instant streamTime) {
    Objects.requireNonNull(clockNow, "clockNow");
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
      Instant reference = reference(clockNow, streamTime);
      Instant latest = reference.plus(maxAhead);
      if (eventTime.isAfter(latest)) {
        violations.add("eventTime " + eventTime.toEpochMilli() + " ms (" + eventTime + ") is more than " + maxAhead
            + " ahead of the clock" + (streamTime == null ? "" : " and of the stream time") + " (latest accepted "
            + latest + describeReference(clockNow, streamTime) + "; microseconds instead of milliseconds?)");
      }
    }
    return violations;
  }

  private Instant reference(Instant clockNow, Instant streamTime) {
    if (streamTime == null || !streamTime.isAfter(clockNow)) {
      return clockNow;
    }
    Instant mostLenient = clockNow.plus(clockSkewTolerance);
    return streamTime.isAfter(mostLenient) ? mostLenient : streamTime;
  }

  private String describeReference(Instant clockNow, Instant streamTime) {
    if (streamTime == null) {
      return "";
    }
    return ": clock " + clockNow + ", stream time " + streamTime + ", which counts for at most "
        + clockSkewTolerance + " past the clock";
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
        + maxAhead + " (stream time counts for up to clock + " + clockSkewTolerance + ")]";
  }
}
