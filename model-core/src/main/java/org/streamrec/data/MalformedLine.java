package org.streamrec.data;

/** A line a reader could not use, kept so that nothing is dropped silently. */
public record MalformedLine(long lineNumber, String reason, String content) {
}
