package org.streamrec.tools.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;

/**
 * The model the load test serves: GRU4Rec over every item of the training file (diginetica: 43,097), with the
 * authors' tuned diginetica BPR-max setting at the requested hidden size. {@code epochs} = 0 skips training and
 * saves the freshly initialised model: its vocabulary, popularity fallback and parameter shapes are the real ones,
 * so each event costs exactly what it costs with a trained model (the recommendations are just not useful), which
 * is what the smoke test uses to stay short. A snapshot already in {@code dir} is reused.
 */
final class LoadTestModel {

    private LoadTestModel() {
    }

    static Path prepare(Path trainFile, int hidden, int epochs, Path dir, Consumer<String> log) throws IOException {
        if (Files.isRegularFile(dir.resolve(ModelSnapshot.MANIFEST))) {
            ModelSnapshot.Manifest manifest = ModelSnapshot.readManifest(dir);
            log.accept(String.format("model: reusing the snapshot in %s (version %d, %,d items, hidden %d, %d epoch(s))",
                    dir, manifest.version(), manifest.itemCount(), manifest.hidden(), manifest.epochsCompleted()));
            return dir;
        }
        long start = System.nanoTime();
        SessionDataset train = DatasetReaders.read(trainFile);
        Gru4RecParams params = Gru4RecParams.builtIn("diginetica-bprmax")
                .with("layers", String.valueOf(hidden))
                .with("n_epochs", String.valueOf(Math.max(1, epochs)));
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, params);
        Gru4RecModel model = prepared.model();
        if (epochs > 0) {
            log.accept(String.format("model: training GRU4Rec (diginetica-bprmax, hidden %d, %d epoch(s)) on %,d events, %,d items",
                    hidden, epochs, train.eventCount(), model.itemCount()));
            new Gru4RecTrainer(model).train(prepared.sessions(), progress -> {
                if (progress.epochFinished()) {
                    log.accept("model: " + progress);
                }
            });
        } else {
            log.accept(String.format("model: untrained GRU4Rec (initial weights, hidden %d) over the %,d items of %s",
                    hidden, model.itemCount(), trainFile.getFileName()));
        }
        model.bumpVersion(1);
        Files.createDirectories(dir.getParent());
        ModelSnapshot.save(model, null, dir);
        log.accept(String.format("model: snapshot %s written in %.1f s", dir, (System.nanoTime() - start) / 1e9));
        return dir;
    }
}
