package org.streamrec.flink.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The {@code --config} file of both jobs ({@link KafkaJobOptions#configFile}): a {@code .yaml}/{@code .yml} file with
 * flat {@code key: value} entries or a {@code .properties} file, keys = long option names without the dashes. Its
 * values replace the defaults and flags override them; an unknown key is an error, so a typo in a deployment file
 * cannot silently fall back to a default. One implementation, so both jobs read files the same way.
 */
public final class ConfigFile {

    private ConfigFile() {
    }

    /**
     * Makes the file named by {@code --config}/{@code -c} in {@code args} (if any) supply the defaults of {@code cmd}'s
     * options, with the rules above.
     */
    public static void use(CommandLine cmd, String... args) {
        Path file = findConfigFile(cmd, args);
        if (file != null) {
            cmd.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(readFile(cmd, file)));
        }
    }

    /** The file named by {@code --config}/{@code -c}, found before the real parse so it can supply the defaults. */
    private static Path findConfigFile(CommandLine cmd, String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("--config") || a.equals("-c"))) {
                if (i + 1 >= args.length) {
                    throw new ParameterException(cmd, "Missing file after " + a);
                }
                return Path.of(args[i + 1]);
            }
            if (a.startsWith("--config=")) {
                return Path.of(a.substring("--config=".length()));
            }
        }
        return null;
    }

    private static Properties readFile(CommandLine cmd, Path file) {
        Map<String, String> entries = new LinkedHashMap<>();
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                // snakeyaml-engine is the parser Flink itself uses for config.yaml (a flink-core dependency).
                Object root = new Load(LoadSettings.builder().build()).loadFromReader(reader);
                if (root != null && !(root instanceof Map)) {
                    throw new ParameterException(cmd, file + ": expected a mapping of option names to values");
                }
                if (root != null) {
                    for (Map.Entry<?, ?> e : ((Map<?, ?>) root).entrySet()) {
                        if (e.getValue() instanceof Map || e.getValue() instanceof List) {
                            throw new ParameterException(cmd, file + ": '" + e.getKey()
                                    + "' must be a plain value (the file is flat: option-name: value)");
                        }
                        entries.put(String.valueOf(e.getKey()), e.getValue() == null ? null : String.valueOf(e.getValue()));
                    }
                }
            } else {
                Properties p = new Properties();
                p.load(reader);
                p.stringPropertyNames().forEach(key -> entries.put(key, p.getProperty(key)));
            }
        } catch (IOException e) {
            throw new ParameterException(cmd, "Cannot read configuration file " + file + ": " + e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof ParameterException pe) {
                throw pe;
            }
            throw new ParameterException(cmd, "Cannot parse configuration file " + file + ": " + e.getMessage());
        }
        Set<String> known = new HashSet<>();
        for (OptionSpec option : cmd.getCommandSpec().options()) {
            known.add(option.longestName().replaceFirst("^-+", ""));
        }
        known.remove("config");
        List<String> unknown = new ArrayList<>();
        Properties properties = new Properties();
        entries.forEach((key, value) -> {
            if (!known.contains(key)) {
                unknown.add(key);
            } else if (value != null) {
                properties.setProperty(key, value);
            }
        });
        if (!unknown.isEmpty()) {
            throw new ParameterException(cmd, file + ": unknown option(s) " + unknown + "; known: " + new java.util.TreeSet<>(known));
        }
        return properties;
    }
}
