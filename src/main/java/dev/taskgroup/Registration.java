package dev.taskgroup;

/**
 * A hook registered with {@link TaskScope#onCancel}; {@link #remove()} takes it back so that a
 * long-lived task making many calls does not accumulate hooks.
 *
 * <p>{@link #remove()} may be called from any thread.
 */
public interface Registration {
  /**
   * Removes the hook if it has not run yet. Idempotent. On the group's context the hook is gone
   * when this returns. From any other thread (or another context) the removal is carried out on
   * the group's context, since the hooks live there: the result then only says that the hook had
   * not run or been removed when asked, and the hook may still run if the scope is being cancelled
   * at that very moment.
   *
   * @return true if this call removed a hook that had not run (off the context: that it will)
   */
  boolean remove();
}
