package org.streamrec.flink.serving;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ServingControl;

/**
 * Carries out {@link ModelVersions}' decisions for one subtask of {@link SessionRecommenderOperator}: loads the
 * start-up or restored model on the task thread, later snapshots on a loader thread while the subtask keeps serving,
 * checks on the task thread every {@link #MODEL_LOAD_POLL_MS} whether a load has finished, and hands a wanted model
 * to the operator's {@link Swap}. Applies pin and unpin, counts and logs.
 */
final class ServingModels implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServingModels.class);
    /** How often the task thread checks whether a snapshot load has finished. */
    static final long MODEL_LOAD_POLL_MS = 20;

    /** The operator's side of a swap, on the task thread. */
    interface Swap {
        /** Serve {@code next} from now on; requests computed with the previous model are answered before. */
        void to(ServingModel next) throws Exception;
    }

    private final ModelVersions versions;
    private final ServingModelLoader loader;
    private final int k;
    private ProcessingTimeService time;
    private ExecutorService loaderThread;
    private ServingMetrics metrics;
    private Swap swap;
    /** The snapshot load in progress (of {@link ModelVersions#loading()}), or null. */
    private CompletableFuture<ServingModel> loading;

    ServingModels(ModelVersions versions, ServingModelLoader loader, int k) {
        this.versions = versions;
        this.loader = loader;
        this.k = k;
    }

    /**
     * At start-up or restore, on the task thread before the first event: the first candidate that loads, else the
     * start-up model. Without a model the job cannot answer anything, so a start-up model that fails fails this.
     */
    ServingModel loadFirst(List<ModelRef> candidates, String initialModelUri) throws Exception {
        ServingModel served = null;
        for (ModelRef candidate : candidates) {
            try {
                served = serve(loader.load(candidate.uri(), candidate.expectedChecksum(), k), candidate.uri(),
                        candidate.checksum());
                break;
            } catch (Exception e) {
                LOG.warn("Cannot reload model version {} from {} after restore", candidate.version(), candidate.uri(), e);
            }
        }
        if (served == null) {
            if (!candidates.isEmpty()) {
                LOG.warn("None of the restored models {} could be loaded; serving the start-up model {}",
                        candidates.stream().map(ModelRef::version).toList(), initialModelUri);
            }
            served = serve(loader.load(initialModelUri, null, k), initialModelUri, "");
        }
        long pinned = versions.pinned();
        if (pinned != ModelVersions.NOT_PINNED && served.version() != pinned) {
            versions.withdrawPin();
            LOG.warn("Pinned model version {} could not be loaded after the restore; pin withdrawn, serving version {}"
                    + " and following announcements again", pinned, served.version());
        }
        return served;
    }

    private ServingModel serve(ServingModel model, String uri, String checksum) {
        versions.serve(new ModelRef(model.version(), uri, checksum));
        LOG.info("Serving model version {} ({} items) from {}", model.version(), model.itemCount(), uri);
        return model;
    }

    /** When the operator opens: the loader thread's name, the service that schedules the checks, metrics, swap. */
    void open(String loaderName, ProcessingTimeService time, ServingMetrics metrics, Swap swap) {
        this.time = time;
        this.metrics = metrics;
        this.swap = swap;
        loaderThread = Executors.newSingleThreadExecutor(runnable -> {
            Thread t = new Thread(runnable, loaderName);
            t.setDaemon(true);
            return t;
        });
    }

    void announce(ModelRef announced) {
        act(versions.announce(announced));
    }

    /** Applies a PIN_MODEL_VERSION command; returns why it is refused, or null when applied. */
    String pin(ServingControl control) {
        Long version = control.getModelVersion();
        if (version == null) {
            return "PIN_MODEL_VERSION without a version";
        }
        ModelVersions.Decision decision = versions.pin(version);
        if (decision == ModelVersions.Decision.REFUSE) {
            return "model version " + version + " was never announced to this job (known: "
                    + versions.describeKnownVersions() + ")";
        }
        metrics.controlCommands.inc();
        LOG.info("Control {} from {}: pinned model version {} (serving {})", control.getCommandId(),
                control.getRequestedBy(), version, versions.current().version());
        act(decision);
        return null;
    }

    void unpin(ServingControl control) {
        long wasPinned = versions.pinned();
        ModelVersions.Decision decision = versions.unpin();
        metrics.controlCommands.inc();
        LOG.info("Control {} from {}: unpinned (was {}); newest known version {}, serving {}",
                control.getCommandId(), control.getRequestedBy(),
                wasPinned == ModelVersions.NOT_PINNED ? "not pinned" : wasPinned, versions.newestKnown().version(),
                versions.current().version());
        act(decision);
    }

    private void act(ModelVersions.Decision decision) {
        switch (decision) {
            case LOAD -> startLoad(versions.loading());
            case IGNORE -> metrics.announcementsIgnored.inc();
            case NONE, REFUSE -> { }
        }
    }

    private void startLoad(ModelRef target) {
        loading = CompletableFuture.supplyAsync(() -> {
            try {
                return loader.load(target.uri(), target.expectedChecksum(), k);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, loaderThread);
        schedulePoll();
    }

    private void schedulePoll() {
        time.registerTimer(time.getCurrentProcessingTime() + MODEL_LOAD_POLL_MS, now -> poll());
    }

    /** Runs on the task thread: swaps in a finished load, or checks again later. */
    private void poll() throws Exception {
        if (loading == null) {
            return;
        }
        if (!loading.isDone()) {
            schedulePoll();
            return;
        }
        ModelRef target = versions.loading();
        CompletableFuture<ServingModel> done = loading;
        loading = null;
        long current = versions.current().version();
        try {
            ServingModel loaded = done.join();
            switch (versions.loaded(loaded.version())) {
                case DISCARD -> LOG.info("Discarding model version {}: a pin or unpin since its load started wants "
                        + "another (serving {}, pinned {})", target.version(), current,
                        versions.pinned() == ModelVersions.NOT_PINNED ? "none" : versions.pinned());
                case WRONG_VERSION -> {
                    metrics.modelLoadFailures.inc();
                    LOG.warn("Snapshot {} announced as version {} holds version {} (serving {}); keeping version {}",
                            target.uri(), target.version(), loaded.version(), current, current);
                }
                case SWAP -> {
                    swap.to(loaded);
                    LOG.info("Serving model version {} ({} items) from {}", loaded.version(), loaded.itemCount(),
                            target.uri());
                    metrics.modelSwaps.inc();
                }
            }
        } catch (CompletionException | CancellationException e) {
            boolean pinWithdrawn = versions.loadFailed();
            metrics.modelLoadFailures.inc();
            LOG.warn("Model version {} from {} failed to load; keeping version {}", target.version(), target.uri(),
                    current, e.getCause() != null ? e.getCause() : e);
            if (pinWithdrawn) {
                // The pin command is refused after the fact: its snapshot cannot be served (pruned, damaged).
                metrics.controlCommandsRefused.inc();
                LOG.warn("Pin to model version {} withdrawn: its snapshot cannot be loaded; {}", target.version(),
                        versions.pinned() == ModelVersions.NOT_PINNED
                                ? "serving follows announcements again (newest known " + versions.newestKnown().version() + ")"
                                : "version " + versions.pinned() + " stays pinned");
                act(versions.followPin());
                return;
            }
        }
        act(versions.startQueued());
    }

    /** For tests: waits until the load in progress (if any) has finished; the swap happens at the next check. */
    void awaitLoad() throws InterruptedException {
        CompletableFuture<ServingModel> current = loading;
        if (current != null) {
            try {
                current.get();
            } catch (ExecutionException e) {
                // A failed load is counted and logged at the next check, not the caller's business.
            }
        }
    }

    @Override
    public void close() {
        if (loaderThread != null) {
            loaderThread.shutdownNow();
        }
    }
}
