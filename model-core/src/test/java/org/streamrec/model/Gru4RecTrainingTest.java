package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.streamrec.data.SessionDataset;

/** Trains on real data (rsc15-100k) and checks that GRU4Rec learns: loss falls, Recall@20 far above POP. */
class Gru4RecTrainingTest {

    @Test
    void learnsNextItemOnRsc15Sample() {
        SessionDataset train = TestData.read("rsc15-100k/yoochoose-clicks-100k_train_full.txt");
        SessionDataset test = TestData.read("rsc15-100k/yoochoose-clicks-100k_test.txt");
        assertThat(train.report().clean()).isTrue();
        // The published rsc15 cross-entropy setting, smaller sample count to keep the test fast.
        Gru4RecParams params = Gru4RecParams.builtIn("rsc15-xe").with("n_sample", "512").with("n_epochs", "3");
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, params);
        Gru4RecModel model = prepared.model();
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        List<TrainingListener.Progress> reports = new ArrayList<>();
        double[] losses = trainer.train(prepared.sessions(), reports::add);
        reports.stream().filter(TrainingListener.Progress::epochFinished).forEach(System.out::println);

        assertThat(losses).hasSize(3);
        assertThat(losses[1]).isLessThan(losses[0]);
        assertThat(losses[2]).isLessThan(losses[1]);
        assertThat(model.epochsCompleted()).isEqualTo(3);
        assertThat(model.eventsSeen()).isEqualTo(reports.stream().filter(TrainingListener.Progress::epochFinished)
                .mapToLong(TrainingListener.Progress::eventsDone).sum());

        int[][] testSessions = Gru4RecTrainer.mapSessions(test, model.vocabulary(), false);
        NextItemMetrics m = NextItemMetrics.evaluate(model, testSessions, 20, 256, Long.MAX_VALUE);
        double pop = NextItemMetrics.popularityRecall(model.popularity(), testSessions, 20);
        System.out.printf("rsc15-100k test: %d predictions, GRU4Rec Recall@20 %.4f MRR@20 %.4f, POP Recall@20 %.4f%n",
                m.predictions, m.recall, m.mrr, pop);
        assertThat(m.predictions).isEqualTo(10_152);
        assertThat(pop).isBetween(0.05, 0.15);
        assertThat(m.recall).isGreaterThan(0.40).isGreaterThan(4 * pop);
    }
}
