package org.streamrec.flink.io;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeError;
import org.streamrec.avro.codec.DecodeResult;

/**
 * Reads {@code serving-control}. A command that does not decode or lacks its argument is logged, counted
 * ({@code controlCommandsUndecodable}) and skipped: the job must not act on a command it cannot read. The log shows the
 * error code and, for field-rule failures, which rule broke (those messages never quote a user id); other decoder
 * messages can quote the payload's first bytes, which may hold a user id, so they are not logged.
 */
public final class ServingControlDeserializer implements KafkaRecordDeserializationSchema<ServingControl> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ServingControlDeserializer.class);

    private transient AvroCodec<ServingControl> codec;
    private transient Counter undecodable;

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        codec = AvroCodec.servingControl();
        undecodable = context.getMetricGroup().counter("controlCommandsUndecodable");
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ServingControl> out) {
        if (codec == null) {
            codec = AvroCodec.servingControl();
        }
        DecodeResult<ServingControl> result = codec.decodeAndValidate(record.value());
        if (result instanceof DecodeResult.Decoded<ServingControl> decoded) {
            out.collect(decoded.value());
        } else if (result instanceof DecodeResult.Failed<ServingControl> failed) {
            if (undecodable != null) {
                undecodable.inc();
            }
            LOG.warn("Skipping serving-control record at {}-{}@{}: {}{}", record.topic(), record.partition(),
                    record.offset(), failed.error(),
                    failed.error() == DecodeError.INVALID_FIELD ? " " + failed.message() : "");
        }
    }

    @Override
    public TypeInformation<ServingControl> getProducedType() {
        return new AvroTypeInfo<>(ServingControl.class);
    }
}
