package org.streamrec.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.streamrec.baselines.Baseline;
import org.streamrec.baselines.HistoryScorer;
import org.streamrec.baselines.TrainingStats;
import org.streamrec.baselines.VsknnScorer;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.eval.EvaluationResult;
import org.streamrec.eval.Evaluator;
import org.streamrec.model.ItemVocabulary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "baselines",
        mixinStandardHelpOptions = true,
        description = "Fit the baselines on a training file and evaluate them on a test file with the offline "
                + "next-item protocol (all prefixes, all training items ranked, ties against the target).")
final class BaselinesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--train", required = true, description = "Training sessions (SessionId, ItemId, Time; .gz allowed).")
    Path train;

    @Mixin
    EvaluationOptions evaluation;

    @Option(names = "--only", split = ",", description = "Baselines to run (default: all): pop, markov, itemknn, vsknn, sr.")
    List<String> only;

    @Option(names = "--vsknn-k", defaultValue = "100", description = "V-SKNN neighbours (default: ${DEFAULT-VALUE}).")
    int vsknnK;

    @Option(names = "--vsknn-sample", defaultValue = "1000", description = "V-SKNN most recent candidate sessions (default: ${DEFAULT-VALUE}).")
    int vsknnSample;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Baseline> baselines = new ArrayList<>();
        for (String name : only == null ? List.<String>of() : only) {
            try {
                baselines.add(Baseline.byName(name));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
        if (baselines.isEmpty()) {
            baselines.addAll(List.of(Baseline.values()));
        }

        long readStart = System.nanoTime();
        SessionDataset trainData = DatasetReaders.read(train);
        SessionDataset testData = DatasetReaders.read(evaluation.test);
        ItemVocabulary vocabulary = TrainingStats.vocabularyOf(trainData);
        TrainingStats stats = TrainingStats.of(trainData, vocabulary);
        err.printf(Locale.ROOT, "read %,d training events in %,d sessions, %,d items; %,d test sessions, %,d predictions (%.1f s)%n",
                trainData.eventCount(), trainData.sessionCount(), vocabulary.size(), testData.sessionCount(),
                Evaluator.predictionCount(testData.sessions()), (System.nanoTime() - readStart) / 1e9);
        warnAboutMalformed(err, trainData);
        warnAboutMalformed(err, testData);

        Evaluator evaluator = evaluation.evaluator();
        ProgressPrinter progress = new ProgressPrinter(err, evaluation.progressSeconds);
        List<EvaluationResult> results = new ArrayList<>();
        Map<String, Double> fitSeconds = new LinkedHashMap<>();
        for (Baseline baseline : baselines) {
            long fitStart = System.nanoTime();
            HistoryScorer scorer = baseline == Baseline.VSKNN
                    ? VsknnScorer.fit(stats, new VsknnScorer.Params(vsknnK, vsknnSample))
                    : baseline.fit(stats);
            double fit = (System.nanoTime() - fitStart) / 1e9;
            fitSeconds.put(scorer.name(), fit);
            err.printf(Locale.ROOT, "[%s] fitted in %.1f s%n", scorer.name(), fit);
            results.add(evaluator.evaluate(scorer.name(), scorer, vocabulary, testData.sessions(), progress, null));
        }

        if (evaluation.json()) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode root = mapper.createObjectNode();
            root.put("train", train.toString());
            root.put("test", evaluation.test.toString());
            root.put("trainEvents", trainData.eventCount());
            root.put("trainSessions", trainData.sessionCount());
            root.put("items", vocabulary.size());
            root.put("testSessions", testData.sessionCount());
            root.put("excludeSeen", evaluation.excludeSeen);
            ArrayNode array = root.putArray("results");
            for (EvaluationResult r : results) {
                array.add(r.toJson().put("fitSeconds", fitSeconds.get(r.name())));
            }
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } else {
            out.print(EvaluationResult.table(results));
            StringBuilder fits = new StringBuilder("fit s:");
            fitSeconds.forEach((name, s) -> fits.append(String.format(Locale.ROOT, " %s %.1f", name, s)));
            out.println(fits);
        }
        out.flush();
        return 0;
    }

    private static void warnAboutMalformed(PrintWriter err, SessionDataset data) {
        if (!data.report().clean()) {
            err.printf(Locale.ROOT, "WARNING: %s: %,d malformed lines skipped, first: %s%n", data.report().source(),
                    data.report().malformedCount(), data.report().malformed().get(0));
        }
    }
}
