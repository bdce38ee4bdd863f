package dev.taskgroup.gateway;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * RFC 3986 path segments: {@link #encode} keeps the unreserved characters and writes every other
 * UTF-8 byte as {@code %XX}, so a value can never add a segment, a query or a fragment to an
 * upstream URL; {@link #decode} reads a raw segment from a request path.
 *
 * <pre>{@code
 * PathSegments.encode("a b/c");   // "a%20b%2Fc"
 * PathSegments.decode("a%20b");   // "a b"
 * }</pre>
 */
final class PathSegments {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private PathSegments() {}

  /** {@return {@code value} as one path segment: unreserved characters kept, everything else {@code %XX}} */
  static String encode(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length + 8);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if (isUnreserved(c)) {
        sb.append((char) c);
      } else {
        sb.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return sb.toString();
  }

  /**
   * {@return the raw segment with its {@code %XX} escapes decoded as UTF-8} A {@code +} stays a
   * {@code +}: it means a space only in form-encoded queries, never in a path.
   *
   * @throws IllegalArgumentException if an escape is truncated or not hex, or the bytes are not UTF-8
   */
  static String decode(String raw) {
    if (isPlainAscii(raw)) {
      return raw; // no escape and ASCII alone, which is UTF-8 already: decoding changes nothing
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        if (i + 2 >= raw.length()) {
          throw new IllegalArgumentException("truncated percent-escape in path segment '" + raw + "'");
        }
        int hi = Character.digit(raw.charAt(i + 1), 16);
        int lo = Character.digit(raw.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new IllegalArgumentException("invalid percent-escape in path segment '" + raw + "'");
        }
        out.write((hi << 4) | lo);
        i += 2;
      } else if (c <= 0xFF) {
        out.write(c); // the request line reaches us byte per char (ISO-8859-1): raw UTF-8 stays UTF-8
      } else {
        int cp = raw.codePointAt(i);
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        i += Character.charCount(cp) - 1;
      }
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(out.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("path segment '" + raw + "' is not UTF-8 once decoded");
    }
  }

  private static boolean isPlainAscii(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' || c >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }
}
