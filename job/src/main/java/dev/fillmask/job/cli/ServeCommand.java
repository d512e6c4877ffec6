package dev.fillmask.job.cli;

import dev.fillmask.gateway.Gateway;
import dev.fillmask.gateway.GatewaySettings;
import dev.fillmask.job.CommandLine;
import dev.fillmask.job.FillMaskOptions;
import dev.fillmask.job.JobArguments;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./fill-mask serve}: the HTTP gateway alone, in front of a job that runs elsewhere (its broker, its topics,
 * its request limits), until Ctrl-C; then every request it accepted gets its answer or a 503.
 */
final class ServeCommand {
    static final String SUMMARY = """
            Runs the HTTP gateway alone: the Hugging Face Inference API's fill-mask call (POST /models/{model_id},
            POST /) in front of a running streaming job. Each request goes to the job's input topic; its answer comes
            from the output topic. Give the job's topics, Kafka settings and request limits when they are not the
            defaults, so the gateway refuses (400) what the job would refuse. Until Ctrl-C.""";

    /** The job's options the gateway needs: its broker, its topics, its Kafka settings and its request limits. */
    private static final List<ConfigOption<?>> JOB_OPTIONS = List.of(FillMaskOptions.BOOTSTRAP_SERVERS,
            FillMaskOptions.INPUT_TOPIC, FillMaskOptions.OUTPUT_TOPIC, FillMaskOptions.KAFKA_PROPERTIES,
            FillMaskOptions.MAX_REQUEST_BYTES, FillMaskOptions.MAX_INPUT_CHARS, FillMaskOptions.MAX_TARGETS,
            FillMaskOptions.MAX_TOP_K);

    private ServeCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        List<CommandLine.Option> options = new ArrayList<>(HttpOptions.OPTIONS);
        options.addAll(JobArguments.options(JOB_OPTIONS));
        CommandLine cli = new CommandLine("serve", SUMMARY, options).parse(args);
        if (cli.helpAsked()) {
            cli.printHelp(out);
            return 0;
        }
        Configuration jobOptions = JobArguments.toConfiguration(cli, JOB_OPTIONS);
        String bootstrap = jobOptions.get(FillMaskOptions.BOOTSTRAP_SERVERS);
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new CommandLine.UsageException("give the job's broker: --bootstrap HOST:PORT");
        }
        GatewaySettings settings = HttpOptions.of(cli, jobOptions)
                .orElseThrow(() -> new CommandLine.UsageException("give the address to serve on: --http [HOST:]PORT"))
                .withBootstrapServers(bootstrap);
        Gateway gateway;
        try {
            gateway = Gateway.start(settings);
        } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
            err.println("fill-mask serve: " + e.getMessage()); // no output topic, no broker at that address
            return 1;
        }
        gateway.describe().forEach(line -> err.println("fill-mask: " + line));
        err.println("fill-mask: Ctrl-C stops.");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // The drain can take up to its timeout: say so, or Ctrl-C looks ignored.
            err.println("fill-mask: stopping (the gateway answers what it accepted first)...");
            gateway.close();
            err.println("fill-mask: stopped.");
            stopped.countDown();
        }, "fill-mask-gateway-stop"));
        stopped.await();
        return 0;
    }
}
