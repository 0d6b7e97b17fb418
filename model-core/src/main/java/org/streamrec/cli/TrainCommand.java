package org.streamrec.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.TrainingListener;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = "Train GRU4Rec on a session file as the official implementation does and save a model snapshot.")
final class TrainCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--train", required = true, description = "Training sessions (SessionId, ItemId, Time; .gz allowed).")
    Path train;

    @Option(names = "--out", required = true, description = "Snapshot directory to write.")
    Path out;

    @Option(names = "--params", description = "Parameter file (key=value, official GRU4Rec names) or a built-in "
            + "name: diginetica-bprmax, rsc15-xe. Default: the official defaults.")
    String params;

    @Option(names = {"-p", "--param"}, description = "Override one parameter, e.g. -p n_epochs=3 -p layers=100 (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--epochs", description = "Shortcut for -p n_epochs=N.")
    Integer epochs;

    @Option(names = "--layers", description = "Shortcut for -p layers=N (hidden units).")
    Integer layers;

    @Option(names = "--seed", description = "Shortcut for -p seed=N.")
    Long seed;

    @Option(names = "--with-optimizer-state", description = "Also store the Adagrad state, so incremental training can resume it.")
    boolean withOptimizerState;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Gru4RecParams base;
        try {
            base = params == null ? Gru4RecParams.defaults()
                    : Files.isRegularFile(Path.of(params)) ? Gru4RecParams.load(Path.of(params)) : Gru4RecParams.builtIn(params);
            Map<String, String> all = new LinkedHashMap<>(overrides);
            if (epochs != null) {
                all.put("n_epochs", epochs.toString());
            }
            if (layers != null) {
                all.put("layers", layers.toString());
            }
            if (seed != null) {
                all.put("seed", seed.toString());
            }
            base = base.withOverrides(all);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        long t0 = System.nanoTime();
        SessionDataset data = DatasetReaders.read(train);
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(data, base);
        Gru4RecModel model = prepared.model();
        err.printf(Locale.ROOT, "read %,d events in %,d sessions, %,d items (%.1f s); params %s%n", data.eventCount(),
                data.sessionCount(), model.itemCount(), (System.nanoTime() - t0) / 1e9, base.toMap());
        err.flush();
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        TrainingListener progress = p -> {
            err.println(p);
            err.flush();
        };
        double[] losses = trainer.train(prepared.sessions(), progress);
        model.bumpVersion(1);
        ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, withOptimizerState ? trainer : null, this.out);
        stdout.printf(Locale.ROOT, "trained %d epochs (final loss %.5f) on %,d events; snapshot %s (version %d, %d files)%n",
                losses.length, losses[losses.length - 1], model.eventsSeen(), this.out, manifest.version(), manifest.files().size());
        stdout.flush();
        return 0;
    }
}
