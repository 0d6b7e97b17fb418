package org.streamrec.avro.codec;

import java.util.Objects;

/**
 * Outcome of {@link AvroCodec#decode}: either the record or the reason it could not be read.
 * Decoding never throws for bad input, so a poison message can always be routed to the dead-letter topic.
 */
public sealed interface DecodeResult<T> {

  /** A record that was read successfully. */
  record Decoded<T>(T value) implements DecodeResult<T> {
    public Decoded {
      Objects.requireNonNull(value, "value");
    }
  }

  /**
   * A payload that could not be used. {@code error.name()} is the stable code for {@code DeadLetter.errorCode};
   * {@code message} is for humans.
   */
  record Failed<T>(DecodeError error, String message) implements DecodeResult<T> {
    public Failed {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(message, "message");
    }
  }
}
