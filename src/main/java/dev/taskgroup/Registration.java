package dev.taskgroup;

/**
 * A hook registered with {@link TaskScope#onCancel}; {@link #remove()} takes it back so that a
 * long-lived task making many calls does not accumulate hooks.
 *
 * <p>Use it on the group's context, like the scope that returned it.
 */
public interface Registration {
  /**
   * Removes the hook if it has not run yet. Idempotent.
   *
   * @return true if this call removed a hook that had not run
   */
  boolean remove();
}
