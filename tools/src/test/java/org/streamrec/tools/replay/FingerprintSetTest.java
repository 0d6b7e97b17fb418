package org.streamrec.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FingerprintSetTest {

    @Test
    void countsEachOfAStepsEventIdsOnceAcrossGrowth() {
        FingerprintSet set = new FingerprintSet();
        // ids as ClickEventFactory names them, more than the initial table holds
        for (int session = 0; session < 50_000; session++) {
            for (int position = 0; position < 4; position++) {
                assertThat(set.add("alo1-5000-" + session + "-" + position)).isTrue();
            }
        }
        assertThat(set.size()).isEqualTo(200_000);
        assertThat(set.add("alo1-5000-49999-3")).as("a duplicate").isFalse();
        assertThat(set.add("alo1-5000-0-0")).isFalse();
        assertThat(set.add("alo1-5000-0-4")).isTrue();
        assertThat(set.size()).isEqualTo(200_001);
    }

    @Test
    void aClearedSetCountsAgainFromNothing() {
        FingerprintSet set = new FingerprintSet(1_000);
        for (int i = 0; i < 3_000; i++) {
            set.add("warm-up-" + i);
        }
        set.addFingerprint(0);
        set.clear(10);
        assertThat(set.size()).isZero();
        assertThat(set.add("warm-up-7")).as("gone with the clear").isTrue();
        assertThat(set.addFingerprint(0)).isTrue();
        set.clear(100_000);
        for (int i = 0; i < 100_000; i++) {
            assertThat(set.add("step-" + i)).isTrue();
        }
        assertThat(set.add("step-99999")).isFalse();
        assertThat(set.size()).isEqualTo(100_000);
    }

    @Test
    void theFingerprintThatMarksEmptySlotsIsStillASetMember() {
        FingerprintSet set = new FingerprintSet(1 << 15);
        assertThat(set.addFingerprint(0)).isTrue();
        assertThat(set.addFingerprint(0)).isFalse();
        assertThat(set.addFingerprint(1L << 16)).isTrue();
        assertThat(set.addFingerprint(1L << 17)).as("same slot, other fingerprint").isTrue();
        assertThat(set.addFingerprint(1L << 16)).isFalse();
        assertThat(set.size()).isEqualTo(3);
    }

    @Test
    void fingerprintsDependOnEveryCharacter() {
        assertThat(FingerprintSet.fingerprint("alo1-5000-12-3")).isNotEqualTo(FingerprintSet.fingerprint("alo1-5000-12-4"))
                .isNotEqualTo(FingerprintSet.fingerprint("alo1-5000-21-3"))
                .isEqualTo(FingerprintSet.fingerprint(new String("alo1-5000-12-3")));
    }
}
