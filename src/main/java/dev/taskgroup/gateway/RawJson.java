package dev.taskgroup.gateway;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
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
   * {@return {@code body} as raw JSON, or null when it is not one strict JSON value in strict UTF-8
   * without a byte-order mark, an object in it repeats a name, or it is longer than Jackson's
   * longest string} The parse is Vert.x's own ({@code JacksonCodec}, its factory and read
   * constraints) with comments refused, token by token with no tree. A repeated name goes the
   * decoding way, which keeps the last value, as the answer did before raw bodies (copied, both
   * would reach the client); so does a body Jackson's decoder reads leniently: overlong UTF-8,
   * encoded surrogates, code points past U+10FFFF (decoded and encoded again they come out as valid
   * UTF-8, copied they would not), and a body long enough to hold a string past the string-length
   * limit, which skipping never checks.
   *
   * @throws DecodeException if the value nests as deep as Jackson's limit allows: embedded in the
   *     answer it would nest one level deeper, past what a client on Jackson's defaults reads
   */
  static RawJson of(Buffer body) {
    if (body.length() >= 3 && body.getByte(0) == (byte) 0xEF && body.getByte(1) == (byte) 0xBB
        && body.getByte(2) == (byte) 0xBF) {
      return null; // a byte-order mark: not to be copied into the middle of an answer
    }
    int deepest = 0;
    int limit;
    try (JsonParser parser = JacksonCodec.createParser(body)) {
      if (!(parser instanceof UTF8StreamJsonParser)) {
        return null; // UTF-16 or UTF-32, which Jackson detects
      }
      StreamReadConstraints constraints = parser.streamReadConstraints();
      if (body.length() > constraints.getMaxStringLength()) {
        return null;
      }
      limit = constraints.getMaxNestingDepth();
      parser.disable(JsonParser.Feature.ALLOW_COMMENTS);
      parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      // every token read, none kept: a string's text is skipped (unless a name), its bytes still checked
      int depth = 0;
      JsonToken t = parser.nextToken();
      while (t != null) {
        if (t.isStructStart()) {
          deepest = Math.max(deepest, ++depth);
        } else if (t.isStructEnd()) {
          depth--;
        }
        if (depth == 0) {
          break;
        }
        t = parser.nextToken();
      }
      if (t == null || parser.nextToken() != null || !strictUtf8(body)) {
        return null;
      }
    } catch (IOException | RuntimeException notStrict) {
      return null; // the decoding way reports it, with Json.decodeValue's message
    }
    if (deepest >= limit) {
      throw new DecodeException("the body nests " + deepest + " deep, Jackson's limit: inside the answer it would nest deeper still");
    }
    return new RawJson(body);
  }

  /**
   * {@return whether {@code b} is well-formed UTF-8 as RFC 3629 defines it} No overlong forms, no
   * encoded surrogates, nothing past U+10FFFF. A pure ASCII body is one loop of byte tests.
   */
  static boolean strictUtf8(Buffer b) {
    int n = b.length();
    int i = 0;
    while (i < n) {
      int c = b.getByte(i) & 0xFF;
      if (c < 0x80) {
        i++;
        continue;
      }
      int more;
      int lo = 0x80;
      int hi = 0xBF; // the range of the byte after the lead
      if (c >= 0xC2 && c <= 0xDF) {
        more = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        more = 2;
        if (c == 0xE0) {
          lo = 0xA0; // shorter forms are overlong
        } else if (c == 0xED) {
          hi = 0x9F; // D800-DFFF: surrogates
        }
      } else if (c >= 0xF0 && c <= 0xF4) {
        more = 3;
        if (c == 0xF0) {
          lo = 0x90;
        } else if (c == 0xF4) {
          hi = 0x8F; // past U+10FFFF
        }
      } else {
        return false; // a continuation byte first, C0/C1 (overlong), F5-FF
      }
      if (i + more >= n) { // the sequence runs past the end
        return false;
      }
      int next = b.getByte(i + 1) & 0xFF;
      if (next < lo || next > hi) {
        return false;
      }
      for (int k = 2; k <= more; k++) {
        int cont = b.getByte(i + k) & 0xFF;
        if (cont < 0x80 || cont > 0xBF) {
          return false;
        }
      }
      i += more + 1;
    }
    return true;
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
