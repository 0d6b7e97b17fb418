package org.streamrec.tools.replay;

/** Decides when the replay may send its next event; called once per event, in send order. */
public interface Pacer {

    /**
     * Blocks until the next event may be sent.
     *
     * @param effectiveTimeMs the event's merge time (see {@link TimeOrderedEvents#lastEffectiveTime()}), in ms;
     *                        non-decreasing from call to call
     */
    void awaitTurn(long effectiveTimeMs) throws InterruptedException;

    /** Sends as fast as the producer takes events. */
    static Pacer unpaced() {
        return effectiveTimeMs -> { };
    }

    /** What the replay says about its pacing in its progress lines. */
    default String describe() {
        return "as fast as possible";
    }
}
