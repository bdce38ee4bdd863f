package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.uritemplate.UriTemplate;
import io.vertx.uritemplate.Variables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 14: Vert.x's {@code vertx-uri-template}, which {@link UrlTemplate} now uses,
 * expands the gateway's upstream URLs byte for byte as the gateway's own expansion did (each
 * placeholder replaced by {@link PathSegments#encode}, literals kept), on every input tried.
 */
class UriTemplateEquivalenceTest {
  private static final List<String> PATHS = List.of(
      "/profile/{userId}", "/a/{userId}/b", "/{userId}", "/x/{userId}?full=true", "/p-{userId}.json",
      "/users/{userId}/orders/{orderId}", "/q?id={userId}&o={orderId}", "/~me/{userId}/");

  private static final String ALPHABET = "abcXYZ019-._~ /?#[]@!$&'()*+,;=%:{}\"<>\\^`|\u00e9\u00df\u4e2d\ud83d\ude00\t\n\u0000";

  private static String expandWithVertx(String path, Map<String, String> values) {
    Variables vars = Variables.variables();
    values.forEach(vars::set);
    return UriTemplate.of(path).expandToString(vars);
  }

  /** The gateway's former expansion, kept here as the reference. */
  private static String expandAsBefore(String path, Map<String, String> values) {
    Matcher m = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}").matcher(path);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(sb, Matcher.quoteReplacement(PathSegments.encode(values.get(m.group(1)))));
    }
    return m.appendTail(sb).toString();
  }

  @Test
  void vertxUriTemplateExpandsEveryPathAndValueTriedAsUrlTemplateDoes() {
    Random random = new Random(14);
    List<String> values = new ArrayList<>(List.of("", "42", "a b", "..", ".", "%2F", "a/b", "\ud83d\ude00", "100%"));
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(12);
      for (int j = 0; j < n; j++) {
        int at = random.nextInt(ALPHABET.length());
        if (Character.isHighSurrogate(ALPHABET.charAt(at))) {
          sb.append(ALPHABET, at, at + 2);
        } else if (!Character.isLowSurrogate(ALPHABET.charAt(at))) {
          sb.append(ALPHABET.charAt(at));
        }
      }
      values.add(sb.toString());
    }
    int compared = 0;
    for (String path : PATHS) {
      UrlTemplate ours = UrlTemplate.parse("http://127.0.0.1:9101" + path);
      for (int i = 0; i < values.size(); i++) {
        Map<String, String> vars = Map.of("userId", values.get(i), "orderId", values.get(values.size() - 1 - i));
        String before = expandAsBefore(path, vars);
        assertThat(expandWithVertx(path, vars)).as("%s with %s", path, vars).isEqualTo(before);
        assertThat(ours.expand(vars)).as("UrlTemplate, %s with %s", path, vars).isEqualTo(before);
        compared++;
      }
    }
    assertThat(compared).isEqualTo(PATHS.size() * values.size());
  }
}
