package dev.fillmask.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The job's options on a command line: {@code --name value} for each of {@link FillMaskOptions#ALL}, so the CLI,
 * {@code flink run ... --name value} and {@code --help} share the options' one definition.
 */
public final class JobArguments {
    /** A shorter name for the option everybody types. */
    public static final String BOOTSTRAP_ALIAS = "bootstrap";

    private JobArguments() {}

    /** The command-line options of the job, in the order of {@link FillMaskOptions#ALL}. */
    public static List<CommandLine.Option> options() {
        return options(FillMaskOptions.ALL);
    }

    /** The command-line form of {@code configOptions} (a command's share of the one vocabulary), in their order. */
    public static List<CommandLine.Option> options(List<ConfigOption<?>> configOptions) {
        List<CommandLine.Option> result = new ArrayList<>();
        for (ConfigOption<?> option : configOptions) {
            result.add(new CommandLine.Option(FillMaskOptions.flagName(option), valueName(option),
                    describe(option), defaultText(option)));
            if (option == FillMaskOptions.BOOTSTRAP_SERVERS) {
                result.add(new CommandLine.Option(BOOTSTRAP_ALIAS, "HOST:PORT",
                        "the same as --" + FillMaskOptions.flagName(option), null));
            }
        }
        return result;
    }

    /** The options given on {@code line}, as a Flink configuration (keys with the {@code fill-mask.} prefix). */
    public static Configuration toConfiguration(CommandLine line) {
        return toConfiguration(line, FillMaskOptions.ALL);
    }

    /** The {@code configOptions} given on {@code line}, as a Flink configuration, each checked for its type. */
    public static Configuration toConfiguration(CommandLine line, List<ConfigOption<?>> configOptions) {
        Map<String, String> values = new LinkedHashMap<>();
        for (ConfigOption<?> option : configOptions) {
            String name = FillMaskOptions.flagName(option);
            if (line.has(name)) {
                values.put(option.key(), line.get(name));
            }
        }
        if (configOptions.contains(FillMaskOptions.BOOTSTRAP_SERVERS) && line.has(BOOTSTRAP_ALIAS)) {
            values.put(FillMaskOptions.BOOTSTRAP_SERVERS.key(), line.get(BOOTSTRAP_ALIAS));
        }
        Configuration configuration = Configuration.fromMap(values);
        for (ConfigOption<?> option : configOptions) {
            try {
                configuration.getOptional(option);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.UsageException("--" + FillMaskOptions.flagName(option) + ": cannot read '"
                        + values.get(option.key()) + "' as " + valueName(option).toLowerCase(java.util.Locale.ROOT));
            }
        }
        return configuration;
    }

    /** For {@code flink run JAR --name value ...}: the options, or an IllegalArgumentException naming the bad one. */
    public static Configuration parse(String[] args) {
        CommandLine line = new CommandLine("job", "The fill-mask streaming job.", options()).parse(args);
        if (line.helpAsked()) {
            line.printHelp(System.out);
        }
        return toConfiguration(line);
    }

    /** The options' table for the README: one Markdown row per option. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| option | default | what it does |\n|---|---|---|\n");
        for (ConfigOption<?> option : FillMaskOptions.ALL) {
            String def = defaultText(option);
            table.append("| `--").append(FillMaskOptions.flagName(option)).append("` (`").append(option.key())
                    .append("`) | ").append(def == null ? "" : "`" + def + "`").append(" | ")
                    .append(describe(option).replace("|", "\\|"))
                    .append(" |\n");
        }
        return table.toString();
    }

    /** The option's description as plain text. */
    public static String describe(ConfigOption<?> option) {
        return new HtmlFormatter().format(option.description()).replaceAll("<[^>]*>", "")
                .replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    private static String valueName(ConfigOption<?> option) {
        if (option == FillMaskOptions.MODEL) {
            return "DIR";
        }
        if (option == FillMaskOptions.KAFKA_PROPERTIES) {
            return "FILE";
        }
        if (option == FillMaskOptions.BOOTSTRAP_SERVERS) {
            return "HOST:PORT";
        }
        if (option == FillMaskOptions.DEVICE) {
            return FillMaskOptions.AUTO + "|N";
        }
        if (option.defaultValue() instanceof Duration || option == FillMaskOptions.BATCH_MAX_DELAY) {
            return "DURATION";
        }
        if (option.defaultValue() instanceof Integer || option == FillMaskOptions.PARALLELISM) {
            return "N";
        }
        if (option.defaultValue() instanceof Boolean) {
            return "true|false";
        }
        if (option.defaultValue() instanceof Enum<?> e) {
            return String.join("|", java.util.Arrays.stream(e.getDeclaringClass().getEnumConstants())
                    .map(Object::toString).toList());
        }
        return "VALUE";
    }

    private static String defaultText(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return null;
        }
        Object value = option.defaultValue();
        return value instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : String.valueOf(value);
    }
}
