package dev.taskgroup.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;

/**
 * One upstream body known to be a single strict JSON value in UTF-8, kept as its bytes, which the
 * answer embeds as they are: no tree is built for it and none is encoded again (issue 14: decoding
 * each body into a tree and encoding the merged answer cost the gateway as much CPU per request as
 * the naive gateway spends in all).
 *
 * <p>A body {@link #of} refuses is not necessarily invalid: Vert.x's {@code Json.decodeValue}
 * also accepts comments, UTF-16 and UTF-32 and a byte-order mark, none of which may be copied into
 * an answer, and the caller decodes those bodies as before. Immutable.
 */
final class RawJson {
  private final Buffer bytes;

  private RawJson(Buffer bytes) {
    this.bytes = bytes;
  }

  /**
   * {@return {@code body} as raw JSON, or null when it is not one strict JSON value in UTF-8 without
   * a byte-order mark, or an object in it repeats a name} The parse is Vert.x's own
   * ({@code JacksonCodec}, its factory and read constraints) with comments refused, token by token
   * with no tree. A repeated name goes the decoding way, which keeps the last value, as the answer
   * did before raw bodies (copied, both would reach the client).
   */
  static RawJson of(Buffer body) {
    if (body.length() >= 3 && body.getByte(0) == (byte) 0xEF && body.getByte(1) == (byte) 0xBB
        && body.getByte(2) == (byte) 0xBF) {
      return null; // a byte-order mark: not to be copied into the middle of an answer
    }
    try (JsonParser parser = JacksonCodec.createParser(body)) {
      if (!(parser instanceof UTF8StreamJsonParser)) {
        return null; // UTF-16 or UTF-32, which Jackson detects
      }
      parser.disable(JsonParser.Feature.ALLOW_COMMENTS);
      parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      if (parser.nextToken() == null) {
        return null;
      }
      parser.skipChildren(); // reads every token of an object or array, strings checked as they are skipped
      return parser.nextToken() == null ? new RawJson(body) : null;
    } catch (IOException | RuntimeException notStrict) {
      return null; // the decoding way reports it, with Json.decodeValue's message
    }
  }

  /** {@return the bytes of the value} */
  Buffer bytes() {
    return bytes;
  }

  @Override
  public String toString() {
    return bytes.toString();
  }
}
