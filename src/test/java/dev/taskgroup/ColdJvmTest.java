package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The deep shapes complete in a cold JVM too, on a default thread stack: {@link ColdJvmShapes}
 * runs each of them once, first thing, in a fresh process.
 */
class ColdJvmTest {
  @Test
  void everyDeepShapeCompletesInAFreshJvmOnADefaultStack() throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(List.of(java, "-Xss1m", "-cp", System.getProperty("java.class.path"),
        ColdJvmShapes.class.getName(), String.valueOf(LimitsTest.LINKS), String.valueOf(LimitsTest.LEVELS)))
        .redirectErrorStream(true).start();
    boolean exited = process.waitFor(120, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("the cold JVM exited; its output:%n%s", output).isTrue();
    assertThat(process.exitValue()).as("exit status; output:%n%s", output).isZero();
    assertThat(output.lines().filter(l -> l.startsWith("ok "))).as(output).hasSize(6);
  }
}
