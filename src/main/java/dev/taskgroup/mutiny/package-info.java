/**
 * Task groups for Mutiny users (Quarkus, the SmallRye Vert.x bindings), with cancellation both
 * ways: {@link dev.taskgroup.mutiny.UniTaskGroup#task} makes a {@code Uni} a task whose
 * subscription its scope cancels, and {@code UniTaskGroup.run}, {@code all}, {@code gather},
 * {@code settle}, {@code race} and {@code quorum} return cold {@code Uni}s whose cancellation
 * cancels the group.
 *
 * <p>Mutiny ({@code io.smallrye.reactive:mutiny} 3.x) is an optional dependency of the library:
 * add it to your own build to use this package. No other package of the library refers to it.
 */
package dev.taskgroup.mutiny;
