package org.streamrec.tools.ops;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.ServingControlCommand;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.io.UserIdHash;
import org.streamrec.flink.kafka.Topics;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * Sends one {@link ServingControl} command to running serving jobs ({@code deploy/control.sh}):
 * {@code pin --version N} (rollback: serve version N, also while newer ones are announced), {@code unpin} (serve the
 * newest announced version again), {@code delete-user --user U} (delete that user's session state). Every command
 * goes with the same key, so on the one-partition control topic they are applied in the order sent. The command is
 * validated with the same rules the job applies before it is sent; exit code 0 once the broker has acknowledged it
 * (acks=all), 1 if sending failed, 2 for bad usage.
 */
@Command(name = "control", mixinStandardHelpOptions = true,
        subcommands = {ServingControlTool.Pin.class, ServingControlTool.Unpin.class, ServingControlTool.DeleteUser.class},
        description = "Send a command to the serving job's control topic.")
public final class ServingControlTool {

    /** The key of every command: one key keeps them in order on one partition. */
    static final byte[] KEY = "serving-control".getBytes(StandardCharsets.UTF_8);

    /** Inherited by the subcommands (KafkaOptions declares it so): {@code control pin --bootstrap-servers ...}. */
    @Mixin
    KafkaOptions kafka;

    @Option(names = "--topic", defaultValue = Topics.SERVING_CONTROL, scope = ScopeType.INHERIT,
            description = "The serving job's --control-topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--requested-by", defaultValue = "${sys:user.name}", scope = ScopeType.INHERIT,
            description = "Who asks, for the job's audit log (default: the OS user, ${DEFAULT-VALUE}).")
    String requestedBy;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line; returns the exit code (also for tests, which call it with a test broker). */
    public static int run(String... args) {
        CommandLine cmd = new CommandLine(new ServingControlTool());
        cmd.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("control: " + e.getMessage());
            return 1;
        });
        return cmd.execute(args);
    }

    @Command(name = "pin", description = "Serve model version N on every subtask until unpinned (rollback). N must "
            + "have been announced on model-updates while the job ran (or be its start-up model); otherwise the job "
            + "refuses the pin and serves on unchanged.")
    static final class Pin implements Callable<Integer> {
        @ParentCommand
        ServingControlTool tool;

        @Option(names = "--version", required = true, paramLabel = "N", description = "The model version to serve.")
        long version;

        @Override
        public Integer call() throws Exception {
            return tool.send(tool.command(ServingControlCommand.PIN_MODEL_VERSION).setModelVersion(version).build(),
                    "model version " + version);
        }
    }

    @Command(name = "unpin", description = "End the pin: serve the newest announced model version again.")
    static final class Unpin implements Callable<Integer> {
        @ParentCommand
        ServingControlTool tool;

        @Override
        public Integer call() throws Exception {
            return tool.send(tool.command(ServingControlCommand.UNPIN_MODEL_VERSION).build(), "newest version");
        }
    }

    @Command(name = "delete-user", description = "Delete the user's session state (session, recent items, hidden "
            + "state, last recommendations, session timer). The user's next event starts a new session.")
    static final class DeleteUser implements Callable<Integer> {
        @ParentCommand
        ServingControlTool tool;

        @Option(names = "--user", required = true, paramLabel = "U", description = "The user id, as in ClickEvent.userId.")
        String user;

        @Override
        public Integer call() throws Exception {
            // Printed as the hash the job logs, so the deletion can be found in the job's logs.
            return tool.send(tool.command(ServingControlCommand.DELETE_USER).setUserId(user).build(),
                    "user " + UserIdHash.of(user));
        }
    }

    private ServingControl.Builder command(ServingControlCommand command) {
        return ServingControl.newBuilder()
                .setCommandId(UUID.randomUUID().toString())
                .setCommand(command)
                .setRequestedBy(requestedBy)
                .setRequestTime(Instant.now());
    }

    private int send(ServingControl control, String what) throws Exception {
        AvroCodec<ServingControl> codec = AvroCodec.servingControl();
        if (codec.validate(control) instanceof DecodeResult.Failed<ServingControl> failed) {
            spec.commandLine().getErr().println("control: not sent: " + failed.message());
            return 2;
        }
        RecordMetadata sent;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000), new ByteArraySerializer(), new ByteArraySerializer())) {
            sent = producer.send(new ProducerRecord<>(topic, KEY, codec.encode(control))).get(30, TimeUnit.SECONDS);
        }
        spec.commandLine().getOut().printf("sent %s (%s) as command %s to %s-%d@%d%n", control.getCommand(), what,
                control.getCommandId(), sent.topic(), sent.partition(), sent.offset());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
