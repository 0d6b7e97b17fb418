package org.streamrec.baselines;

import java.util.List;
import org.streamrec.model.NextItemScorer;

/**
 * Common shape of the baselines: the session state is the item history, and each row is scored on its own.
 * Instances keep scratch buffers, so one instance must not be used from several threads at once.
 */
public abstract class HistoryScorer implements NextItemScorer<SessionHistory> {

    protected final int itemCount;

    protected HistoryScorer(int itemCount) {
        this.itemCount = itemCount;
    }

    /** Short name used by the CLI and in result tables. */
    public abstract String name();

    @Override
    public final int itemCount() {
        return itemCount;
    }

    @Override
    public final SessionHistory newSession() {
        return new SessionHistory();
    }

    @Override
    public final void step(SessionHistory state, int itemIndex) {
        if (itemIndex < 0 || itemIndex >= itemCount) {
            throw new IllegalArgumentException("item row " + itemIndex + " outside 0.." + (itemCount - 1));
        }
        state.add(itemIndex);
    }

    @Override
    public final void scoreAll(List<SessionHistory> sessions, float[] out) {
        if (out.length < (long) sessions.size() * itemCount) {
            throw new IllegalArgumentException("output holds " + out.length + " scores, need " + (long) sessions.size() * itemCount);
        }
        for (int row = 0; row < sessions.size(); row++) {
            scoreRow(sessions.get(row), out, row * itemCount);
        }
    }

    /** Writes the scores of all items for {@code session} into {@code out[offset .. offset+itemCount)}. */
    protected abstract void scoreRow(SessionHistory session, float[] out, int offset);
}
