package org.streamrec.flink.model;

import java.io.Serializable;

import org.streamrec.avro.ModelAnnouncement;

/**
 * Where model announcements go. The trainer takes one the way {@code RecommenderJob} takes its sinks: production
 * wires Kafka ({@code org.streamrec.flink.kafka.KafkaAnnouncementSink}), tests can pass one that collects.
 *
 * <p>Not a Flink {@code Sink}: the trainer sends a version's announcement from
 * {@code notifyCheckpointComplete}, i.e. only once the checkpoint that stored the snapshot has completed, and
 * counts it as published only when the send has returned. A sink downstream of the operator would receive records
 * emitted while processing, before that checkpoint completes, and a transactional one would commit them only at the
 * next checkpoint.
 */
public interface AnnouncementSink extends Serializable {

    /** Opens a writer; called once per operator instance, in {@code open}. */
    Writer open() throws Exception;

    /** An open connection to the announcements of one model name. */
    interface Writer extends AutoCloseable {

        /** Sends {@code announcement} and returns once it is stored (for Kafka: acknowledged by the broker). */
        void send(ModelAnnouncement announcement) throws Exception;

        /**
         * The highest version already announced, or 0. A restored trainer asks before re-sending the announcements
         * of the checkpoint it restored from: when that checkpoint's completion was notified before the failure,
         * they went out already.
         */
        long highestAnnounced() throws Exception;

        @Override
        void close() throws Exception;
    }
}
