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

  /** Bytes Jackson's decoder reads leniently, inside a JSON string: overlong forms, encoded surrogates, past U+10FFFF. */
  static List<byte[]> lenientUtf8() {
    return List.of(new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {(byte) 0xC1, (byte) 0xBF},
        new byte[] {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
        new byte[] {(byte) 0xF0, (byte) 0x80, (byte) 0x80, (byte) 0xAF});
  }

  @ParameterizedTest
  @MethodSource("lenientUtf8")
  void decodesAStringOfNonStrictUtf8SoThatTheAnswerIsValidUtf8(byte[] sequence) {
    Buffer body = Buffer.buffer().appendString("{\"a\":[\"").appendBytes(sequence).appendString("\"]}");
    Object lenient;
    try {
      lenient = Json.decodeValue(body);
    } catch (DecodeException refused) { // refused by this Jackson too: then the gateway must refuse it
      assertThatThrownBy(() -> Gateway.decode("u", body)).isInstanceOf(UpstreamCallException.class);
      return;
    }

    Object value = Gateway.decode("u", body);

    assertThat(value).isNotInstanceOf(RawJson.class).isEqualTo(lenient);
    assertThat(RawJson.strictUtf8(Json.encodeToBuffer(value))).isTrue();
  }

  @org.junit.jupiter.api.Test
  void keepsStrictMultiByteUtf8Raw() {
    String text = "[\"\u00e9\u20ac\ud83d\ude00\uffff\u0800\"]"; // 2, 3 and 4 bytes, the edges of each range
    Buffer body = Buffer.buffer(text); // encoded as UTF-8 by Vert.x

    assertThat(Gateway.decode("u", body)).isInstanceOf(RawJson.class);
  }

  @org.junit.jupiter.api.Test
  void refusesAValueAtJacksonsNestingLimitSinceTheAnswerWouldNestDeeper() {
    Buffer body = Buffer.buffer("[".repeat(1000) + "]".repeat(1000));
    Json.decodeValue(body); // at the limit: Jackson still reads it

    assertThatThrownBy(() -> Gateway.decode("u", body))
        .isInstanceOfSatisfying(UpstreamCallException.class, e -> assertThat(e.reason()).isEqualTo("invalid_json"))
        .hasRootCauseMessage("the body nests 1000 deep, Jackson's limit: inside the answer it would nest deeper still");
  }

  @org.junit.jupiter.api.Test
  void keepsAValueOneLevelUnderTheNestingLimitRaw() {
    Buffer body = Buffer.buffer("[".repeat(999) + "]".repeat(999));

    assertThat(Gateway.decode("u", body)).isInstanceOf(RawJson.class);
  }
}
