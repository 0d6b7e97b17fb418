package org.streamrec.flink.demo;

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
 * two cores rather than the full ten epochs; saved as snapshot version 1.
 */
public final class BootstrapModel {

    /** What was trained and where it is. */
    public record Trained(Path snapshot, long version, int items, long trainingEvents, double[] epochLosses, double seconds) {
    }

    private BootstrapModel() {
    }

    public static Trained train(Path trainFile, int hidden, int epochs, Path snapshotDir, Consumer<String> log) throws IOException {
        SessionDataset train = DatasetReaders.read(trainFile);
        Gru4RecParams params = Gru4RecParams.builtIn("rsc15-xe")
                .with("layers", String.valueOf(hidden))
                .with("n_epochs", String.valueOf(epochs));
        long start = System.nanoTime();
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, params);
        Gru4RecModel model = prepared.model();
        log.accept(String.format("training GRU4Rec (rsc15-xe, hidden %d, %d epoch(s)) on %,d sessions, %,d events, %,d items",
                hidden, epochs, train.sessionCount(), train.eventCount(), model.itemCount()));
        double[] losses = new Gru4RecTrainer(model).train(prepared.sessions(), progress -> {
            if (progress.epochFinished()) {
                log.accept("training " + progress);
            }
        });
        model.bumpVersion(1);
        ModelSnapshot.save(model, null, snapshotDir);
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Trained(snapshotDir, model.version(), model.itemCount(), model.eventsSeen(), losses, seconds);
    }
}
