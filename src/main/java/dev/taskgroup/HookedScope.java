package dev.taskgroup;

/**
 * A scope that keeps its pending hooks in a field of its own: groups, timeouts and child scopes.
 * (A {@link TaskImpl} has the same field; a {@link PatternTask} keeps its hooks in its pattern's
 * side array instead, which is what lets it fit in 24 bytes.)
 */
abstract class HookedScope extends ScopeImpl {
  private Hook hooks; // the oldest pending hook (see ScopeImpl#hooks); group's context only

  @Override
  final Hook hooks() {
    return hooks;
  }

  @Override
  final void hooks(Hook first) {
    hooks = first;
  }
}
