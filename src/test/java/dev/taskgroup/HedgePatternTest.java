package dev.taskgroup;

import org.junit.jupiter.api.Nested;

/** Every test of {@link HedgeTest} that goes through {@link HedgeTest#task}, the hedged function run {@link HedgeTest.Way#PATTERN}. */
class HedgePatternTest extends HedgeTest {
  @Override
  Way way() {
    return Way.PATTERN;
  }

  @Nested
  class WinningThisWay extends Winning {}

  @Nested
  class FailuresThisWay extends Failures {}

  @Nested
  class CancellationThisWay extends Cancellation {}

  @Nested
  class BudgetThisWay extends Budget {}

  @Nested
  class AdaptiveDelayThisWay extends AdaptiveDelay {}
}
