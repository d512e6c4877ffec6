package dev.fillmask.job.cli;

import dev.fillmask.job.CommandLine;
import dev.fillmask.job.local.RequestSendException;
import dev.fillmask.engine.EngineStartException;
import dev.fillmask.engine.importer.ModelImportException;
import dev.fillmask.engine.model.ModelFolderException;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** The {@code ./fill-mask} command line: one sub-command per job to do. */
public final class FillMaskCli {
    private static final String USAGE = """
            usage: ./fill-mask COMMAND [options]

            commands:
              model     import a built-in model (default: bert-base-uncased) or a hub model if needed, print its folder
              import    import a Hugging Face checkpoint folder (safetensors) into a model folder
              predict   answer JSONL fill-mask requests from stdin on stdout, one line each
              run       the streaming job on a local Flink cluster, with an embedded or existing Kafka broker
              swap      tell a running job to serve another model, without a restart
              serve     the HTTP gateway (the Hugging Face Inference API) in front of a running job
              sql       a Flink SQL script (ML_PREDICT with the fill-mask model) on a local cluster and an embedded broker
              bench     throughput of the raw ONNX Runtime session, the engine and the streaming job
              quantize  write an int8 copy of a model folder and report its accuracy against fp32

            ./fill-mask COMMAND --help tells more.""";

    private FillMaskCli() {}

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        System.exit(run(args, System.in, out, System.err));
    }

    public static int run(String[] args, java.io.InputStream in, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "model" -> ModelCommand.run(rest, out, err);
                case "import" -> ImportCommand.run(rest, out, err);
                case "predict" -> PredictCommand.run(rest, in, out, err);
                case "run" -> RunCommand.run(rest, in, out, err);
                case "swap" -> SwapCommand.run(rest, out, err);
                case "serve" -> ServeCommand.run(rest, out, err);
                case "sql" -> SqlCommand.run(rest, in, out, err);
                case "bench" -> BenchCommand.run(rest, out, err);
                case "quantize" -> QuantizeCommand.run(rest, out, err);
                default -> {
                    err.println("fill-mask: unknown command '" + args[0] + "'\n");
                    err.println(USAGE);
                    yield 2;
                }
            };
        } catch (CommandLine.UsageException e) {
            err.println("fill-mask " + args[0] + ": " + e.getMessage());
            return 2;
        } catch (ModelFolderException | ModelImportException | EngineStartException | IllegalArgumentException
                 | RequestSendException e) {
            err.println("fill-mask " + args[0] + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("fill-mask " + args[0] + " failed: " + e);
            e.printStackTrace(err);
            return 1;
        } finally {
            out.flush();
        }
    }
}
