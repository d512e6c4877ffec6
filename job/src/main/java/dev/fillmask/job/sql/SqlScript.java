package dev.fillmask.job.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Flink SQL script as the SQL Client reads it: statements ended by {@code ;}, {@code --} comments, quoted text
 * ('...', `...`, "...") kept whole. Placeholders {@code ${name}} in the statements are filled in from given values,
 * so one file serves {@code ./fill-mask sql} and, with the values written in, the SQL Client.
 */
public final class SqlScript {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z0-9._-]+)}");

    private final List<String> statements;

    private SqlScript(List<String> statements) {
        this.statements = List.copyOf(statements);
    }

    /**
     * The script {@code text} with its placeholders filled in.
     *
     * @throws IllegalArgumentException for a placeholder without a value (naming the ones there are)
     */
    public static SqlScript parse(String text, Map<String, String> values) {
        TreeSet<String> missing = new TreeSet<>();
        List<String> statements = new ArrayList<>();
        for (String statement : split(text)) {
            Matcher m = PLACEHOLDER.matcher(statement);
            StringBuilder filled = new StringBuilder();
            while (m.find()) {
                String value = values.get(m.group(1));
                if (value == null) {
                    missing.add(m.group(1));
                    value = m.group();
                }
                m.appendReplacement(filled, Matcher.quoteReplacement(value));
            }
            m.appendTail(filled);
            statements.add(filled.toString());
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the SQL script uses ${" + String.join("}, ${", missing)
                    + "}, which have no value here; the placeholders are ${"
                    + String.join("}, ${", new TreeSet<>(values.keySet())) + "}");
        }
        return new SqlScript(statements);
    }

    public List<String> statements() {
        return statements;
    }

    /** The statements of {@code text}, without comments, trimmed, empty ones left out. */
    static List<String> split(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                current.append(c);
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '`' || c == '"') {
                quote = c;
                current.append(c);
            } else if (c == '-' && i + 1 < text.length() && text.charAt(i + 1) == '-') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
                current.append('\n');
            } else if (c == ';') {
                add(out, current);
            } else {
                current.append(c);
            }
        }
        add(out, current);
        return out;
    }

    private static void add(List<String> out, StringBuilder statement) {
        String s = statement.toString().trim();
        if (!s.isEmpty()) {
            out.add(s);
        }
        statement.setLength(0);
    }
}
