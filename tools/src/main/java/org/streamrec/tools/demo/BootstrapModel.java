package org.streamrec.tools.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;

/**
 * Trains the demo's first model: GRU4Rec with the authors' tuned RSC15 cross-entropy setting (built-in
 * {@code rsc15-xe}), only with fewer epochs and, if asked, another hidden size, so it takes about half a minute on
 * two cores rather than the full ten epochs; saved as snapshot version 1 with its optimizer state.
 */
public final class BootstrapModel {

    /** What was trained and where it is. */
    public record Trained(Path snapshot, long version, int items, long trainingEvents, double[] epochLosses, double seconds) {
    }

    private BootstrapModel() {
    }

    public static Trained train(Path trainFile, int hidden, int epochs, Path snapshotDir, Consumer<String> log) throws IOException {
        Gru4RecParams params = Gru4RecParams.builtIn("rsc15-xe")
                .with("layers", String.valueOf(hidden))
                .with("n_epochs", String.valueOf(epochs));
        // With the Adagrad state: the demo's trainer job continues this optimisation instead of restarting it.
        return train(DatasetReaders.read(trainFile), params, snapshotDir, true, log);
    }

    /**
     * Trains GRU4Rec with {@code params} on {@code train} and saves it as version 1; with {@code optimizerState} the
     * snapshot also holds the Adagrad state, so a trainer job started from it continues the same optimisation.
     */
    public static Trained train(SessionDataset train, Gru4RecParams params, Path snapshotDir, boolean optimizerState,
                                Consumer<String> log) {
        long start = System.nanoTime();
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, params);
        Gru4RecModel model = prepared.model();
        log.accept(String.format("training GRU4Rec (%s loss, hidden %d, %d epoch(s)) on %,d sessions, %,d events, %,d items",
                params.toMap().get("loss"), model.hiddenSize(), params.nEpochs(), train.sessionCount(), train.eventCount(),
                model.itemCount()));
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        double[] losses = trainer.train(prepared.sessions(), progress -> {
            if (progress.epochFinished()) {
                log.accept("training " + progress);
            }
        });
        model.bumpVersion(1);
        ModelSnapshot.save(model, optimizerState ? trainer : null, snapshotDir);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Trained(snapshotDir, model.version(), model.itemCount(), model.eventsSeen(), losses, seconds);
    }
}
