package org.streamrec.flink.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

class LiveSessionBatcherTest {

    /** One trained mini-batch, as the trainer saw it. */
    record Batch(List<Integer> inputs, List<Integer> targets, List<Boolean> reset) {
        static Batch of(int[] in, int[] target, boolean[] reset) {
            List<Boolean> r = new ArrayList<>();
            for (boolean b : reset) {
                r.add(b);
            }
            return new Batch(Arrays.stream(in).boxed().toList(), Arrays.stream(target).boxed().toList(), r);
        }
    }

    private final List<Batch> batches = new ArrayList<>();
    private final LiveSessionBatcher batcher = new LiveSessionBatcher(2, 1_000, 2, (in, target, reset) -> {
        batches.add(Batch.of(in, target, reset));
        return 0.5;
    });

    @Test
    void slotsContinueTheirSessionsAndIdleSlotsGoToWaitingSessions() {
        batcher.add("a", 1, 0);
        batcher.add("b", 2, 1);
        batcher.add("a", 3, 2);
        assertThat(batches).isEmpty(); // one session with a pair: not a full batch
        batcher.add("b", 4, 3);
        assertThat(batches).containsExactly(new Batch(List.of(1, 2), List.of(3, 4), List.of(true, true)));

        batcher.add("a", 5, 4);
        batcher.add("c", 6, 5); // first event of c: no pair
        batcher.add("c", 7, 6);
        // a keeps slot 0 (no reset); b has nothing pending, so c takes slot 1 with a fresh hidden state.
        assertThat(batches.get(1)).isEqualTo(new Batch(List.of(3, 6), List.of(5, 7), List.of(false, true)));
        assertThat(batcher.pairsTrained()).isEqualTo(4);
    }

    @Test
    void flushTrainsPartialBatchesInTheLowestSlots() {
        batcher.add("a", 1, 0);
        batcher.add("b", 2, 1);
        batcher.add("a", 3, 2);
        batcher.add("b", 4, 3);
        batcher.add("b", 5, 4); // b (slot 1) has a pair, a (slot 0) none
        batcher.flush();
        // b moves down to slot 0, which resets it: the trainer keeps hidden states by position.
        assertThat(batches.get(1)).isEqualTo(new Batch(List.of(4), List.of(5), List.of(true)));
        assertThat(batcher.pendingSessions()).isZero();

        batcher.add("b", 6, 5);
        batcher.add("b", 7, 6);
        batcher.flush();
        // Two pairs of one session go into consecutive batches, in order, and b keeps its slot.
        assertThat(batches.subList(2, 4)).containsExactly(
                new Batch(List.of(5), List.of(6), List.of(false)),
                new Batch(List.of(6), List.of(7), List.of(false)));
    }

    @Test
    void aGapLongerThanTheSessionGapStartsANewSessionAndIdleSessionsExpire() {
        batcher.add("a", 1, 0);
        batcher.add("a", 2, 5_000); // 5 s later, gap is 1 s: a new session, no pair
        batcher.flush();
        assertThat(batches).isEmpty();
        batcher.add("b", 3, 5_500);
        batcher.add("b", 4, 5_600);
        batcher.add("c", 9, 7_000);
        batcher.flush();
        batcher.expireIdle();
        // b is idle in event time, but only one event arrived since: events of another partition may be far ahead.
        assertThat(batcher.liveSessions()).extracting(LiveSessionBatcher.LiveSession::key).containsExactlyInAnyOrder("b", "c");
        batcher.add("c", 10, 7_001);
        batcher.expireIdle();
        assertThat(batcher.liveSessions()).extracting(LiveSessionBatcher.LiveSession::key).containsExactly("c");
    }

    @Test
    void restoredSessionsContinueFromTheirLastItemInTheirSlotOrFreshWithoutTheSlotStates() {
        batcher.add("a", 1, 0);
        batcher.add("a", 2, 1);
        batcher.flush();
        List<LiveSessionBatcher.LiveSession> saved = batcher.liveSessions();
        assertThat(saved).containsExactly(new LiveSessionBatcher.LiveSession("a", 2, 1, 0));

        for (boolean slotsRestored : new boolean[] {true, false}) {
            List<Batch> after = new ArrayList<>();
            LiveSessionBatcher restored = new LiveSessionBatcher(2, 1_000, (in, target, reset) -> {
                after.add(Batch.of(in, target, reset));
                return 0;
            });
            restored.restore(saved, slotsRestored);
            restored.add("a", 3, 2);
            restored.flush();
            // With the slot states back, slot 0 continues a's hidden state; without them it starts from zero.
            assertThat(after).containsExactly(new Batch(List.of(2), List.of(3), List.of(!slotsRestored)));
        }
    }
}
