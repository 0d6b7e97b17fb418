package org.streamrec.avro.codec;

/**
 * Why a payload could not be turned into a usable record.
 *
 * <p>The constant names are a contract: they are written as {@code DeadLetter.errorCode} and operators
 * filter and alert on them. Never rename or remove one; add new ones instead.
 */
public enum DecodeError {
  /** The payload is null (e.g. a Kafka tombstone) or has no bytes. */
  EMPTY,
  /** The payload does not start with the single-object marker {@code C3 01}: not written by our encoders. */
  BAD_HEADER,
  /** The header is well formed but the schema fingerprint in it is not one this codec knows. */
  UNKNOWN_FINGERPRINT,
  /** The payload ends before the header or the record is complete. */
  TRUNCATED,
  /** The header is fine but the body is not a valid record of the writer schema. */
  CORRUPT_BODY,
  /** The record decoded but a field breaks a rule the schema cannot express (blank id, bad time, ...). */
  INVALID_FIELD
}
