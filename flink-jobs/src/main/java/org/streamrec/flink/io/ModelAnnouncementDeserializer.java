package org.streamrec.flink.io;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/**
 * Reads {@code model-updates}. An announcement that does not decode (or a compaction tombstone) is logged and
 * skipped: the serving job keeps its current model, which is exactly what a bad announcement should cause.
 */
public final class ModelAnnouncementDeserializer implements KafkaRecordDeserializationSchema<ModelAnnouncement> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelAnnouncementDeserializer.class);

    private transient AvroCodec<ModelAnnouncement> codec;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        codec = AvroCodec.modelAnnouncements();
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ModelAnnouncement> out) {
        if (codec == null) {
            codec = AvroCodec.modelAnnouncements();
        }
        DecodeResult<ModelAnnouncement> result = codec.decode(record.value());
        if (result instanceof DecodeResult.Decoded<ModelAnnouncement> decoded) {
            out.collect(decoded.value());
        } else if (result instanceof DecodeResult.Failed<ModelAnnouncement> failed) {
            LOG.warn("Skipping model announcement at {}-{}@{}: {} {}", record.topic(), record.partition(),
                    record.offset(), failed.error(), failed.message());
        }
    }

    @Override
    public TypeInformation<ModelAnnouncement> getProducedType() {
        return new AvroTypeInfo<>(ModelAnnouncement.class);
    }
}
