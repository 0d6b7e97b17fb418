package org.streamrec.flink.io;

/**
 * A Kafka record exactly as read, before any decoding, so a record that cannot be decoded can still be written to
 * the dead-letter topic whole, with its coordinates. A Flink POJO (public fields, no-arg constructor).
 */
public class RawRecord {

    public String topic;
    public int partition;
    public long offset;
    /** Kafka record timestamp (ms), or -1 when the record has none. */
    public long timestamp;
    public byte[] key;
    public byte[] value;

    public RawRecord() {
    }

    public RawRecord(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }
}
