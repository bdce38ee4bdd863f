package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The exception group: every error kept, first as cause, the rest suppressed; subgroup and split. */
class TaskGroupExceptionTest {
  private final IOException io = new IOException("io");
  private final IllegalStateException state = new IllegalStateException("state");
  private final TaskTimeoutException timeout = new TaskTimeoutException("task", "t", java.time.Duration.ofMillis(5));
  private final TaskGroupException nested = new TaskGroupException("inner", List.of(timeout, state));
  private final TaskGroupException group = new TaskGroupException("outer", List.of(io, nested));

  @Test
  void keepsEveryErrorInOrderFirstAsCauseTheRestSuppressed() {
    assertThat(group.exceptions()).containsExactly(io, nested);
    assertThat(group.getCause()).isSameAs(io);
    assertThat(group.getSuppressed()).containsExactly(nested);
  }

  @Test
  void messageSummarisesTheCountAndTheFirstErrorOnly() {
    assertThat(group.getMessage()).isEqualTo("outer (2 errors), first: IOException: io");
  }

  @Test
  void exceptionsListIsUnmodifiable() {
    assertThatThrownBy(() -> group.exceptions().add(io)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void subgroupKeepsMatchingErrorsAndTheNestingAroundThem() {
    TaskGroupException timeouts = group.subgroup(e -> e instanceof TimeoutException);
    assertThat(timeouts.exceptions()).singleElement().isInstanceOf(TaskGroupException.class);
    assertThat(((TaskGroupException) timeouts.exceptions().get(0)).exceptions()).containsExactly(timeout);
  }

  @Test
  void subgroupReturnsNullWhenNothingMatchesAndItselfWhenItMatches() {
    assertThat(group.subgroup(e -> e instanceof ArithmeticException)).isNull();
    assertThat(group.subgroup(e -> e == group)).isSameAs(group);
    assertThat(group.subgroup(e -> true)).isSameAs(group);
  }

  @Test
  void splitSeparatesMatchingErrorsFromTheRestAtEveryLevel() {
    TaskGroupException.Split split = group.split(e -> e instanceof RuntimeException && !(e instanceof TaskGroupException));
    assertThat(((TaskGroupException) split.matched().exceptions().get(0)).exceptions()).containsExactly(state);
    assertThat(split.rest().exceptions()).hasSize(2);
    assertThat(split.rest().exceptions().get(0)).isSameAs(io);
    assertThat(((TaskGroupException) split.rest().exceptions().get(1)).exceptions()).containsExactly(timeout);
  }

  @Test
  void splitWithNoMatchHasANullMatchedSide() {
    TaskGroupException.Split split = group.split(e -> false);
    assertThat(split.matched()).isNull();
    assertThat(split.rest()).isSameAs(group);
  }

  @Test
  void refusesAnEmptyOrNullFilledList() {
    assertThatThrownBy(() -> new TaskGroupException("x", List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new TaskGroupException("x", java.util.Arrays.asList(io, null)))
        .isInstanceOf(NullPointerException.class);
  }
}
