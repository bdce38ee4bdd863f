package dev.taskgroup.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The deadline header's format: whole non-negative milliseconds; anything else reads as absent. */
class DeadlineHeaderTest {

  @Nested
  class Reading {
    @Test
    void absentHeaderIsEmpty() {
      assertThat(DeadlineHeader.parse(null)).isEmpty();
    }

    @Test
    void wholeMillisecondsAreRead() {
      assertThat(DeadlineHeader.parse("250")).contains(Duration.ofMillis(250));
      assertThat(DeadlineHeader.parse(" 0 ")).contains(Duration.ZERO);
    }

    @Test
    void malformedNegativeFractionalOrHugeValuesAreEmpty() {
      assertThat(DeadlineHeader.parse("")).isEmpty();
      assertThat(DeadlineHeader.parse("soon")).isEmpty();
      assertThat(DeadlineHeader.parse("-5")).isEmpty();
      assertThat(DeadlineHeader.parse("+5")).isEmpty();
      assertThat(DeadlineHeader.parse("1.5")).isEmpty();
      assertThat(DeadlineHeader.parse("99999999999999999999")).isEmpty();
    }

    @Test
    void anEventBusMessagesHeadersReadByTheSameRulesFirstValueFirst() {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(DeadlineHeader.NAME, "40").add(DeadlineHeader.NAME, "90");
      assertThat(DeadlineHeader.read(headers)).contains(Duration.ofMillis(40));
      assertThat(DeadlineHeader.read(MultiMap.caseInsensitiveMultiMap().add(DeadlineHeader.NAME, "-1"))).isEmpty();
      assertThat(DeadlineHeader.read(MultiMap.caseInsensitiveMultiMap())).isEmpty();
    }
  }

  @Nested
  class Writing {
    @Test
    void formatIsWhatWriteSets() {
      assertThat(DeadlineHeader.format(Duration.ofNanos(1_999_999))).isEqualTo("1");
      assertThat(DeadlineHeader.format(Duration.ofDays(100_000))).isEqualTo(Long.toString(DeadlineHeader.MAX_MILLIS));
      assertThatThrownBy(() -> DeadlineHeader.format(Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessage("remaining must not be negative, got PT-0.001S");
    }

    @Test
    void remainingTimeIsWrittenRoundedDownToMilliseconds() {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(DeadlineHeader.NAME, "1");
      DeadlineHeader.write(headers, Duration.ofNanos(1_999_999));
      assertThat(headers.getAll(DeadlineHeader.NAME)).containsExactly("1");
      DeadlineHeader.write(headers, Duration.ofSeconds(2));
      assertThat(headers.getAll(DeadlineHeader.NAME)).containsExactly("2000");
    }

    @Test
    void aRemainingTimeLongerThanTheCapIsWrittenAsTheCapAndReadsBack() {
      MultiMap headers = MultiMap.caseInsensitiveMultiMap();
      DeadlineHeader.write(headers, Duration.ofSeconds(Long.MAX_VALUE, 999_999_999));
      assertThat(headers.get(DeadlineHeader.NAME)).isEqualTo("99999999999");
      DeadlineHeader.write(headers, Duration.ofMillis(DeadlineHeader.MAX_MILLIS - 1));
      assertThat(headers.get(DeadlineHeader.NAME)).isEqualTo("99999999998");
      assertThat(DeadlineHeader.parse("99999999999")).contains(Duration.ofMillis(DeadlineHeader.MAX_MILLIS));
    }

    @Test
    void negativeRemainingTimeIsRefused() {
      assertThatThrownBy(() -> DeadlineHeader.write(MultiMap.caseInsensitiveMultiMap(), Duration.ofMillis(-1)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
      assertThatThrownBy(() -> DeadlineHeader.write(MultiMap.caseInsensitiveMultiMap(), Duration.ofSeconds(Long.MIN_VALUE)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }
  }
}
