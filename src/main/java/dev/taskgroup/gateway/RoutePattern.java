package dev.taskgroup.gateway;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route path such as {@code /api/dashboard/:userId}: literal segments that must match exactly and
 * {@code :name} segments that capture one non-empty segment of the request path. Immutable.
 *
 * <pre>{@code
 * RoutePattern p = RoutePattern.parse("/api/dashboard/:userId");
 * p.match("/api/dashboard/42");   // {userId=42}
 * p.match("/api/dashboard");      // null
 * }</pre>
 *
 * <p>Captured values are returned raw (still percent-encoded); the caller decodes and checks them.
 */
public final class RoutePattern {
  private final String path;
  private final List<String> segments; // literal text, or null where a parameter sits
  private final List<String> names;    // parameter name per segment, or null for a literal

  private RoutePattern(String path, List<String> segments, List<String> names) {
    this.path = path;
    this.segments = segments;
    this.names = names;
  }

  /**
   * {@return the pattern of {@code path}}
   *
   * @throws IllegalArgumentException if it does not start with '/', has an empty or repeated
   *     parameter name, or an empty segment
   */
  public static RoutePattern parse(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("must start with '/', got '" + path + "'");
    }
    List<String> segments = new ArrayList<>();
    List<String> names = new ArrayList<>();
    if (!path.equals("/")) {
      for (String s : path.substring(1).split("/", -1)) {
        if (s.isEmpty()) {
          throw new IllegalArgumentException("has an empty segment: '" + path + "'");
        }
        if (s.startsWith(":")) {
          String name = s.substring(1);
          if (name.isEmpty()) {
            throw new IllegalArgumentException("has a parameter with no name: '" + path + "'");
          }
          if (names.contains(name)) {
            throw new IllegalArgumentException("names parameter :" + name + " twice: '" + path + "'");
          }
          segments.add(null);
          names.add(name);
        } else {
          segments.add(s);
          names.add(null);
        }
      }
    }
    // Not List.copyOf: it rejects the nulls that mark positions.
    return new RoutePattern(path, Collections.unmodifiableList(segments), Collections.unmodifiableList(names));
  }

  /** {@return the path as written in the configuration} */
  public String path() {
    return path;
  }

  /** {@return the parameter names, in order} */
  public List<String> parameterNames() {
    List<String> out = new ArrayList<>();
    for (String n : names) {
      if (n != null) {
        out.add(n);
      }
    }
    return out;
  }

  /** {@return the pattern with parameter names erased: two patterns with the same shape collide} */
  public String shape() {
    StringBuilder sb = new StringBuilder();
    for (String s : segments) {
      sb.append('/').append(s == null ? ":" : s);
    }
    return sb.length() == 0 ? "/" : sb.toString();
  }

  /** {@return the raw parameter values if {@code requestPath} matches, else null} */
  public Map<String, String> match(String requestPath) {
    if (requestPath.isEmpty() || requestPath.charAt(0) != '/') {
      return null;
    }
    String[] parts = requestPath.equals("/") ? new String[0] : requestPath.substring(1).split("/", -1);
    if (parts.length != segments.size()) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < parts.length; i++) {
      String literal = segments.get(i);
      if (literal == null) {
        if (parts[i].isEmpty()) {
          return null;
        }
        params.put(names.get(i), parts[i]);
      } else if (!literal.equals(parts[i])) {
        return null;
      }
    }
    return Collections.unmodifiableMap(params);
  }

  @Override
  public String toString() {
    return path;
  }
}
