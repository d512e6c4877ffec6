package dev.fillmask.engine.importer.huggingface;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The masked-LM architectures the importer reads, and how each names its tensors. All of them are the same
 * post-layer-norm encoder and head that {@link dev.fillmask.engine.onnx.BertMaskedLmGraph} writes; the graph asks for
 * weights by the names and layouts of Google's TF BERT checkpoints, and {@link #tensorNames} says which Hugging Face
 * tensor holds each (torch's {@code nn.Linear} keeps [out, in], the TF kernel [in, out]: those are transposed).
 */
enum Architecture {
    /** BertForMaskedLM: {@code bert.*} and {@code cls.predictions.*}; old checkpoints name LayerNorm gamma/beta. */
    BERT("bert", "cls.predictions.transform.dense", "cls.predictions.transform.LayerNorm",
            List.of("cls.predictions.bias", "cls.predictions.decoder.bias"), "BertForMaskedLM"),
    /**
     * RobertaForMaskedLM and the models built on it (XLM-R, CamemBERT): {@code roberta.*} and {@code lm_head.*}, and
     * positions that start after the padding index.
     */
    ROBERTA("roberta", "lm_head.dense", "lm_head.layer_norm", List.of("lm_head.bias", "lm_head.decoder.bias"),
            "RobertaForMaskedLM", "XLMRobertaForMaskedLM", "CamembertForMaskedLM"),
    /** DistilBertForMaskedLM: {@code distilbert.*}, its own layer names, no token types, the {@code vocab_*} head. */
    DISTILBERT("distilbert", "vocab_transform", "vocab_layer_norm", List.of("vocab_projector.bias"),
            "DistilBertForMaskedLM");

    /** One Hugging Face tensor that may hold a graph weight; {@code transposed}: it is the weight's transpose. */
    record TensorName(String name, boolean transposed) {}

    /** DistilBERT's module names for BERT's, inside one layer. */
    private static final Map<String, String> DISTILBERT_LAYER = Map.of(
            "attention/self/query", "attention.q_lin",
            "attention/self/key", "attention.k_lin",
            "attention/self/value", "attention.v_lin",
            "attention/output/dense", "attention.out_lin",
            "attention/output/LayerNorm", "sa_layer_norm",
            "intermediate/dense", "ffn.lin1",
            "output/dense", "ffn.lin2",
            "output/LayerNorm", "output_layer_norm");

    private final String prefix;
    private final String headDense;
    private final String headNorm;
    private final List<String> decoderBias;
    private final List<String> classNames;

    Architecture(String prefix, String headDense, String headNorm, List<String> decoderBias, String... classNames) {
        this.prefix = prefix;
        this.headDense = headDense;
        this.headNorm = headNorm;
        this.decoderBias = decoderBias;
        this.classNames = List.of(classNames);
    }

    /** The architecture of a {@code config.json} "architectures" entry, e.g. "XLMRobertaForMaskedLM". */
    static Optional<Architecture> ofClassName(String className) {
        return Arrays.stream(values()).filter(a -> a.classNames.contains(className)).findFirst();
    }

    /** Every class name the importer reads, for messages. */
    static List<String> supportedClassNames() {
        return Arrays.stream(values()).flatMap(a -> a.classNames.stream()).toList();
    }

    /**
     * The Hugging Face tensors that may hold the graph's weight {@code graphName} (a TF BERT name such as
     * {@code bert/encoder/layer_3/attention/self/query/kernel}), most likely first.
     */
    List<TensorName> tensorNames(String graphName) {
        if (graphName.equals("cls/predictions/output_bias")) {
            return decoderBias.stream().map(n -> new TensorName(n, false)).toList();
        }
        int lastSlash = graphName.lastIndexOf('/');
        String module = graphName.substring(0, lastSlash);
        String parameter = graphName.substring(lastSlash + 1);
        if (module.equals("bert/embeddings") && parameter.endsWith("_embeddings")) {
            String table = "embeddings." + parameter + ".weight";
            return List.of(new TensorName(prefix + "." + table, false), new TensorName(table, false));
        }
        if (module.equals("cls/predictions/transform/dense")) {
            return parameters(headDense, parameter);
        }
        if (module.equals("cls/predictions/transform/LayerNorm")) {
            return parameters(headNorm, parameter);
        }
        if (module.equals("bert/embeddings/LayerNorm")) {
            return prefixed(prefix + ".embeddings.LayerNorm", parameter);
        }
        if (module.startsWith("bert/encoder/layer_")) {
            String rest = module.substring("bert/encoder/layer_".length());
            int slash = rest.indexOf('/');
            String layer = rest.substring(0, slash);
            String inLayer = rest.substring(slash + 1);
            if (this == DISTILBERT) {
                String name = DISTILBERT_LAYER.get(inLayer);
                if (name == null) {
                    throw new IllegalArgumentException("DistilBERT has no counterpart of " + graphName);
                }
                return prefixed(prefix + ".transformer.layer." + layer + "." + name, parameter);
            }
            return prefixed(prefix + ".encoder.layer." + layer + "." + inLayer.replace('/', '.'), parameter);
        }
        throw new IllegalArgumentException("no Hugging Face tensor is known for the graph weight " + graphName);
    }

    /** The module's tensors, also without the model prefix, as a checkpoint saved from the bare encoder names them. */
    private static List<TensorName> prefixed(String module, String parameter) {
        List<TensorName> names = new ArrayList<>(parameters(module, parameter));
        String bare = module.substring(module.indexOf('.') + 1);
        parameters(bare, parameter).forEach(names::add);
        return names;
    }

    /** TF's kernel is torch's weight transposed; TF's gamma/beta are torch's weight/bias (old BERT files keep gamma/beta). */
    private static List<TensorName> parameters(String module, String tfParameter) {
        return (switch (tfParameter) {
            case "kernel" -> Stream.of(new TensorName(module + ".weight", true));
            case "bias" -> Stream.of(new TensorName(module + ".bias", false));
            case "gamma" -> Stream.of(new TensorName(module + ".weight", false), new TensorName(module + ".gamma", false));
            case "beta" -> Stream.of(new TensorName(module + ".bias", false), new TensorName(module + ".beta", false));
            default -> throw new IllegalArgumentException("no Hugging Face parameter is known for " + tfParameter);
        }).toList();
    }
}
