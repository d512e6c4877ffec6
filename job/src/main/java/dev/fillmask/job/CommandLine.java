package dev.fillmask.job;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options one sub-command takes ({@code --name value}, {@code --name=value}, {@code --flag}), parsed and
 * checked against what the command declared, so that every option shows up in {@code --help} and a typo is an error.
 */
public final class CommandLine {
    /** One option: its name without dashes, the value's placeholder (null for a flag), a description, a default. */
    public record Option(String name, String valueName, String description, String defaultValue) {
        boolean isFlag() {
            return valueName == null;
        }
    }

    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }

    private final String command;
    private final String summary;
    private final Map<String, Option> declared = new LinkedHashMap<>();
    private final Map<String, String> values = new LinkedHashMap<>();
    private boolean help;
    /** The name of the arguments that are no options ({@code MODEL}), or null when a command takes none. */
    private String argumentsName;
    private final List<String> arguments = new ArrayList<>();

    public CommandLine(String command, String summary, List<Option> options) {
        this.command = command;
        this.summary = summary;
        options.forEach(o -> declared.put(o.name(), o));
    }

    /** This command also takes arguments that are no options, shown as {@code name} in its usage line. */
    public CommandLine withArguments(String name) {
        this.argumentsName = name;
        return this;
    }

    /** The arguments that are no options, in order. */
    public List<String> arguments() {
        return List.copyOf(arguments);
    }

    public CommandLine parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            if (!arg.startsWith("--") && argumentsName != null) {
                arguments.add(arg);
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "' (see " + command + " --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option option = declared.get(name);
            if (option == null) {
                throw new UsageException("unknown option --" + name + " (see " + command + " --help)");
            }
            if (option.isFlag()) {
                values.put(name, value == null ? "true" : value);
            } else {
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("--" + name + " needs a value: --" + name + " " + option.valueName());
                    }
                    value = args[++i];
                }
                values.put(name, value);
            }
        }
        return this;
    }

    public boolean helpAsked() {
        return help;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String get(String name) {
        String v = values.get(name);
        return v != null ? v : declared.get(name).defaultValue();
    }

    public boolean flag(String name) {
        return Boolean.parseBoolean(get(name));
    }

    public int intValue(String name, int min) {
        String v = get(name);
        int parsed;
        try {
            parsed = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
        if (parsed < min) {
            throw new UsageException("--" + name + " must be >= " + min + ", got " + parsed);
        }
        return parsed;
    }

    public void printHelp(PrintStream out) {
        out.println("usage: ./fill-mask " + command + (declared.isEmpty() ? "" : " [options]")
                + (argumentsName == null ? "" : " " + argumentsName));
        out.println();
        out.println(summary);
        if (!declared.isEmpty()) {
            out.println();
            out.println("options:");
            List<String> left = new ArrayList<>();
            for (Option o : declared.values()) {
                left.add("--" + o.name() + (o.isFlag() ? "" : " " + o.valueName()));
            }
            int width = left.stream().mapToInt(String::length).max().orElse(0) + 2;
            int i = 0;
            for (Option o : declared.values()) {
                String d = o.description() + (o.defaultValue() == null || o.isFlag() ? "" : " (default: " + o.defaultValue() + ")");
                out.printf("  %-" + width + "s%s%n", left.get(i++), d);
            }
        }
    }
}
