package org.streamrec.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Root of the offline CLI ({@code java -jar model-core/target/recsys.jar <command>}). A new command is a
 * picocli {@code @Command} class added to {@code subcommands} below.
 */
@Command(name = "recsys",
        mixinStandardHelpOptions = true,
        version = "streamrec recsys 0.1.0",
        description = "Offline tools of streamrec: GRU4Rec training, baselines and evaluation on session datasets.",
        subcommands = {
                CommandLine.HelpCommand.class,
                BaselinesCommand.class,
                TrainCommand.class,
                EvaluateCommand.class,
        })
public final class RecsysCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    /** The configured command line, for callers that want to run commands in-process (tests). */
    public static CommandLine commandLine() {
        return new CommandLine(new RecsysCli());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
