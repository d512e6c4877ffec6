package dev.fillmask.job.sql;

import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.local.LocalJob;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ConfigurationUtils;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SQL script as one job of a local run: {@code SET 'key' = 'value'} goes to the table configuration, every
 * {@code INSERT} joins one statement set that becomes the job, every other statement (CREATE TABLE, CREATE MODEL,
 * CREATE FUNCTION...) runs at once. The script's placeholders are the job options by name
 * ({@code ${bootstrap-servers}}, {@code ${input-topic}}, {@code ${output-topic}}, {@code ${model}}...).
 */
public final class SqlScriptJob implements LocalJob {
    private static final Pattern SET = Pattern.compile("(?is)SET\\s+'([^']*)'\\s*=\\s*'([^']*)'");

    private final String script;
    private final String name;

    /** The script shipped with the project: Kafka requests -> ML_PREDICT with the fill-mask model -> Kafka answers. */
    public static final String SHIPPED = "examples/sql/fill-mask.sql";

    /** @param name what the script is called, for messages */
    public SqlScriptJob(String script, String name) {
        this.script = script;
        this.name = name;
    }

    /** The {@link #SHIPPED} script, from the class path. */
    public static SqlScriptJob shipped() throws IOException {
        try (InputStream bundled = SqlScriptJob.class.getClassLoader().getResourceAsStream(SHIPPED)) {
            if (bundled == null) {
                throw new IllegalStateException(SHIPPED + " is missing from the class path");
            }
            return new SqlScriptJob(new String(bundled.readAllBytes(), StandardCharsets.UTF_8), SHIPPED);
        }
    }

    @Override
    public JobClient start(StreamExecutionEnvironment env, Configuration options) {
        SqlScript parsed = SqlScript.parse(script, placeholders(options));
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        StatementSet inserts = tables.createStatementSet();
        int insertCount = 0;
        for (String statement : parsed.statements()) {
            Matcher set = SET.matcher(statement);
            if (set.matches()) {
                tables.getConfig().set(set.group(1), set.group(2));
            } else if (statement.toUpperCase(Locale.ROOT).startsWith("INSERT")) {
                inserts.addInsertSql(statement);
                insertCount++;
            } else {
                tables.executeSql(statement);
            }
        }
        if (insertCount == 0) {
            throw new IllegalArgumentException(name + " has no INSERT statement: nothing would answer the requests");
        }
        TableResult result = inserts.execute();
        return result.getJobClient().orElseThrow(() -> new IllegalStateException(name + " started no job"));
    }

    /** Every job option that has a value (its own or its default), by its command-line name. */
    static Map<String, String> placeholders(Configuration options) {
        Map<String, String> values = new TreeMap<>();
        for (ConfigOption<?> option : FillMaskOptions.ALL) {
            Object value = options.getOptional(option).map(v -> (Object) v)
                    .orElse(option.hasDefaultValue() ? option.defaultValue() : null);
            if (value != null) {
                values.put(FillMaskOptions.flagName(option), ConfigurationUtils.convertValue(value, String.class));
            }
        }
        return values;
    }
}
