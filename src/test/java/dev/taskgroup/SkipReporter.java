package dev.taskgroup;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints every skipped test or class with its reason (the virtual-thread tests on JDK 17, say), so
 * that a CI log says why they did not run rather than only how many did not. Registered through
 * {@code META-INF/services}; the JUnit Platform launcher that surefire runs picks it up.
 */
public final class SkipReporter implements TestExecutionListener {
  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    System.out.println("[skipped] " + test.getDisplayName() + " (" + test.getUniqueId().replaceAll(".*\\[class:([^\\]]*)\\].*", "$1")
        + "): " + reason);
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    // only skips are reported
  }
}
