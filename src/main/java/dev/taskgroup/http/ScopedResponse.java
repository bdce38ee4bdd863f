package dev.taskgroup.http;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A complete HTTP response read by {@link ScopedHttpClient}: status, headers and the whole body,
 * already downloaded inside the scope. Immutable once built (do not modify {@link #headers()}).
 *
 * <pre>{@code
 * http.send(scope, new RequestOptions().setAbsoluteURI(url)).map(r ->
 *     r.statusCode() == 200 ? r.bodyAsJsonObject() : null);
 * }</pre>
 *
 * <p>Any status is a response, not an error: a 503 is returned like a 200 and the caller decides.
 */
public final class ScopedResponse {
  private final int statusCode;
  private final String statusMessage;
  private final MultiMap headers;
  private final Buffer body;

  ScopedResponse(int statusCode, String statusMessage, MultiMap headers, Buffer body) {
    this.statusCode = statusCode;
    this.statusMessage = statusMessage;
    this.headers = headers;
    this.body = body;
  }

  /** {@return the HTTP status code} */
  public int statusCode() {
    return statusCode;
  }

  /** {@return the HTTP status message (reason phrase); empty on HTTP/2} */
  public String statusMessage() {
    return statusMessage;
  }

  /** {@return the response headers} */
  public MultiMap headers() {
    return headers;
  }

  /** {@return the response body; empty, never null, when there was none} */
  public Buffer body() {
    return body;
  }

  /** {@return the body decoded as UTF-8 text} */
  public String bodyAsString() {
    return body.toString();
  }

  /**
   * {@return the body decoded as a JSON object}
   *
   * @throws DecodeException if the body is not a JSON object (empty, invalid, or another JSON type)
   */
  public JsonObject bodyAsJsonObject() {
    if (body.length() == 0) {
      throw new DecodeException("empty body is not a JSON object");
    }
    try {
      return body.toJsonObject();
    } catch (ClassCastException notAnObject) {
      throw new DecodeException("body is JSON but not an object: " + notAnObject.getMessage());
    }
  }

  @Override
  public String toString() {
    return "ScopedResponse[" + statusCode + ", " + body.length() + " bytes]";
  }
}
