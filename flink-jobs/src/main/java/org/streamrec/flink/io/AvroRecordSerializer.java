package org.streamrec.flink.io;

import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.flink.util.function.SerializableSupplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.streamrec.avro.codec.AvroCodec;

/**
 * Writes records of one topic with the project's single-object {@link AvroCodec}, keyed by {@code keyOf}. The codec
 * is not Serializable, so the sink ships a supplier and builds the codec in {@link #open}.
 */
public final class AvroRecordSerializer<T extends SpecificRecord> implements KafkaRecordSerializationSchema<T> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final SerializableSupplier<AvroCodec<T>> codecFactory;
    private final SerializableFunction<T, byte[]> keyOf;
    private transient AvroCodec<T> codec;

    public AvroRecordSerializer(String topic, SerializableSupplier<AvroCodec<T>> codecFactory,
                                SerializableFunction<T, byte[]> keyOf) {
        this.topic = topic;
        this.codecFactory = codecFactory;
        this.keyOf = keyOf;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        codec = codecFactory.get();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
        if (codec == null) {
            codec = codecFactory.get();
        }
        // No record timestamp: the producer stamps the send time. The element's timestamp is its event time, which
        // for a replayed historical log is years old, and Kafka's time-based retention would delete such segments at
        // its next check. The payloads carry event time and emit time themselves.
        return new ProducerRecord<>(topic, null, null, keyOf.apply(element), codec.encode(element));
    }
}
