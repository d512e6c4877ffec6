package dev.fillmask.job.cli;

import dev.fillmask.job.JobArguments;
import dev.fillmask.job.CommandLine;
import dev.fillmask.job.local.LocalRun;

import org.apache.flink.configuration.Configuration;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./fill-mask run}: the streaming job on a local Flink cluster, against a Kafka broker it starts itself
 * ({@code --embedded}) or an existing one ({@code --bootstrap}). With {@code --input} it answers that file's requests
 * through Kafka and exits; without, it serves until stopped.
 */
final class RunCommand {
    static final String SUMMARY = """
            Runs the streaming job (Kafka -> fill-mask -> Kafka) on a local Flink cluster.
              --embedded       starts a real Kafka broker in this process (KRaft, 127.0.0.1) and creates the topics
              --bootstrap H:P  uses an existing broker instead (topics are created if missing)
            The broker and the local Flink cluster listen on 127.0.0.1 only; --listen HOST exposes them on purpose.
            With --input FILE (one JSON request per line; - for stdin) it sends the requests to the input topic,
            writes one answer line per request, in input order, to --output (default stdout) and exits once every
            request is answered. Without --input it serves until stopped, and prints the bootstrap address and topics;
            with --http [HOST:]PORT also the Hugging Face Inference API over HTTP (the gateway) in front of the job.
            The job's options follow; on a Flink cluster the same options go after the jar: flink run JAR --name value.""";

    private static final List<CommandLine.Option> OWN = List.of(
            new CommandLine.Option("embedded", null, "start an embedded Kafka broker (KRaft, 127.0.0.1)", null),
            new CommandLine.Option("input", "FILE", "requests to answer, one JSON object per line (- = stdin)", null),
            new CommandLine.Option("output", "FILE", "where the answers go, one line per request", "stdout"),
            ListenOption.OPTION);

    private RunCommand() {}

    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) throws Exception {
        List<CommandLine.Option> options = new ArrayList<>(OWN);
        options.addAll(HttpOptions.OPTIONS);
        options.addAll(JobArguments.options());
        CommandLine cli = new CommandLine("run", SUMMARY, options).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        Configuration jobOptions = JobArguments.toConfiguration(cli);
        boolean embedded = cli.flag("embedded");
        if (embedded == jobOptions.getOptional(dev.fillmask.job.FillMaskOptions.BOOTSTRAP_SERVERS).isPresent()) {
            throw new CommandLine.UsageException("give either --embedded or --bootstrap HOST:PORT");
        }
        LocalRun run = new LocalRun(jobOptions, embedded, ListenOption.of(cli), err);
        if (!cli.has("input")) {
            run.serve(HttpOptions.of(cli, jobOptions).orElse(null));
            return 0;
        }
        if (cli.has(HttpOptions.HTTP)) {
            throw new CommandLine.UsageException("--http serves until stopped: leave out --input");
        }
        List<byte[]> requests = RequestLines.read(cli.get("input"), in);
        List<String> answers = run.answer(requests);
        RequestLines.write(answers, cli.has("output") ? cli.get("output") : null, out);
        err.println("fill-mask: answered " + answers.size() + " request(s)"
                + (cli.has("output") ? " into " + cli.get("output") : ""));
        return 0;
    }
}
