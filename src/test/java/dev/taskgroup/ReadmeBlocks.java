package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one check that a README example is word for word (lines stripped, blank lines dropped) the
 * code a test compiles: the code between {@code // readme-NAME-start} and {@code // readme-NAME-end}
 * in the test's source, against the first {@code ```java} block after {@code readmeMarker} in
 * README.md.
 */
public final class ReadmeBlocks {
  private ReadmeBlocks() {}

  public static void assertReadmeShows(String testSource, String name, String readmeMarker) throws IOException {
    String source = Files.readString(Path.of(testSource));
    String start = "// readme-" + name + "-start";
    int from = source.indexOf(start);
    assertThat(from).as("the marker %s in %s", start, testSource).isNotNegative();
    String compiled = source.substring(from + start.length(), source.indexOf("// readme-" + name + "-end"));
    String readme = Files.readString(Path.of("README.md"));
    int marker = readme.indexOf(readmeMarker);
    assertThat(marker).as("the README's marker %s", readmeMarker).isNotNegative();
    String block = readme.substring(readme.indexOf("```java", marker) + "```java".length());
    block = block.substring(0, block.indexOf("```"));
    assertThat(normalize(block)).isEqualTo(normalize(compiled));
  }

  private static String normalize(String code) {
    return code.lines().map(String::strip).filter(l -> !l.isEmpty()).reduce("", (a, b) -> a + b + "\n");
  }
}
