package dev.fillmask.job.cli;

import dev.fillmask.job.JobArguments;

import dev.fillmask.job.CommandLine;

import dev.fillmask.job.local.LocalRun;
import dev.fillmask.job.sql.SqlScriptJob;

import org.apache.flink.configuration.Configuration;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./fill-mask sql}: a Flink SQL script (by default examples/sql/fill-mask.sql: Kafka requests -> ML_PREDICT
 * -> Kafka answers) on a local Flink cluster and an embedded broker, fed and read like {@code run --embedded}.
 */
final class SqlCommand {
    static final String DEFAULT_SCRIPT = SqlScriptJob.SHIPPED;
    static final String SUMMARY = """
            Runs a Flink SQL script on a local Flink cluster with a Kafka broker it starts in this process (KRaft,
            127.0.0.1): by default examples/sql/fill-mask.sql, which reads the requests topic as a Kafka table,
            answers with ML_PREDICT and the fill-mask model provider, and writes the answers topic under each
            request's key. The script's ${name} placeholders take the job options' values (${bootstrap-servers},
            ${input-topic}, ${output-topic}, ${model}...).
            With --input FILE (one JSON request per line; - for stdin) it sends the requests to the input topic,
            writes one answer line per request, in input order, to --output (default stdout) and exits once every
            request is answered. Without --input it serves until stopped.""";

    private static final List<CommandLine.Option> OWN = List.of(
            new CommandLine.Option("embedded", null, "start an embedded Kafka broker (KRaft, 127.0.0.1)", null),
            new CommandLine.Option("script", "FILE", "the SQL script (also -f FILE)", DEFAULT_SCRIPT),
            new CommandLine.Option("input", "FILE", "requests to answer, one JSON object per line (- = stdin)", null),
            new CommandLine.Option("output", "FILE", "where the answers go, one line per request", "stdout"),
            ListenOption.OPTION);

    private SqlCommand() {}

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        List<CommandLine.Option> options = new ArrayList<>(OWN);
        options.addAll(JobArguments.options());
        CommandLine cli = new CommandLine("sql", SUMMARY, options).parse(withShortScript(args));
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        if (!cli.flag("embedded")) {
            throw new CommandLine.UsageException("give --embedded: the SQL run starts its own broker");
        }
        Configuration jobOptions = JobArguments.toConfiguration(cli);
        String scriptName = cli.has("script") ? cli.get("script") : DEFAULT_SCRIPT;
        SqlScriptJob job = cli.has("script")
                ? new SqlScriptJob(Files.readString(Path.of(scriptName), StandardCharsets.UTF_8), scriptName)
                : SqlScriptJob.shipped();
        LocalRun run = new LocalRun(jobOptions, true, ListenOption.of(cli), err, job);
        if (!cli.has("input")) {
            run.serve();
            return 0;
        }
        List<byte[]> requests = RequestLines.read(cli.get("input"), in);
        List<String> answers = run.answer(requests);
        RequestLines.write(answers, cli.has("output") ? cli.get("output") : null, out);
        err.println("fill-mask: answered " + answers.size() + " request(s) with "
                + scriptName + (cli.has("output") ? " into " + cli.get("output") : ""));
        return 0;
    }

    /** {@code -f FILE}, as the SQL Client spells it, is {@code --script FILE}. */
    private static String[] withShortScript(String[] args) {
        String[] result = args.clone();
        for (int i = 0; i < result.length; i++) {
            if (result[i].equals("-f")) {
                result[i] = "--script";
            }
        }
        return result;
    }
}
