package dev.taskgroup.gateway;

/**
 * A gateway configuration that cannot run, naming the offending field by its path
 * ({@code upstreams.recs.timeoutMs}, {@code routes[0].calls[2].upstream}).
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String path;

  /**
   * @param path the field's path from the root of the configuration
   * @param problem what is wrong with it
   */
  public ConfigException(String path, String problem) {
    super(path + ": " + problem);
    this.path = path;
  }

  /** {@return the path of the offending field} */
  public String path() {
    return path;
  }
}
