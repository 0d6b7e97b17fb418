package org.streamrec.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ItemVocabulary;

/** Real sessions' hidden states: what the serving path scores, for measurements on a trained model. */
public final class SessionHiddenStates {

    private SessionHiddenStates() {
    }

    /**
     * The hidden state after each known item of the first sessions of {@code sessions} (SessionId, ItemId, Time; gzip
     * TSV with a header), at most {@code count}; items the model does not know are skipped, as the serving job does.
     */
    public static List<float[]> read(Gru4RecModel model, Path sessions, int count) throws IOException {
        List<float[]> states = new ArrayList<>();
        ItemVocabulary vocabulary = model.vocabulary();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new GZIPInputStream(Files.newInputStream(sessions)), StandardCharsets.UTF_8))) {
            in.readLine();
            String session = null;
            float[] h = null;
            for (String line = in.readLine(); line != null && states.size() < count; line = in.readLine()) {
                String[] fields = line.split("\t");
                if (!fields[0].equals(session)) {
                    session = fields[0];
                    h = model.newSession();
                }
                int row = vocabulary.indexOf(fields[1]);
                if (row >= 0 && row < model.itemCount()) {
                    model.step(h, row);
                    states.add(h.clone());
                }
            }
        }
        return states;
    }
}
