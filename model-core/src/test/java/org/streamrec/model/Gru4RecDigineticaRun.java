package org.streamrec.model;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.streamrec.data.SessionDataset;

/**
 * Full diginetica run (not a test; by hand, results in BENCHMARKS.md): trains with a parameter file,
 * saves a snapshot to {@code args[1]}, then scores the test set with the protocol of
 * {@code shared/data/README.md} through the test helper {@link NextItemMetrics}.
 * Arguments: {@code params-name-or-file snapshot-dir [key=value ...]}.
 */
public final class Gru4RecDigineticaRun {

    public static void main(String[] args) {
        String paramsArg = args[0];
        Path out = Path.of(args[1]);
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            overrides.put(kv[0], kv[1]);
        }
        Gru4RecParams params = (paramsArg.endsWith(".properties") ? Gru4RecParams.load(Path.of(paramsArg))
                : Gru4RecParams.builtIn(paramsArg)).withOverrides(overrides);
        System.out.println("params " + params.toMap() + "; exp/tanh: " + ElementwiseMath.INSTANCE.name());
        SessionDataset train = TestData.read("diginetica/diginetica_train.tsv.gz");
        SessionDataset test = TestData.read("diginetica/diginetica_test.tsv.gz");
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, params);
        Gru4RecModel model = prepared.model();
        int[][] testSessions = Gru4RecTrainer.mapSessions(test, model.vocabulary(), false);
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        long t0 = System.nanoTime();
        for (int epoch = 1; epoch <= params.nEpochs(); epoch++) {
            // One call per epoch (same trainer, same random streams as a single call) so that a snapshot
            // exists after every epoch and a long run still yields a result if it must be stopped.
            trainer.train(prepared.sessions(), 1, Long.MAX_VALUE, p -> System.out.println(p));
            System.out.printf("epoch %d done after %.1f min%n", epoch, (System.nanoTime() - t0) / 60e9);
            model.bumpVersion(epoch);
            ModelSnapshot.save(model, null, out);
            if (epoch == 3 || epoch == params.nEpochs()) {
                Gru4RecModel loaded = ModelSnapshot.load(out);
                long e0 = System.nanoTime();
                NextItemMetrics m = NextItemMetrics.evaluate(loaded, testSessions, 20, 256, Long.MAX_VALUE);
                System.out.printf("diginetica test after epoch %d: %d predictions, Recall@20 %.4f, MRR@20 %.4f "
                        + "(evaluation %.1f s, model from %s)%n", epoch, m.predictions, m.recall, m.mrr,
                        (System.nanoTime() - e0) / 1e9, out);
            }
        }
    }
}
