package dev.taskgroup.gateway;

import dev.taskgroup.eventbus.ScopedEventBus;
import io.vertx.uritemplate.UriTemplate;
import io.vertx.uritemplate.Variables;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An upstream URL such as {@code http://127.0.0.1:9101/profile/{userId}}: a fixed host and port
 * and a path whose {@code {name}} placeholders are filled from route parameters, each encoded as
 * one RFC 3986 path segment; or {@code eventbus:ADDRESS}, a service on the event bus that gets the
 * path parameters as a JSON message ({@link EventBusUpstream}). Immutable.
 *
 * <pre>{@code
 * UrlTemplate t = UrlTemplate.parse("http://127.0.0.1:9101/profile/{userId}");
 * t.expand(Map.of("userId", "a b"));   // "/profile/a%20b"
 * }</pre>
 *
 * <p>Placeholders live only after the authority, and a value is always encoded, so nothing a client
 * sends can change the host, port, or number of path segments (no SSRF).
 *
 * <p>Design choice: the expansion is Vert.x's own {@code vertx-uri-template} (RFC 6570 simple
 * expansion: unreserved characters kept, every other UTF-8 byte {@code %XX}), chosen after
 * {@code UriTemplateEquivalenceTest} found it byte-identical to this class's former expansion
 * ({@link PathSegments#encode} per placeholder) on 160,000 path and value pairs, reserved
 * characters, {@code %}, controls and emoji among them. The parsing and its checks stay here: a
 * template library accepts placeholders in the authority and any scheme, which the gateway must
 * refuse (no SSRF), and the config errors name the field.
 */
public final class UrlTemplate {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_][A-Za-z0-9_]*)}");

  /** The scheme of an upstream served on the event bus: {@value}, followed by the address. */
  public static final String EVENT_BUS_SCHEME = "eventbus:";

  private final String url;
  private final String host;
  private final int port;
  private final UriTemplate pathAndQuery;
  private final Set<String> names;
  private final String eventBusAddress; // null for an http:// upstream; then host, port, template are set

  private UrlTemplate(String url, String host, int port, UriTemplate pathAndQuery, Set<String> names,
                      String eventBusAddress) {
    this.url = url;
    this.host = host;
    this.port = port;
    this.pathAndQuery = pathAndQuery;
    this.names = names;
    this.eventBusAddress = eventBusAddress;
  }

  /**
   * {@return the template of {@code url}}
   *
   * @throws IllegalArgumentException if it is neither {@code http://host[:port][/path]} nor
   *     {@code eventbus:ADDRESS}, has a placeholder in its authority or its address, or a brace
   *     that is not a well-formed placeholder
   */
  public static UrlTemplate parse(String url) {
    if (url.startsWith(EVENT_BUS_SCHEME)) {
      return eventBus(url);
    }
    String prefix = "http://";
    if (!url.regionMatches(true, 0, prefix, 0, prefix.length())) {
      int colon = url.indexOf("://");
      throw new IllegalArgumentException(colon > 0
          ? "must be an http:// URL (or eventbus:ADDRESS), got scheme '" + url.substring(0, colon) + "' in '" + url + "'"
          : "must be an http:// URL (or eventbus:ADDRESS), got '" + url + "'");
    }
    String rest = url.substring(prefix.length());
    int slash = indexOfAny(rest, "/?#");
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String pathAndQuery = slash < 0 ? "/" : rest.substring(slash);
    if (pathAndQuery.startsWith("?")) {
      pathAndQuery = "/" + pathAndQuery;
    }
    if (pathAndQuery.indexOf('#') >= 0) {
      throw new IllegalArgumentException("must not have a fragment: '" + url + "'");
    }
    if (authority.isEmpty() || authority.indexOf('@') >= 0 || authority.indexOf('{') >= 0) {
      throw new IllegalArgumentException("needs a plain host[:port] (no user info, no placeholder), got '" + url + "'");
    }
    String host;
    int port = 80;
    int colon = authority.lastIndexOf(':');
    if (authority.startsWith("[")) { // IPv6 literal
      int close = authority.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("has an unclosed IPv6 literal: '" + url + "'");
      }
      host = authority.substring(1, close);
      colon = authority.indexOf(':', close);
    } else {
      host = colon < 0 ? authority : authority.substring(0, colon);
    }
    if (colon >= 0) {
      try {
        port = Integer.parseInt(authority.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("has a port that is not a number: '" + url + "'");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("has a port outside 1..65535: '" + url + "'");
      }
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("has no host: '" + url + "'");
    }
    Set<String> names = new LinkedHashSet<>();
    Matcher m = PLACEHOLDER.matcher(pathAndQuery);
    int last = 0;
    while (m.find()) {
      checkLiteral(pathAndQuery.substring(last, m.start()), url);
      names.add(m.group(1));
      last = m.end();
    }
    checkLiteral(pathAndQuery.substring(last), url);
    UriTemplate template;
    try {
      template = UriTemplate.of(pathAndQuery);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("is not a valid URI template (" + e.getMessage() + "): '" + url + "'");
    }
    return new UrlTemplate(url, host, port, template, Collections.unmodifiableSet(names), null);
  }

  /** {@code eventbus:ADDRESS}: the address is fixed (the path parameters travel in the message). */
  private static UrlTemplate eventBus(String url) {
    String address = url.substring(EVENT_BUS_SCHEME.length());
    if (address.isBlank()) {
      throw new IllegalArgumentException("needs an address after 'eventbus:', got '" + url + "'");
    }
    if (!address.strip().equals(address)) {
      throw new IllegalArgumentException("has spaces around its event-bus address: '" + url + "'");
    }
    if (address.indexOf('{') >= 0 || address.indexOf('}') >= 0) {
      throw new IllegalArgumentException("an event-bus address takes no placeholders (the path parameters are the"
          + " message): '" + url + "'");
    }
    if (address.endsWith(ScopedEventBus.CONTROL_SUFFIX)) {
      throw new IllegalArgumentException("must not end with " + ScopedEventBus.CONTROL_SUFFIX
          + " (the suffix of control addresses): '" + url + "'");
    }
    return new UrlTemplate(url, null, -1, null, Collections.emptySet(), address);
  }

  /** {@return the event-bus address of an {@code eventbus:} upstream, or null for an http:// one} */
  public String eventBusAddress() {
    return eventBusAddress;
  }

  private static void checkLiteral(String literal, String url) {
    if (literal.indexOf('{') >= 0 || literal.indexOf('}') >= 0) {
      throw new IllegalArgumentException("has a brace that is not a {name} placeholder: '" + url + "'");
    }
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  /** {@return the URL as written in the configuration} */
  public String url() {
    return url;
  }

  /** {@return the upstream's host (null for an {@code eventbus:} upstream)} */
  public String host() {
    return host;
  }

  /** {@return the upstream's port (80 when the URL names none; -1 for an {@code eventbus:} upstream)} */
  public int port() {
    return port;
  }

  /** {@return the placeholder names, in order of first appearance} */
  public Set<String> placeholders() {
    return names;
  }

  /**
   * {@return the request URI (path and query) with every placeholder replaced by its encoded value}
   *
   * @throws IllegalArgumentException if a placeholder has no value (configuration validation rules
   *     this out for every route)
   * @throws IllegalStateException for an {@code eventbus:} upstream, which has no URI
   */
  public String expand(Map<String, String> values) {
    if (eventBusAddress != null) {
      throw new IllegalStateException(url + " is an event-bus upstream: it has no URI to expand");
    }
    Variables variables = Variables.variables();
    for (String name : names) {
      String value = values.get(name);
      if (value == null) { // RFC 6570 would expand it to nothing: a config error, not a request's
        throw new IllegalArgumentException("no value for {" + name + "} in " + url);
      }
      variables.set(name, value);
    }
    return pathAndQuery.expandToString(variables);
  }

  @Override
  public String toString() {
    return url;
  }
}
