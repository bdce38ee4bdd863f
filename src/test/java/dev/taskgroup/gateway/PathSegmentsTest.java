package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** RFC 3986 path segments, route patterns and upstream URL templates: what reaches an upstream URL. */
class PathSegmentsTest {

  @Nested
  class Encoding {
    @Test
    void keepsUnreservedCharacters() {
      assertThat(PathSegments.encode("AZaz09-._~")).isEqualTo("AZaz09-._~");
    }

    @Test
    void encodesASpaceAsPercent20() {
      assertThat(PathSegments.encode("a b")).isEqualTo("a%20b");
    }

    @Test
    void encodesEveryDelimiterSoAValueStaysOneSegment() {
      assertThat(PathSegments.encode("/?#[]@!$&'()*+,;=%:")).isEqualTo(
          "%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25%3A");
    }

    @Test
    void encodesNonAsciiAsUtf8Bytes() {
      assertThat(PathSegments.encode("é€")).isEqualTo("%C3%A9%E2%82%AC");
    }
  }

  @Nested
  class Decoding {
    @Test
    void decodesPercentEscapesAsUtf8() {
      assertThat(PathSegments.decode("a%20b%2Fc%C3%A9")).isEqualTo("a b/cé");
    }

    @Test
    void aSegmentWithoutEscapesDecodesToItself() {
      String plain = "AZaz09-._~!$&'()*+,;=:@";

      assertThat(PathSegments.decode(plain)).isSameAs(plain);
    }

    @Test
    void keepsAPlusAsAPlus() {
      assertThat(PathSegments.decode("a+b")).isEqualTo("a+b");
    }

    @Test
    void refusesATruncatedEscape() {
      assertThatThrownBy(() -> PathSegments.decode("ab%2")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesBytesThatAreNotUtf8() {
      assertThatThrownBy(() -> PathSegments.decode("%FF")).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class RoutesAndTemplates {
    @Test
    void aRouteCapturesOneNonEmptySegmentPerParameter() {
      RoutePattern route = RoutePattern.parse("/api/dashboard/:userId");

      assertThat(route.match("/api/dashboard/42")).isEqualTo(Map.of("userId", "42"));
      assertThat(route.match("/api/dashboard/")).isNull();
      assertThat(route.match("/api/dashboard/42/more")).isNull();
      assertThat(route.match("/api/other/42")).isNull();
    }

    @Test
    void aTemplateKeepsItsHostAndEncodesEveryValue() {
      UrlTemplate template = UrlTemplate.parse("http://127.0.0.1:9101/profile/{userId}");

      assertThat(template.host()).isEqualTo("127.0.0.1");
      assertThat(template.port()).isEqualTo(9101);
      assertThat(template.expand(Map.of("userId", "../admin?x=1"))).isEqualTo("/profile/..%2Fadmin%3Fx%3D1");
    }

    @Test
    void aTemplateRefusesAPlaceholderInItsAuthority() {
      assertThatThrownBy(() -> UrlTemplate.parse("http://{host}:9101/profile"))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
