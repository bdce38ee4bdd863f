package dev.taskgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Issue 11, item 3: TaskGroupOptions look like every Vert.x options class. */
class OptionsJsonTest {

  @Nested
  class FromAndToJson {
    @Test
    void jsonFieldsSetTheOptionsAndToJsonGivesThemBack() {
      JsonObject json = new JsonObject().put("name", "dashboard").put("maxConcurrency", 8).put("timeoutMs", 800);
      TaskGroupOptions options = new TaskGroupOptions(json);
      assertThat(options.getName()).isEqualTo("dashboard");
      assertThat(options.getMaxConcurrency()).isEqualTo(8);
      assertThat(options.getTimeout()).isEqualTo(Duration.ofMillis(800));
      assertThat(options.toJson()).isEqualTo(new JsonObject().put("name", "dashboard").put("maxConcurrency", 8).put("timeoutMs", 800L));
      assertThat(new TaskGroupOptions(options.toJson())).isEqualTo(options);
    }

    @Test
    void absentFieldsKeepTheDefaultsAndNoDeadlineHasNoTimeoutField() {
      assertThat(new TaskGroupOptions(new JsonObject())).isEqualTo(new TaskGroupOptions());
      assertThat(new TaskGroupOptions(new JsonObject().putNull("timeoutMs")).getTimeout()).isNull();
      assertThat(new TaskGroupOptions().toJson())
          .isEqualTo(new JsonObject().put("name", TaskGroupOptions.DEFAULT_NAME).put("maxConcurrency", TaskGroupOptions.UNLIMITED));
    }

    @Test
    void aTimeoutIsWrittenInWholeMillisecondsRoundedUpAndSaturated() {
      assertThat(new TaskGroupOptions().setTimeout(Duration.ofNanos(1)).toJson().getLong("timeoutMs")).isEqualTo(1L);
      assertThat(new TaskGroupOptions().setTimeout(Duration.ofSeconds(Long.MAX_VALUE)).toJson().getLong("timeoutMs"))
          .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void wholeNumbersOfAnyJsonTypeAreAccepted() {
      TaskGroupOptions options = new TaskGroupOptions(new JsonObject("{\"maxConcurrency\": 4.0, \"timeoutMs\": 12345678901}"));
      assertThat(options.getMaxConcurrency()).isEqualTo(4);
      assertThat(options.getTimeout()).isEqualTo(Duration.ofMillis(12345678901L));
    }
  }

  @Nested
  class BadJson {
    @Test
    void aValueOfTheWrongTypeThrowsIllegalArgumentExceptionNamingTheFieldAndTheValue() {
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("name", 5)))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("TaskGroupOptions field 'name' must be a string, got 5");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().putNull("name")))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("TaskGroupOptions field 'name' must be a string, got null");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("maxConcurrency", "8")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("TaskGroupOptions field 'maxConcurrency' must be an integer of at least 1, got \"8\"");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("timeoutMs", true)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("TaskGroupOptions field 'timeoutMs' must be a positive whole number of milliseconds, or null, got true");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("timeoutMs", new JsonObject())))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeoutMs'").hasMessageEndingWith("got {}");
    }

    @Test
    void aValueOutOfRangeThrowsIllegalArgumentExceptionNamingTheFieldAndTheValue() {
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("maxConcurrency", 0)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("TaskGroupOptions field 'maxConcurrency' must be an integer of at least 1, got 0");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("maxConcurrency", 3_000_000_000L)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("got 3000000000");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("maxConcurrency", 2.5)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageEndingWith("got 2.5");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("timeoutMs", -5)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("TaskGroupOptions field 'timeoutMs' must be a positive whole number of milliseconds, or null, got -5");
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject("{\"timeoutMs\": 1e30}")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeoutMs'");
    }

    @Test
    void anUnknownFieldThrowsIllegalArgumentExceptionNamingIt() {
      assertThatThrownBy(() -> new TaskGroupOptions(new JsonObject().put("timeOutMs", 800)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("unknown field 'timeOutMs' in the JSON of TaskGroupOptions (known: maxConcurrency, maxQueued, name, timeoutMs)");
    }
  }

  @Nested
  class ValueSemantics {
    @Test
    void equalOptionsAreEqualAndHashAlike() {
      TaskGroupOptions a = new TaskGroupOptions().setName("g").setMaxConcurrency(3).setTimeout(Duration.ofSeconds(1));
      TaskGroupOptions b = new TaskGroupOptions(a);
      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
      assertThat(a).isNotEqualTo(new TaskGroupOptions(a).setMaxConcurrency(4));
      assertThat(a).isNotEqualTo(new TaskGroupOptions(a).setTimeout(null));
    }

    @Test
    void theClockCountsByIdentityAndIsCopiedButNotInTheJson() {
      TestClock clock = new TestClock();
      TaskGroupOptions a = new TaskGroupOptions().setClock(clock);
      assertThat(new TaskGroupOptions(a)).isEqualTo(a);
      assertThat(new TaskGroupOptions(a).getClock()).isSameAs(clock);
      assertThat(a).isNotEqualTo(new TaskGroupOptions().setClock(new TestClock())).isNotEqualTo(new TaskGroupOptions());
      assertThat(a.toJson().containsKey("clock")).isFalse();
    }

    @Test
    void toStringShowsEveryOption() {
      assertThat(new TaskGroupOptions().setName("g").setMaxConcurrency(2).setTimeout(Duration.ofMillis(5)))
          .hasToString("TaskGroupOptions[name=g, maxConcurrency=2, timeout=PT0.005S]");
      assertThat(new TaskGroupOptions()).hasToString("TaskGroupOptions[name=task-group, maxConcurrency=unlimited, timeout=null]");
    }
  }
}
