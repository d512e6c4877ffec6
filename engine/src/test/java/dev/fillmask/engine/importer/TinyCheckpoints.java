package dev.fillmask.engine.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.testing.SafetensorsWriter;
import dev.fillmask.engine.testing.SafetensorsWriter.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Tiny random Hugging Face checkpoints, in the hub's layout, for the importer's tests: config.json as transformers
 * writes it, the weights under transformers' tensor names in safetensors, and a tokenizer in the real tokenizer.json
 * format of each family: BERT's WordPiece (old gamma/beta LayerNorm names, F32), RoBERTa's byte-level BPE (F32,
 * sharded in two with an index), XLM-R's Unigram with Metaspace and a {@code <mask>} that takes the space before it
 * (F16), DistilBERT's layout and head with WordPiece (BF16). The weights are kept as the doubles the files hold
 * exactly, for a reference forward pass.
 */
public final class TinyCheckpoints {
    public enum Flavor { BERT, ROBERTA, XLM_ROBERTA, DISTILBERT }

    public static final int LAYERS = 2;
    public static final int HIDDEN = 32;
    public static final int HEADS = 4;
    public static final int INTERMEDIATE = 64;
    public static final int MAX_LENGTH = 40;
    public static final double LAYER_NORM_EPS_ROBERTA = 1e-5;
    public static final double LAYER_NORM_EPS_BERT = 1e-12;

    /** A written checkpoint: its folder, the weights by tensor name, the vocabulary (index = id). */
    public record Checkpoint(Path dir, Flavor flavor, Map<String, double[]> weights, List<String> vocab) {
        public double[] weight(String name) {
            double[] w = weights.get(name);
            if (w == null) {
                throw new IllegalArgumentException("no tensor " + name + " in the " + flavor + " checkpoint");
            }
            return w;
        }

        public int id(String token) {
            int id = vocab.indexOf(token);
            if (id < 0) {
                throw new IllegalArgumentException(token + " is not in the " + flavor + " vocabulary");
            }
            return id;
        }

        public long[] ids(String... tokens) {
            long[] ids = new long[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                ids[i] = id(tokens[i]);
            }
            return ids;
        }

        public int padId() {
            return flavor == Flavor.ROBERTA || flavor == Flavor.XLM_ROBERTA ? 1 : 0;
        }

        /** RoBERTa's position table has pad id + 1 rows more than the model's maximum length. */
        public int maxPositions() {
            return flavor == Flavor.ROBERTA || flavor == Flavor.XLM_ROBERTA ? MAX_LENGTH + padId() + 1 : MAX_LENGTH;
        }
    }

    public static final String SPACE_PIECE = "\u2581";
    static final String SPACE = SPACE_PIECE;
    private static final List<String> WORDS = List.of("Paris", "is", "the", "capital", "of", "France", "Hello",
            "world", "I", "a", "model", "city", "The", "dog", "cat", "big", "small", "red", "on", "sat", "mat", "and");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TinyCheckpoints() {}

    public static Checkpoint write(Path dir, Flavor flavor) {
        try {
            Files.createDirectories(dir);
            List<String> vocab = switch (flavor) {
                case BERT, DISTILBERT -> wordPieceVocab();
                case ROBERTA -> ByteLevelBpe.vocab(WORDS);
                case XLM_ROBERTA -> unigramVocab();
            };
            DType dtype = switch (flavor) {
                case BERT, ROBERTA -> DType.F32;
                case XLM_ROBERTA -> DType.F16;
                case DISTILBERT -> DType.BF16;
            };
            Map<String, long[]> shapes = shapes(flavor, vocab.size());
            Map<String, double[]> weights = new LinkedHashMap<>();
            List<SafetensorsWriter.Tensor> tensors = new ArrayList<>();
            Random random = new Random(20240923L + flavor.ordinal());
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                float[] values = randomValues(random, e.getKey(), e.getValue(), dtype);
                double[] exact = new double[values.length];
                for (int i = 0; i < values.length; i++) {
                    exact[i] = values[i];
                }
                weights.put(e.getKey(), exact);
                tensors.add(SafetensorsWriter.Tensor.of(e.getKey(), values, e.getValue()));
            }
            if (flavor == Flavor.ROBERTA) {
                SafetensorsWriter.writeSharded(dir, tensors, dtype, 2);
            } else {
                SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, dtype);
            }
            writeConfig(dir.resolve("config.json"), flavor, vocab.size());
            writeTokenizer(dir, flavor, vocab);
            return new Checkpoint(dir, flavor, weights, vocab);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tiny " + flavor + " checkpoint into " + dir, e);
        }
    }

    /** Transformers' names and torch's shapes ([out, in] for Linear weights). */
    static Map<String, long[]> shapes(Flavor flavor, int vocab) {
        Map<String, long[]> s = new LinkedHashMap<>();
        int h = HIDDEN;
        int i = INTERMEDIATE;
        if (flavor == Flavor.DISTILBERT) {
            s.put("distilbert.embeddings.word_embeddings.weight", new long[] {vocab, h});
            s.put("distilbert.embeddings.position_embeddings.weight", new long[] {MAX_LENGTH, h});
            s.put("distilbert.embeddings.LayerNorm.weight", new long[] {h});
            s.put("distilbert.embeddings.LayerNorm.bias", new long[] {h});
            for (int l = 0; l < LAYERS; l++) {
                String p = "distilbert.transformer.layer." + l + ".";
                for (String lin : List.of("q_lin", "k_lin", "v_lin", "out_lin")) {
                    linear(s, p + "attention." + lin, h, h);
                }
                norm(s, p + "sa_layer_norm", h, false);
                linear(s, p + "ffn.lin1", h, i);
                linear(s, p + "ffn.lin2", i, h);
                norm(s, p + "output_layer_norm", h, false);
            }
            linear(s, "vocab_transform", h, h);
            norm(s, "vocab_layer_norm", h, false);
            s.put("vocab_projector.bias", new long[] {vocab});
            return s;
        }
        boolean roberta = flavor != Flavor.BERT;
        boolean oldNames = flavor == Flavor.BERT;
        String m = roberta ? "roberta." : "bert.";
        int positions = roberta ? MAX_LENGTH + 2 : MAX_LENGTH;
        s.put(m + "embeddings.word_embeddings.weight", new long[] {vocab, h});
        s.put(m + "embeddings.position_embeddings.weight", new long[] {positions, h});
        s.put(m + "embeddings.token_type_embeddings.weight", new long[] {roberta ? 1 : 2, h});
        norm(s, m + "embeddings.LayerNorm", h, oldNames);
        for (int l = 0; l < LAYERS; l++) {
            String p = m + "encoder.layer." + l + ".";
            linear(s, p + "attention.self.query", h, h);
            linear(s, p + "attention.self.key", h, h);
            linear(s, p + "attention.self.value", h, h);
            linear(s, p + "attention.output.dense", h, h);
            norm(s, p + "attention.output.LayerNorm", h, oldNames);
            linear(s, p + "intermediate.dense", h, i);
            linear(s, p + "output.dense", i, h);
            norm(s, p + "output.LayerNorm", h, oldNames);
        }
        // A pooler, as BertForMaskedLM checkpoints converted from pre-training have: the importer leaves it out.
        linear(s, m + "pooler.dense", h, h);
        if (roberta) {
            linear(s, "lm_head.dense", h, h);
            norm(s, "lm_head.layer_norm", h, false);
            s.put("lm_head.bias", new long[] {vocab});
        } else {
            linear(s, "cls.predictions.transform.dense", h, h);
            norm(s, "cls.predictions.transform.LayerNorm", h, true);
            s.put("cls.predictions.bias", new long[] {vocab});
        }
        return s;
    }

    private static void linear(Map<String, long[]> s, String module, int in, int out) {
        s.put(module + ".weight", new long[] {out, in});
        s.put(module + ".bias", new long[] {out});
    }

    private static void norm(Map<String, long[]> s, String module, int h, boolean gammaBeta) {
        s.put(module + (gammaBeta ? ".gamma" : ".weight"), new long[] {h});
        s.put(module + (gammaBeta ? ".beta" : ".bias"), new long[] {h});
    }

    private static float[] randomValues(Random random, String name, long[] shape, DType dtype) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        boolean normScale = name.endsWith("LayerNorm.weight") || name.endsWith("LayerNorm.gamma")
                || name.endsWith("layer_norm.weight");
        boolean embedding = name.contains("embeddings");
        float[] values = new float[(int) n];
        for (int i = 0; i < n; i++) {
            double v = normScale ? 1 + 0.1 * random.nextGaussian()
                    : random.nextGaussian() * (embedding ? 0.5 : name.endsWith(".bias") ? 0.05 : 0.25);
            float f = (float) v;
            values[i] = switch (dtype) {
                case F32 -> f;
                case F16 -> SafetensorsWriter.roundToHalf(f);
                case BF16 -> SafetensorsWriter.roundToBfloat16(f);
            };
        }
        return values;
    }

    private static void writeConfig(Path file, Flavor flavor, int vocab) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        switch (flavor) {
            case BERT -> {
                c.putArray("architectures").add("BertForMaskedLM");
                c.put("model_type", "bert");
                bertSizes(c, vocab, MAX_LENGTH, 2);
                c.put("layer_norm_eps", LAYER_NORM_EPS_BERT);
                c.put("pad_token_id", 0);
            }
            case ROBERTA, XLM_ROBERTA -> {
                c.putArray("architectures").add(flavor == Flavor.ROBERTA ? "RobertaForMaskedLM" : "XLMRobertaForMaskedLM");
                c.put("model_type", flavor == Flavor.ROBERTA ? "roberta" : "xlm-roberta");
                bertSizes(c, vocab, MAX_LENGTH + 2, 1);
                c.put("layer_norm_eps", LAYER_NORM_EPS_ROBERTA);
                c.put("pad_token_id", 1);
                c.put("bos_token_id", 0);
                c.put("eos_token_id", 2);
            }
            case DISTILBERT -> {
                c.putArray("architectures").add("DistilBertForMaskedLM");
                c.put("model_type", "distilbert");
                c.put("activation", "gelu");
                c.put("dim", HIDDEN);
                c.put("n_layers", LAYERS);
                c.put("n_heads", HEADS);
                c.put("hidden_dim", INTERMEDIATE);
                c.put("vocab_size", vocab);
                c.put("max_position_embeddings", MAX_LENGTH);
                c.put("sinusoidal_pos_embds", false);
                c.put("tie_weights_", true);
                c.put("pad_token_id", 0);
            }
        }
        c.put("torch_dtype", flavor == Flavor.XLM_ROBERTA ? "float16" : flavor == Flavor.DISTILBERT ? "bfloat16" : "float32");
        c.put("transformers_version", "4.44.2");
        JSON.writeValue(file.toFile(), c);
    }

    private static void bertSizes(ObjectNode c, int vocab, int positions, int typeVocab) {
        c.put("vocab_size", vocab);
        c.put("hidden_size", HIDDEN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("intermediate_size", INTERMEDIATE);
        c.put("hidden_act", "gelu");
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("max_position_embeddings", positions);
        c.put("type_vocab_size", typeVocab);
        c.put("initializer_range", 0.02);
        c.put("position_embedding_type", "absolute");
    }

    // ---- tokenizers ----

    static List<String> wordPieceVocab() {
        List<String> v = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
        }
        for (char c = 'a'; c <= 'z'; c++) {
            v.add("##" + c);
        }
        v.addAll(List.of(".", ",", "'", "!", "?"));
        Set<String> words = new LinkedHashSet<>();
        WORDS.forEach(w -> words.add(w.toLowerCase(java.util.Locale.ROOT)));
        words.stream().filter(w -> w.length() > 1).forEach(v::add);
        return v;
    }

    static List<String> unigramVocab() {
        List<String> v = new ArrayList<>(List.of("<s>", "<pad>", "</s>", "<unk>", SPACE));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
            v.add(SPACE + c);
        }
        for (char c = 'A'; c <= 'Z'; c++) {
            v.add(String.valueOf(c));
            v.add(SPACE + c);
        }
        v.addAll(List.of(".", ",", "'", "!", "?"));
        WORDS.stream().filter(w -> w.length() > 1).forEach(w -> v.add(SPACE + w));
        v.add("<mask>");
        return v;
    }

    private static void writeTokenizer(Path dir, Flavor flavor, List<String> vocab) throws IOException {
        switch (flavor) {
            case BERT -> {
                BertTokenizerFiles.writeTokenizerJson(dir.resolve("tokenizer.json"), vocab, true);
                // As bert-base-uncased has it on the hub: no special tokens named, the class's defaults apply.
                ObjectNode config = JSON.createObjectNode().put("do_lower_case", true).put("model_max_length", 512);
                JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
            }
            case DISTILBERT -> {
                BertTokenizerFiles.writeTokenizerJson(dir.resolve("tokenizer.json"), vocab, true);
                BertTokenizerFiles.writeTokenizerConfig(dir.resolve("tokenizer_config.json"), true);
            }
            case ROBERTA -> {
                JSON.writeValue(dir.resolve("tokenizer.json").toFile(), ByteLevelBpe.tokenizerJson(vocab, WORDS));
                ObjectNode config = JSON.createObjectNode().put("model_max_length", 512)
                        .put("clean_up_tokenization_spaces", false);
                JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
            }
            case XLM_ROBERTA -> {
                JSON.writeValue(dir.resolve("tokenizer.json").toFile(), unigramTokenizerJson(vocab));
                // As xlm-roberta-base has it: the special tokens are in special_tokens_map.json, the mask as an
                // AddedToken that strips the space to its left.
                JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(),
                        JSON.createObjectNode().put("model_max_length", 512));
                ObjectNode map = JSON.createObjectNode();
                map.put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>")
                        .put("sep_token", "</s>").put("pad_token", "<pad>").put("cls_token", "<s>");
                map.putObject("mask_token").put("content", "<mask>").put("lstrip", true).put("rstrip", false)
                        .put("normalized", false).put("single_word", false);
                JSON.writeValue(dir.resolve("special_tokens_map.json").toFile(), map);
            }
        }
    }

    private static ObjectNode unigramTokenizerJson(List<String> vocab) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>")) {
            addedToken(added, vocab.indexOf(special), special, special.equals("<mask>"));
        }
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ObjectNode replace = normalizer.putArray("normalizers").addObject();
        replace.put("type", "Replace");
        replace.putObject("pattern").put("Regex", " {2,}");
        replace.put("content", " ");
        root.set("pre_tokenizer", metaspace());
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "</s>").put("type_id", 0);
        ObjectNode specials = post.putObject("special_tokens");
        for (String s : List.of("<s>", "</s>")) {
            ObjectNode t = specials.putObject(s);
            t.put("id", s);
            t.putArray("ids").add(vocab.indexOf(s));
            t.putArray("tokens").add(s);
        }
        root.set("decoder", metaspace());
        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 3);
        ArrayNode pieces = model.putArray("vocab");
        for (String piece : vocab) {
            pieces.addArray().add(piece).add(unigramScore(piece));
        }
        model.put("byte_fallback", false);
        return root;
    }

    static void addedToken(ArrayNode added, int id, String content, boolean lstrip) {
        ObjectNode t = added.addObject();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", lstrip);
        t.put("rstrip", false);
        t.put("normalized", false);
        t.put("special", true);
    }

    private static ObjectNode metaspace() {
        ObjectNode m = JSON.createObjectNode();
        m.put("type", "Metaspace");
        m.put("replacement", SPACE);
        m.put("prepend_scheme", "always");
        m.put("split", true);
        return m;
    }

    /** Whole words beat spelling a word out. */
    private static double unigramScore(String piece) {
        if (piece.startsWith("<") && piece.endsWith(">")) {
            return 0.0;
        }
        if (piece.equals(SPACE)) {
            return -12.0;
        }
        String bare = piece.startsWith(SPACE) ? piece.substring(1) : piece;
        return bare.length() == 1 ? (piece.startsWith(SPACE) ? -8.0 : -9.0) : -3.0;
    }
}
