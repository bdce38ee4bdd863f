package dev.taskgroup.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An upstream body is accepted exactly when {@code Json.decodeValue} accepts it, kept raw when it
 * is strict JSON, and decoded otherwise.
 */
class RawJsonTest {
  static List<String> strict() {
    return List.of("{}", "[]", "0", "-1.5e3", "true", "null", "\"s\"", " {\"a\" : [1, {\"b\": null}]}\n",
        "\"\\u00e9\\n\\\"\"", "\"é\"", "12345678901234567890123456789", "{\"a\":{\"a\":1}}");
  }

  static List<String> lenient() {
    return List.of("{\"a\": 1 /* c */}", "// c\n[1]", "\uFEFF{\"a\":1}", "{\"a\":1,\"a\":2}");
  }

  static List<String> invalid() {
    return List.of("", "  ", "{", "[1,]", "{} {}", "1 2", "<html>", "{\"a\":1}x", "\"\\x\"", "'a'", "NaN",
        "[1]]", "{\"a\"}", "\"unterminated");
  }

  @ParameterizedTest
  @MethodSource("strict")
  void keepsAStrictBodyAsItsBytes(String text) {
    Buffer body = Buffer.buffer(text);

    Object value = Gateway.decode("u", body);

    assertThat(value).isInstanceOf(RawJson.class);
    assertThat(((RawJson) value).bytes().toString()).isEqualTo(text);
    assertThat(Json.decodeValue(((RawJson) value).bytes())).isEqualTo(Json.decodeValue(body));
  }

  @ParameterizedTest
  @MethodSource("lenient")
  void decodesABodyOnlyVertxsLenientParserAccepts(String text) {
    Buffer body = Buffer.buffer(text);

    Object value = Gateway.decode("u", body);

    assertThat(value).isNotInstanceOf(RawJson.class).isEqualTo(Json.decodeValue(body));
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void refusesWhatJsonDecodeValueRefusesAsInvalidJson(String text) {
    Buffer body = Buffer.buffer(text);
    if (!text.isEmpty()) {
      assertThatThrownBy(() -> Json.decodeValue(body)).isInstanceOf(DecodeException.class);
    }

    assertThatThrownBy(() -> Gateway.decode("u", body))
        .isInstanceOfSatisfying(UpstreamCallException.class, e -> assertThat(e.reason()).isEqualTo("invalid_json"));
  }

  @org.junit.jupiter.api.Test
  void decodesAUtf16BodyRatherThanCopyingItsBytes() {
    Buffer body = Buffer.buffer("{\"a\":\"é\"}".getBytes(StandardCharsets.UTF_16BE));

    Object value = Gateway.decode("u", body);

    assertThat(value).isNotInstanceOf(RawJson.class).isEqualTo(Json.decodeValue(body));
  }

  @org.junit.jupiter.api.Test
  void refusesAStringWithInvalidUtf8AsInvalidJson() {
    Buffer body = Buffer.buffer(new byte[] {'"', (byte) 0xC3, 'x', '"'});
    assertThatThrownBy(() -> Json.decodeValue(body)).isInstanceOf(DecodeException.class);

    assertThatThrownBy(() -> Gateway.decode("u", body)).isInstanceOf(UpstreamCallException.class);
  }
}
