package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** {@link TaskStarts} against a sorted map: whatever the order of starts and settles, it answers the same. */
class TaskStartsProperties {
  @Property(tries = 300)
  void startsAndSettlesInAnyOrderAnswerLikeASortedMap(
      @ForAll @Size(max = 400) List<@IntRange(min = 0, max = 99) Integer> ops) {
    TaskStarts starts = new TaskStarts();
    TreeMap<Integer, Long> model = new TreeMap<>();
    Map<Integer, Object> events = new TreeMap<>();
    int nextSeq = 0;
    for (int op : ops) {
      if (op < 55 || model.isEmpty()) { // a start, now and then out of spawn order
        int seq = op < 3 && nextSeq > 5 ? freeSeqBelow(model, nextSeq) : nextSeq++;
        if (seq < 0) {
          seq = nextSeq++;
        }
        Object event = op % 2 == 0 ? "event-" + seq : null;
        starts.add(seq, 1_000L * seq + op, event);
        model.put(seq, 1_000L * seq + op);
        if (event != null) {
          events.put(seq, event);
        }
      } else { // a settle of some running task
        List<Integer> live = new ArrayList<>(model.keySet());
        int seq = live.get(op % live.size());
        assertThat(starts.remove(seq)).isEqualTo(events.remove(seq));
        model.remove(seq);
        assertThat(starts.startOf(seq)).isEqualTo(-1);
      }
      assertThat(starts.live()).isEqualTo(model.size());
    }
    for (Map.Entry<Integer, Long> e : model.entrySet()) {
      assertThat(starts.startOf(e.getKey())).isEqualTo(e.getValue());
    }
  }

  /** {@return a seq below {@code next} that is not running, or -1} A start out of spawn order. */
  private static int freeSeqBelow(TreeMap<Integer, Long> running, int next) {
    for (int s = next - 1; s >= 0; s--) {
      if (!running.containsKey(s)) {
        return s;
      }
    }
    return -1;
  }
}
