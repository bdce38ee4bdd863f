package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Random task trees keep every guarantee of a group. Each try builds a tree from its seed (see
 * {@link TreeModel}), runs it on one context driven by a manual clock, and checks the outcome of
 * every group against what the task code itself recorded ({@link TreeRun}). Tries per property:
 * {@code jqwik.tries.default} (1,000 in CI; {@code -Djqwik.tries.default=100000} locally).
 */
class TaskTreeProperties extends OneContextProperties {

  @Provide
  Arbitrary<TreeModel.Group> trees() {
    return Combinators.combine(
        Arbitraries.longs(),
        Arbitraries.integers().between(0, 4), // depth
        Arbitraries.integers().between(1, 50), // tasks per group
        Arbitraries.integers().between(1, 120)) // tasks in the whole tree
        .as(TreeModel::tree);
  }

  @Property
  void everyGroupOfARandomTreeSettlesOnceAndReportsExactlyTheRealErrors(@ForAll("trees") TreeModel.Group tree) {
    TreeRun run = new TreeRun(vertx);
    VertxTest.await(VertxTest.call(context, () -> {
      run.run(tree);
      run.check();
      return null;
    }));
    assertThat(run.violations).as("violations in %s", tree).isEmpty();
    Statistics.label("root outcome").collect(run.root.failure == null ? "success" : run.root.failure.getClass().getSimpleName());
    Statistics.label("tasks").collect(tree.size() == 0 ? "0" : tree.size() < 10 ? "1-9" : tree.size() < 50 ? "10-49" : "50+");
    Statistics.label("groups").collect(run.groups.size() == 1 ? "1" : run.groups.size() < 4 ? "2-3" : "4+");
    Statistics.label("first cancel of root").collect(run.root.firstCause == null ? "none" : run.root.firstCause.reason());
    assertThat(blockedThreadEvents).as("blocked event-loop events").isEmpty();
  }

  @Provide
  Arbitrary<List<TreeModel.Node>> leaves() {
    return Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(0, 30))
        .as(TreeModel::leaves);
  }

  @Property
  void patternsKeepInputOrderAndReportExactlyTheRealErrors(
      @ForAll TreeRun.Pattern pattern, @ForAll("leaves") List<TreeModel.Node> tasks,
      @ForAll @IntRange(min = 1, max = 6) int limit, @ForAll boolean limited,
      @ForAll @IntRange(min = 1, max = 300) int deadline, @ForAll boolean withDeadline) {
    TreeRun run = new TreeRun(vertx);
    int max = limited ? limit : TaskGroupOptions.UNLIMITED;
    // Without a deadline, a task that hangs needs a timeout of its own, or the pattern never ends.
    List<TreeModel.Node> bounded = withDeadline ? tasks : TreeModel.bounded(tasks);
    VertxTest.await(VertxTest.call(context, () -> {
      run.runPattern(pattern, bounded, max, withDeadline ? deadline : null);
      run.checkPattern(pattern);
      return null;
    }));
    assertThat(run.violations).as("violations in %s of %s (max %s, deadline %s)", pattern, bounded, max,
        withDeadline ? deadline : "none").isEmpty();
    assertThat(blockedThreadEvents).as("blocked event-loop events").isEmpty();
    Statistics.label("pattern outcome").collect(pattern, run.root.failure == null ? "success" : run.root.failure.getClass().getSimpleName());
  }
}
