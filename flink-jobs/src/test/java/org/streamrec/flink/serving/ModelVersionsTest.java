package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.streamrec.flink.serving.ModelVersions.Decision;
import org.streamrec.flink.serving.ModelVersions.LoadOutcome;

/** Every transition of {@link ModelVersions}, without Flink: what each input decides and what is then remembered. */
class ModelVersionsTest {

    private static ModelRef ref(long version) {
        return new ModelRef(version, "mem://v" + version, "sum" + version);
    }

    /** Serving version 1, as after start-up. */
    private static ModelVersions servingV1() {
        ModelVersions versions = new ModelVersions();
        versions.serve(ref(1));
        return versions;
    }

    private static List<Long> knownVersions(ModelVersions versions) {
        return versions.known().stream().map(ModelRef::version).toList();
    }

    @Test
    void aNewerAnnouncementLoadsAndItsSuccessfulLoadSwaps() {
        ModelVersions versions = servingV1();
        assertThat(versions.announce(ref(2))).isEqualTo(Decision.LOAD);
        assertThat(versions.loading()).isEqualTo(ref(2));
        assertThat(versions.current()).isEqualTo(ref(1));
        assertThat(versions.inFlight()).containsExactly(ref(1), ref(2));

        assertThat(versions.loaded(2)).isEqualTo(LoadOutcome.SWAP);
        assertThat(versions.current()).isEqualTo(ref(2));
        assertThat(versions.loading()).isNull();
        assertThat(versions.startQueued()).isEqualTo(Decision.NONE);
        assertThat(knownVersions(versions)).containsExactly(1L, 2L);
    }

    @Test
    void olderAndRepeatedAnnouncementsAreIgnoredButAnOlderUnknownOneIsRemembered() {
        ModelVersions versions = new ModelVersions();
        versions.serve(ref(5));
        assertThat(versions.announce(ref(5))).isEqualTo(Decision.IGNORE);
        assertThat(versions.announce(ref(3))).isEqualTo(Decision.IGNORE);
        assertThat(versions.loading()).isNull();
        assertThat(knownVersions(versions)).containsExactly(3L, 5L);
    }

    @Test
    void theFirstSnapshotOfAVersionIsKeptOnReannouncement() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        assertThat(versions.announce(new ModelRef(2, "mem://elsewhere", ""))).isEqualTo(Decision.IGNORE);
        assertThat(versions.known()).contains(ref(2)).doesNotContain(new ModelRef(2, "mem://elsewhere", ""));
    }

    @Test
    void announcementsDuringALoadAreQueuedNewestWinsAndNotNewerOnesAreIgnored() {
        ModelVersions versions = servingV1();
        assertThat(versions.announce(ref(3))).isEqualTo(Decision.LOAD);
        assertThat(versions.announce(ref(2))).as("older than the one loading").isEqualTo(Decision.IGNORE);
        assertThat(versions.announce(ref(4))).isEqualTo(Decision.NONE);
        assertThat(versions.announce(ref(5))).isEqualTo(Decision.NONE);
        assertThat(versions.announce(ref(4))).as("older than the one queued").isEqualTo(Decision.IGNORE);
        assertThat(versions.inFlight()).containsExactly(ref(1), ref(3), ref(5));

        versions.loadFailed();
        assertThat(versions.current()).isEqualTo(ref(1));
        assertThat(versions.startQueued()).isEqualTo(Decision.LOAD);
        assertThat(versions.loading()).isEqualTo(ref(5));
        assertThat(versions.startQueued()).as("nothing queued any more").isEqualTo(Decision.NONE);
    }

    @Test
    void aQueuedModelNoLongerNewerAfterTheSwapIsIgnored() {
        ModelVersions versions = servingV1();
        versions.announce(new ModelRef(3, "mem://holds-4", ""));
        versions.announce(ref(4));
        assertThat(versions.loaded(4)).as("the snapshot holds a newer version than announced").isEqualTo(LoadOutcome.SWAP);
        assertThat(versions.current()).isEqualTo(new ModelRef(4, "mem://holds-4", ""));
        assertThat(versions.startQueued()).isEqualTo(Decision.IGNORE);
        assertThat(versions.loading()).isNull();
    }

    @Test
    void aLoadHoldingAVersionThatIsNotWantedIsAWrongVersionAndTheCurrentStays() {
        ModelVersions versions = servingV1();
        versions.announce(ref(3));
        assertThat(versions.loaded(1)).isEqualTo(LoadOutcome.WRONG_VERSION);
        assertThat(versions.current()).isEqualTo(ref(1));
        assertThat(versions.loading()).isNull();
    }

    @Test
    void aFailedLoadKeepsTheCurrentModel() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        versions.loadFailed();
        assertThat(versions.current()).isEqualTo(ref(1));
        assertThat(versions.loading()).isNull();
        assertThat(versions.inFlight()).containsExactly(ref(1));
        assertThat(versions.announce(ref(2))).as("a repeat after a failed load is tried again")
                .isEqualTo(Decision.LOAD);
    }

    @Test
    void pinningAKnownOlderVersionLoadsItAndHoldsThroughNewerAnnouncements() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        versions.loaded(2);
        assertThat(versions.pin(1)).isEqualTo(Decision.LOAD);
        assertThat(versions.pinned()).isEqualTo(1);
        assertThat(versions.loaded(1)).isEqualTo(LoadOutcome.SWAP);
        assertThat(versions.current()).isEqualTo(ref(1));

        assertThat(versions.announce(ref(3))).as("remembered, not loaded").isEqualTo(Decision.NONE);
        assertThat(versions.loading()).isNull();
        assertThat(knownVersions(versions)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aPinWhoseSnapshotFailsToLoadIsWithdrawnForgottenAndLaterAnnouncementsSwapAgain() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        versions.loaded(2);
        assertThat(versions.pin(1)).as("v1's snapshot was pruned since").isEqualTo(Decision.LOAD);

        assertThat(versions.loadFailed()).as("the pin is withdrawn").isTrue();
        assertThat(versions.pinned()).isEqualTo(ModelVersions.NOT_PINNED);
        assertThat(knownVersions(versions)).as("v1 forgotten: pinning it again is refused").containsExactly(2L);
        assertThat(versions.pin(1)).isEqualTo(Decision.REFUSE);
        assertThat(versions.followPin()).as("v2, the newest known, is served already").isEqualTo(Decision.NONE);
        assertThat(versions.current()).isEqualTo(ref(2));

        assertThat(versions.announce(ref(3))).as("announcements are loaded again").isEqualTo(Decision.LOAD);
        assertThat(versions.loaded(3)).isEqualTo(LoadOutcome.SWAP);
    }

    @Test
    void aFailedPinGoesBackToThePinBeforeIt() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        versions.loaded(2);
        versions.announce(ref(3));
        versions.loaded(3);
        versions.pin(2);
        versions.loaded(2);
        assertThat(versions.pin(1)).isEqualTo(Decision.LOAD);

        assertThat(versions.loadFailed()).isTrue();
        assertThat(versions.pinned()).as("back to the working pin").isEqualTo(2);
        assertThat(versions.followPin()).as("v2 is served already").isEqualTo(Decision.NONE);
        assertThat(versions.announce(ref(4))).as("still pinned to v2").isEqualTo(Decision.NONE);
    }

    @Test
    void aFailedLoadOfAnAnnouncementDoesNotWithdrawAPin() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        assertThat(versions.loadFailed()).as("not a pin's load").isFalse();
        assertThat(versions.announce(ref(3))).isEqualTo(Decision.LOAD);
        assertThat(versions.loaded(3)).isEqualTo(LoadOutcome.SWAP);
    }

    @Test
    void pinningAnUnknownVersionIsRefusedAndChangesNothing() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        assertThat(versions.pin(7)).isEqualTo(Decision.REFUSE);
        assertThat(versions.pinned()).isEqualTo(ModelVersions.NOT_PINNED);
        assertThat(versions.loading()).isEqualTo(ref(2));
        assertThat(versions.describeKnownVersions()).isEqualTo("[1, 2]");
    }

    @Test
    void pinningTheServedVersionLoadsNothingAndDropsAQueuedModel() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        versions.announce(ref(3));   // queued behind 2
        assertThat(versions.pin(1)).isEqualTo(Decision.NONE);
        assertThat(versions.inFlight()).containsExactly(ref(1), ref(2));
        assertThat(versions.loaded(2)).as("no longer wanted: discarded, not a failure").isEqualTo(LoadOutcome.DISCARD);
        assertThat(versions.current()).isEqualTo(ref(1));
        assertThat(versions.startQueued()).isEqualTo(Decision.NONE);
    }

    @Test
    void aPinDuringALoadOfAnotherVersionQueuesThePinnedOneAndDiscardsTheLoad() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        versions.loaded(2);
        versions.announce(ref(3));   // loading
        assertThat(versions.pin(1)).isEqualTo(Decision.NONE);
        assertThat(versions.inFlight()).containsExactly(ref(2), ref(3), ref(1));
        assertThat(versions.loaded(3)).isEqualTo(LoadOutcome.DISCARD);
        assertThat(versions.startQueued()).isEqualTo(Decision.LOAD);
        assertThat(versions.loading()).isEqualTo(ref(1));
        assertThat(versions.loaded(1)).isEqualTo(LoadOutcome.SWAP);
        assertThat(versions.current()).isEqualTo(ref(1));
    }

    @Test
    void aPinOfTheVersionBeingLoadedLoadsNothingMore() {
        ModelVersions versions = servingV1();
        versions.announce(ref(2));
        assertThat(versions.pin(2)).isEqualTo(Decision.NONE);
        assertThat(versions.loaded(2)).isEqualTo(LoadOutcome.SWAP);
        assertThat(versions.pinned()).isEqualTo(2);
    }

    @Test
    void unpinMovesToTheNewestKnownVersionOrStaysWhenItIsServed() {
        ModelVersions versions = servingV1();
        versions.pin(1);
        versions.announce(ref(2));
        versions.announce(ref(3));
        assertThat(versions.unpin()).isEqualTo(Decision.LOAD);
        assertThat(versions.pinned()).isEqualTo(ModelVersions.NOT_PINNED);
        assertThat(versions.loading()).isEqualTo(ref(3));
        assertThat(versions.loaded(3)).isEqualTo(LoadOutcome.SWAP);

        versions.pin(3);
        assertThat(versions.unpin()).as("the newest serves already").isEqualTo(Decision.NONE);
        assertThat(versions.unpin()).as("unpin without a pin").isEqualTo(Decision.NONE);
    }

    @Test
    void rememberedVersionsStopAtTheCapForgettingTheOldestButNeverTheServedOrPinnedOne() {
        ModelVersions versions = servingV1();
        versions.pin(1);
        LongStream.rangeClosed(2, ModelVersions.MAX_KNOWN_MODELS + 5L).forEach(v -> versions.announce(ref(v)));
        List<Long> known = knownVersions(versions);
        assertThat(known).hasSize(ModelVersions.MAX_KNOWN_MODELS).startsWith(1L, 7L)
                .endsWith(ModelVersions.MAX_KNOWN_MODELS + 5L);
        assertThat(versions.pin(2)).isEqualTo(Decision.REFUSE);
        assertThat(versions.describeKnownVersions())
                .isEqualTo(ModelVersions.MAX_KNOWN_MODELS + " versions, [1, 7, 8, 9, 10] ... [1001, 1002, 1003, 1004, 1005]");

        ModelVersions unpinned = servingV1();
        LongStream.rangeClosed(2, ModelVersions.MAX_KNOWN_MODELS + 1L)
                .forEach(v -> unpinned.announce(new ModelRef(v, "mem://nothing-" + v, "")));
        assertThat(knownVersions(unpinned)).hasSize(ModelVersions.MAX_KNOWN_MODELS).startsWith(1L, 3L);
        assertThat(unpinned.pin(1)).as("served: never forgotten").isEqualTo(Decision.NONE);
    }

    @Test
    void restoreTriesThePinnedVersionFirstThenTheCheckpointedModelsNewestFirst() {
        ModelVersions versions = new ModelVersions();
        versions.restore(List.of(ref(1), ref(2), ref(3)), 1);
        assertThat(versions.pinned()).isEqualTo(1);
        assertThat(versions.restoreCandidates(List.of(ref(2), ref(4), ref(3))))
                .containsExactly(ref(1), ref(4), ref(3), ref(2));

        versions.serve(ref(1));
        assertThat(knownVersions(versions)).containsExactly(1L, 2L, 3L);
        assertThat(versions.announce(ref(5))).as("pinned: remembered only").isEqualTo(Decision.NONE);
        assertThat(versions.unpin()).isEqualTo(Decision.LOAD);
        assertThat(versions.loading()).isEqualTo(ref(5));
    }

    @Test
    void restoreWithoutAPinOrWithAForgottenPinnedVersionUsesTheCheckpointedModels() {
        ModelVersions unpinned = new ModelVersions();
        unpinned.restore(List.of(ref(1)), ModelVersions.NOT_PINNED);
        assertThat(unpinned.restoreCandidates(List.of(ref(1), ref(2)))).containsExactly(ref(2), ref(1));

        ModelVersions forgotten = new ModelVersions();
        forgotten.restore(List.of(ref(3)), 2);
        assertThat(forgotten.restoreCandidates(List.of(ref(3)))).containsExactly(ref(3));
        assertThat(forgotten.restoreCandidates(List.of())).isEmpty();
    }

    @Test
    void theServedModelReplacesTheSnapshotRememberedForItsVersion() {
        ModelVersions versions = servingV1();
        versions.announce(new ModelRef(2, "mem://first", ""));
        versions.loadFailed();
        versions.serve(new ModelRef(2, "mem://served", "x"));
        assertThat(versions.known()).containsExactly(ref(1), new ModelRef(2, "mem://served", "x"));
        assertThat(versions.inFlight()).containsExactly(new ModelRef(2, "mem://served", "x"));
    }

    @Test
    void aMissingChecksumIsEmptyAndExpectedAsNull() {
        assertThat(new ModelRef(1, "mem://v1", null).checksum()).isEmpty();
        assertThat(new ModelRef(1, "mem://v1", null).expectedChecksum()).isNull();
        assertThat(ref(1).expectedChecksum()).isEqualTo("sum1");
    }
}
