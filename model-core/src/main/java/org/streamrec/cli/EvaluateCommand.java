package org.streamrec.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.eval.EvaluationResult;
import org.streamrec.eval.Evaluator;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.SnapshotException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "evaluate",
        mixinStandardHelpOptions = true,
        description = "Evaluate a GRU4Rec snapshot on a test file with the offline next-item protocol "
                + "(all prefixes, all training items ranked, ties against the target).")
final class EvaluateCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Snapshot directory written by 'train'.")
    Path model;

    @Mixin
    EvaluationOptions evaluation;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Gru4RecModel gru;
        try {
            gru = ModelSnapshot.load(model);
        } catch (SnapshotException e) {
            err.println("cannot load model: " + e.getMessage());
            err.flush();
            return 2;
        }
        SessionDataset testData = DatasetReaders.read(evaluation.test);
        Evaluator evaluator = evaluation.evaluator();
        EvaluationResult result = evaluator.evaluate("gru4rec", gru, gru.vocabulary(), testData.sessions(),
                new ProgressPrinter(err, evaluation.progressSeconds), null);
        if (evaluation.json()) {
            ObjectNode root = result.toJson();
            root.put("model", model.toString());
            root.put("test", evaluation.test.toString());
            root.put("modelVersion", gru.version());
            root.put("trainingEvents", gru.eventsSeen());
            root.put("epochs", gru.epochsCompleted());
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root));
        } else {
            out.print(EvaluationResult.table(List.of(result)));
        }
        out.flush();
        return 0;
    }
}
