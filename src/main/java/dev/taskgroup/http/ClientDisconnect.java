package dev.taskgroup.http;

import dev.taskgroup.Task;
import dev.taskgroup.TaskGroup;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Objects;

/**
 * A client that goes away before its answer cancels the work done for it: bound to a request,
 * a {@link TaskGroup} (or one {@link Task}) is cancelled the moment the client closes its
 * connection (HTTP/1.x) or resets its stream (HTTP/2) while the response has not ended, or at once
 * if the client is already gone; every scoped call of that work is then reset.
 *
 * <pre>{@code
 * server.requestHandler(req -> TaskGroup.run(vertx, group -> {
 *   ClientDisconnect gone = ClientDisconnect.cancel(req, group);
 *   Task<ScopedResponse> user = group.spawn(scope -> http.send(scope, userRequest));
 *   return user.future();
 * }).onComplete(ar -> {
 *   if (!gone.happened()) { req.response().end(...); }   // nobody to answer otherwise
 * }));
 * }</pre>
 *
 * <p>The contract: the cancellation is the group's clean {@link TaskGroup#cancel()} (the group
 * completes without error), so a caller tells "the client left" from "the work succeeded" with
 * {@link #happened()}. A response that has ended is not watched any more: a connection closed after
 * the answer cancels nothing. It takes the response's close handler (a response has one); call it
 * on the request's context, before the response ends, once per request.
 *
 * <p>Thread safety: {@link #happened()} may be read from any thread.
 */
public final class ClientDisconnect {
  /** Written on the request's context when the client goes away; read from anywhere. */
  private volatile boolean happened;

  private ClientDisconnect() {}

  /**
   * Cancels {@code group} when the client of {@code request} goes away before the response ends.
   *
   * @return the binding, to ask whether it happened
   * @throws NullPointerException if an argument is null
   */
  public static ClientDisconnect cancel(HttpServerRequest request, TaskGroup group) {
    Objects.requireNonNull(group, "group");
    return bind(request, group::cancel);
  }

  /**
   * Cancels {@code task} when the client of {@code request} goes away before the response ends.
   *
   * @return the binding, to ask whether it happened
   * @throws NullPointerException if an argument is null
   */
  public static ClientDisconnect cancel(HttpServerRequest request, Task<?> task) {
    Objects.requireNonNull(task, "task");
    return bind(request, task::cancel);
  }

  private static ClientDisconnect bind(HttpServerRequest request, Runnable cancel) {
    HttpServerResponse resp = Objects.requireNonNull(request, "request").response();
    ClientDisconnect binding = new ClientDisconnect();
    if (resp.closed() && !resp.ended()) { // gone before we could listen
      binding.happened = true;
      cancel.run();
      return binding;
    }
    resp.closeHandler(v -> {
      if (!resp.ended()) {
        binding.happened = true;
        cancel.run();
      }
    });
    return binding;
  }

  /** {@return whether the client went away before the response ended, and the work was cancelled} */
  public boolean happened() {
    return happened;
  }

  @Override
  public String toString() {
    return "ClientDisconnect[happened=" + happened + "]";
  }
}
