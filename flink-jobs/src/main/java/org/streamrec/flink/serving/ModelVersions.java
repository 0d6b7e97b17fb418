package org.streamrec.flink.serving;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which model version a serving subtask serves, loads, queues, pins and remembers, and what to do with each
 * announcement, load result and pin or unpin. Plain Java with no Flink types, so every transition is unit-tested
 * without a harness ({@code ModelVersionsTest}); {@link SessionRecommenderOperator} runs the loads, swaps the model,
 * counts and keeps this class's content in operator state at each checkpoint. Called from the task thread only.
 *
 * <p>Rules: every announced version is remembered, the first snapshot of a version winning (version numbers are
 * unique, and a re-announcement pointing elsewhere must not replace the snapshot a later pin would roll back to).
 * An announcement newer than the served, loading and queued versions is loaded, unless a version is pinned; one
 * arriving during a load is queued, newest wins. A pin makes the pinned version the only one wanted until an unpin,
 * which moves to the newest known version. A load that ends when its version is no longer wanted is discarded.
 * A pin whose snapshot fails to load is withdrawn (back to the pin before it, or none) and its version forgotten, so
 * a pin to a pruned or damaged snapshot can neither freeze the subtask on its current model (every later
 * announcement held back by a pin that never took effect) nor be repeated.
 */
final class ModelVersions {

    private static final Logger LOG = LoggerFactory.getLogger(ModelVersions.class);

    /**
     * Most announced versions remembered for pinning; beyond it the oldest (never the current or pinned one) are
     * forgotten, so a trainer publishing every few minutes does not grow every subtask's broadcast state for ever.
     */
    static final int MAX_KNOWN_MODELS = 1_000;
    /** Value of {@link #pinned()} (and of the {@code pinnedModelVersion} gauge) when no version is pinned. */
    static final long NOT_PINNED = -1;

    /** What the caller does after an announcement, a pin or unpin, or the end of a load. */
    enum Decision {
        /** Start loading {@link #loading()} now. */
        LOAD,
        /** Nothing to start: the target is served or loading already, queued behind the load, or held by a pin. */
        NONE,
        /** An announcement (or a queued one) that is not wanted: not newer than what is served or on its way. */
        IGNORE,
        /** A pin of a version never announced: nothing changed. */
        REFUSE
    }

    /** What a finished load means for serving. */
    enum LoadOutcome {
        /** Serve the loaded model: it is now {@link #current()}. */
        SWAP,
        /** A pin or unpin since the load started wants another version: drop the model, not a failure. */
        DISCARD,
        /** The snapshot holds a version that is not wanted (another than announced): a load failure. */
        WRONG_VERSION
    }

    /** Every remembered version, oldest first. */
    private final TreeMap<Long, ModelRef> known = new TreeMap<>();
    private ModelRef current;
    private ModelRef loading;
    /** The model to load once the load in progress ends: the newest announcement, or a pinned version. */
    private ModelRef queued;
    private long pinned = NOT_PINNED;
    /** The pin in force before the latest pin command, restored if that command's snapshot fails to load. */
    private long pinnedBefore = NOT_PINNED;

    // ---------------------------------------------------------------- restore and snapshot

    /** Puts back the remembered versions and the pin of a checkpoint, before any model is served. */
    void restore(Iterable<ModelRef> remembered, long pin) {
        for (ModelRef ref : remembered) {
            known.put(ref.version(), ref);
        }
        pinned = pin;
    }

    /**
     * The models to try after a restore, in order: the pinned one if it is known, then the checkpoint's served,
     * loading and queued models, newest first (an announcement consumed before the checkpoint is not read again).
     */
    List<ModelRef> restoreCandidates(Collection<ModelRef> checkpointed) {
        List<ModelRef> candidates = new ArrayList<>(checkpointed);
        candidates.sort((a, b) -> Long.compare(b.version(), a.version()));
        ModelRef pinnedModel = pinned == NOT_PINNED ? null : known.get(pinned);
        if (pinnedModel != null) {
            candidates.add(0, pinnedModel);
        }
        return candidates;
    }

    /** The served model, then the one loading and the one queued, if any: what a checkpoint keeps to restore from. */
    List<ModelRef> inFlight() {
        List<ModelRef> models = new ArrayList<>(3);
        models.add(current);
        if (loading != null) {
            models.add(loading);
        }
        if (queued != null) {
            models.add(queued);
        }
        return models;
    }

    /** The remembered versions, oldest first. */
    Collection<ModelRef> known() {
        return known.values();
    }

    // ---------------------------------------------------------------- transitions

    /** The model now served (at start-up, after a restore): remembered, replacing any snapshot of its version. */
    void serve(ModelRef model) {
        current = model;
        remember(model);
    }

    Decision announce(ModelRef announced) {
        if (!known.containsKey(announced.version())) {
            remember(announced);
        }
        long newest = current.version();
        if (loading != null) {
            newest = Math.max(newest, loading.version());
        }
        if (queued != null) {
            newest = Math.max(newest, queued.version());
        }
        if (announced.version() <= newest) {
            LOG.info("Ignoring model announcement {}: serving {}, newest known {}", announced.version(),
                    current.version(), newest);
            return Decision.IGNORE;
        }
        if (pinned != NOT_PINNED) {
            LOG.info("Model version {} announced and remembered; not served while version {} is pinned",
                    announced.version(), pinned);
            return Decision.NONE;
        }
        return load(announced);
    }

    /** Pins {@code version} if it is known ({@link Decision#REFUSE} otherwise) and moves serving to it. */
    Decision pin(long version) {
        ModelRef target = known.get(version);
        if (target == null) {
            return Decision.REFUSE;
        }
        if (version != pinned) {
            pinnedBefore = pinned;
        }
        pinned = version;
        return moveTo(target);
    }

    /** Removes any pin and moves serving to the newest known version. */
    Decision unpin() {
        pinned = NOT_PINNED;
        pinnedBefore = NOT_PINNED;
        return moveTo(newestKnown());
    }

    /**
     * The load in progress ended with a model of {@code loadedVersion}; on {@link LoadOutcome#SWAP} that model, with
     * the loaded snapshot's URI and checksum, is the current one. Call {@link #startQueued} next.
     */
    LoadOutcome loaded(long loadedVersion) {
        ModelRef target = loading;
        loading = null;
        if (!wanted(target.version())) {
            return LoadOutcome.DISCARD;
        }
        if (!wanted(loadedVersion)) {
            return LoadOutcome.WRONG_VERSION;
        }
        serve(new ModelRef(loadedVersion, target.uri(), target.checksum()));
        return LoadOutcome.SWAP;
    }

    /**
     * The load in progress failed; the current model stays. When it was the pinned version's load, the pin is
     * withdrawn ({@link #withdrawPin}) and this returns true: call {@link #followPin} next, else {@link #startQueued}.
     */
    boolean loadFailed() {
        ModelRef failed = loading;
        loading = null;
        if (pinned == NOT_PINNED || failed.version() != pinned) {
            return false;
        }
        withdrawPin();
        return true;
    }

    /**
     * Withdraws the pin of a version that cannot be served: forgets that version (a later pin to it is refused) and
     * goes back to the pin before it, or to none. Also used after a restore that could not load the pinned version.
     */
    void withdrawPin() {
        long failed = pinned;
        if (failed != current.version()) {
            known.remove(failed);
        }
        pinned = pinnedBefore != failed && known.containsKey(pinnedBefore) ? pinnedBefore : NOT_PINNED;
        pinnedBefore = NOT_PINNED;
    }

    /** After a withdrawn pin: serve the pin now in force, or the newest known version when none is. */
    Decision followPin() {
        queued = null;
        return moveTo(pinned == NOT_PINNED ? newestKnown() : known.get(pinned));
    }

    /** After a load ended: {@link Decision#LOAD} the queued model if it is still wanted, else drop it. */
    Decision startQueued() {
        if (queued == null) {
            return Decision.NONE;
        }
        ModelRef next = queued;
        queued = null;
        if (!wanted(next.version())) {
            return Decision.IGNORE;
        }
        loading = next;
        return Decision.LOAD;
    }

    /** Makes {@code target} the version to serve: loads it unless it is served or loading already. */
    private Decision moveTo(ModelRef target) {
        if (current.version() == target.version() || loading != null && loading.version() == target.version()) {
            // A queued model is now unwanted; a load of another version in progress is discarded when it ends.
            queued = null;
            return Decision.NONE;
        }
        return load(target);
    }

    private Decision load(ModelRef target) {
        if (loading == null) {
            loading = target;
            return Decision.LOAD;
        }
        queued = target;
        return Decision.NONE;
    }

    /** Whether a model of this version should be served now: the pinned one, else anything newer than current. */
    private boolean wanted(long version) {
        return pinned != NOT_PINNED ? version == pinned : version > current.version();
    }

    private void remember(ModelRef ref) {
        known.put(ref.version(), ref);
        int excess = known.size() - MAX_KNOWN_MODELS;
        for (Iterator<Long> oldestFirst = known.keySet().iterator(); excess > 0 && oldestFirst.hasNext(); ) {
            long oldest = oldestFirst.next();
            if (oldest != pinned && oldest != current.version()) {
                oldestFirst.remove();
                excess--;
            }
        }
    }

    // ---------------------------------------------------------------- reads

    ModelRef current() {
        return current;
    }

    /** The model being loaded, or null. */
    ModelRef loading() {
        return loading;
    }

    /** The pinned version, or {@link #NOT_PINNED}. */
    long pinned() {
        return pinned;
    }

    ModelRef newestKnown() {
        Map.Entry<Long, ModelRef> newest = known.lastEntry();
        return newest.getValue();
    }

    /** The known versions for a log line: all of them when few, else the oldest and newest five. */
    String describeKnownVersions() {
        List<Long> versions = new ArrayList<>(known.keySet());
        if (versions.size() <= 10) {
            return versions.toString();
        }
        return versions.size() + " versions, " + versions.subList(0, 5) + " ... "
                + versions.subList(versions.size() - 5, versions.size());
    }
}
