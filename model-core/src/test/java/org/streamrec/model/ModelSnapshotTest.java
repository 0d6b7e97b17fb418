package org.streamrec.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSnapshotTest {

    @TempDir
    Path tmp;

    private static Gru4RecTrainer trained(boolean constrained) {
        Gru4RecParams params = Gru4RecParams.fromMap(java.util.Map.of("layers", "8", "batch_size", "4",
                "n_sample", "5", "momentum", "0.2", "loss", "bpr-max",
                "constrained_embedding", Boolean.toString(constrained), "embedding", constrained ? "0" : "6"));
        List<String> ids = new ArrayList<>();
        long[] pop = new long[30];
        for (int i = 0; i < 30; i++) {
            ids.add("item-" + i);
            pop[i] = 1 + i % 5;
        }
        Gru4RecModel model = Gru4RecModel.create(params, new ItemVocabulary(ids), pop);
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int b = 0; b < 10; b++) {
            int[] in = {rnd.nextInt(30), rnd.nextInt(30), rnd.nextInt(30), rnd.nextInt(30)};
            trainer.trainIncremental(in, new int[] {1, 2, 3, 4}, new boolean[] {b % 3 == 0, false, true, false});
        }
        model.bumpVersion(7);
        return trainer;
    }

    @Test
    void roundTripRestoresParametersCountersAndScores() {
        for (boolean constrained : new boolean[] {true, false}) {
            Gru4RecTrainer trainer = trained(constrained);
            Gru4RecModel model = trainer.model();
            Path dir = tmp.resolve("snap-" + constrained);
            ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, trainer, dir);
            assertThat(manifest.files()).extracting(ModelSnapshot.FileEntry::name)
                    .contains("params.properties", "vocabulary.txt", "popularity.i64", "out_embedding.f32", "gru_w_hid.f32",
                            "optimizer/acc_out_embedding.f32");

            Gru4RecModel loaded = ModelSnapshot.load(dir);
            assertThat(loaded.params()).isEqualTo(model.params());
            assertThat(loaded.vocabulary().ids()).isEqualTo(model.vocabulary().ids());
            assertThat(loaded.popularity()).containsExactly(model.popularity());
            assertThat(loaded.eventsSeen()).isEqualTo(40);
            assertThat(loaded.version()).isEqualTo(7);
            assertThat(loaded.parentVersion()).isEqualTo(0);
            float[] h1 = model.newSession();
            float[] h2 = loaded.newSession();
            float[] s1 = new float[30];
            float[] s2 = new float[30];
            for (int item : new int[] {3, 9, 3}) {
                model.step(h1, item);
                loaded.step(h2, item);
            }
            model.scoreAll(List.of(h1), s1);
            loaded.scoreAll(List.of(h2), s2);
            assertThat(s2).containsExactly(s1);

            // Training continues exactly as the original would from the restored Adagrad state
            // (same negatives given explicitly; the sampler's and dropout's random streams are not saved).
            Gru4RecTrainer resumed = ModelSnapshot.loadForTraining(dir);
            Gru4RecTrainer fresh = new Gru4RecTrainer(ModelSnapshot.load(dir));
            int[] in = {1, 2, 3, 4};
            int[] out = {5, 6, 7, 8};
            int[] negatives = {0, 5, 9, 9, 20};
            double lossA = trainer.step(4, in, out, negatives, 5, new float[4 * 8], true, true);
            double lossB = resumed.step(4, in, out, negatives, 5, new float[4 * 8], true, true);
            fresh.step(4, in, out, negatives, 5, new float[4 * 8], true, true);
            assertThat(lossB).isEqualTo(lossA);
            assertThat(resumed.model().wHid).containsExactly(model.wHid);
            assertThat(resumed.model().outEmb).startsWith(java.util.Arrays.copyOf(model.outEmb, 30 * 8));
            assertThat(fresh.model().wHid).isNotEqualTo(model.wHid);
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedForServingButRestoreForTraining() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            Path dir = tmp.resolve("diverged-" + bad);
            Gru4RecTrainer trainer = trained(false);
            trainer.model().wHid[3] = bad;
            ModelSnapshot.save(trainer.model(), trainer, dir);

            assertThatThrownBy(() -> ModelSnapshot.load(dir))
                    .isInstanceOf(SnapshotException.class)
                    .hasMessageContaining("gru_w_hid.f32")
                    .hasMessageContaining("non-finite weight (" + bad + " at index 3)");
            assertThat(Float.floatToIntBits(ModelSnapshot.loadForTraining(dir).model().wHid[3]))
                    .isEqualTo(Float.floatToIntBits(bad));
        }
    }

    @Test
    void corruptedByteIsReportedWithTheFileName() throws IOException {
        Path dir = tmp.resolve("corrupt");
        ModelSnapshot.save(trained(true).model(), null, dir);
        Path file = dir.resolve("gru_w_hid.f32");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(17);
            int b = raf.read();
            raf.seek(17);
            raf.write(b ^ 0x40);
        }
        assertThatThrownBy(() -> ModelSnapshot.load(dir))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("gru_w_hid.f32")
                .hasMessageContaining("corrupted")
                .hasMessageContaining("SHA-256");
    }

    @Test
    void truncatedFileIsReported() throws IOException {
        Path dir = tmp.resolve("truncated");
        ModelSnapshot.save(trained(true).model(), null, dir);
        Path file = dir.resolve("out_embedding.f32");
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> ModelSnapshot.load(dir))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("out_embedding.f32")
                .hasMessageContaining("truncated")
                .hasMessageContaining((bytes.length - 10) + " bytes");
    }

    @Test
    void missingFileAndMissingManifestAreReported() throws IOException {
        Path dir = tmp.resolve("missing");
        ModelSnapshot.save(trained(true).model(), null, dir);
        Files.delete(dir.resolve("vocabulary.txt"));
        assertThatThrownBy(() -> ModelSnapshot.load(dir))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("vocabulary.txt")
                .hasMessageContaining("missing");

        Files.delete(dir.resolve(ModelSnapshot.MANIFEST));
        assertThatThrownBy(() -> ModelSnapshot.load(dir))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("manifest.json")
                .hasMessageContaining("unfinished");
    }

    @Test
    void garbledManifestIsReported() throws IOException {
        Path dir = tmp.resolve("garbled");
        ModelSnapshot.save(trained(true).model(), null, dir);
        Path manifest = dir.resolve(ModelSnapshot.MANIFEST);
        String text = Files.readString(manifest);
        Files.writeString(manifest, text.substring(0, text.length() / 2));
        assertThatThrownBy(() -> ModelSnapshot.load(dir))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("manifest.json")
                .hasMessageContaining("not a valid manifest");
    }
}
