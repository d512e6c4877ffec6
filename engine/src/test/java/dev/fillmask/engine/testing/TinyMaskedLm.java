package dev.fillmask.engine.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fillmask.engine.onnx.BertConfig;
import dev.fillmask.engine.onnx.BertMaskedLmGraph;
import dev.fillmask.engine.onnx.HeadForm;
import dev.fillmask.engine.onnx.RandomWeights;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A second model, unlike the default one in every way the engine must not take for granted: RoBERTa-style special
 * tokens ({@code <mask>} as the last id, pad id 1), a Unigram/Metaspace tokenizer instead of WordPiece, no
 * {@code token_type_ids} input, and a maximum length of 64 so windowing of long inputs is cheap to test. Its
 * weights are random (fixed seed), so its answers are stable but meaningless; it builds in milliseconds.
 */
public final class TinyMaskedLm {
    public static final String MASK = "<mask>";
    public static final String BOS = "<s>";
    public static final String PAD = "<pad>";
    public static final String EOS = "</s>";
    public static final String UNK = "<unk>";
    public static final int BOS_ID = 0;
    public static final int PAD_ID = 1;
    public static final int EOS_ID = 2;
    public static final int UNK_ID = 3;
    public static final int MODEL_MAX_LENGTH = 64;
    /** RoBERTa's convention: max positions = max length + pad id + 1. */
    public static final int MAX_POSITIONS = MODEL_MAX_LENGTH + PAD_ID + 1;
    public static final int LAYERS = 2;
    public static final int HIDDEN = 32;
    public static final int HEADS = 2;
    public static final int INTERMEDIATE = 64;
    public static final long SEED = 20240611L;

    private static final String SPACE = "\u2581"; // SentencePiece's word-boundary mark
    private static final List<String> WORDS = List.of(
            "the", "a", "an", "of", "to", "in", "is", "and", "was", "for", "on", "that", "with", "as", "it", "he",
            "she", "they", "we", "you", "i", "be", "are", "at", "by", "this", "from", "or", "have", "had", "not",
            "but", "his", "her", "their", "which", "one", "all", "were", "can", "will", "there", "been", "has", "more",
            "when", "who", "so", "what", "if", "out", "about", "up", "into", "them", "some", "time", "than", "then",
            "only", "new", "other", "first", "people", "man", "woman", "work", "worked", "paris", "france", "capital",
            "city", "hello", "model", "world", "good", "great", "small", "big", "day", "year", "make", "like", "just",
            "know", "take", "see", "come", "think", "look", "want", "give", "use", "find", "tell", "ask", "feel",
            "try", "leave", "call", "dog", "cat", "house", "car", "book", "water", "food", "music", "school", "love",
            "life", "child", "family", "friend", "home", "job", "night", "money", "name", "word", "story", "fact",
            "place", "right", "left", "old", "young", "long", "short", "high", "low", "best", "last", "next", "same",
            "very", "well", "also", "back", "still", "never", "always", "here", "where", "why", "how", "because",
            "after", "before", "over", "under", "between", "through", "during", "without", "again", "every", "many",
            "much", "most", "such", "each", "few", "no", "yes", "my", "your", "our", "me", "him", "us", "do", "did",
            "does", "said", "say", "go", "went", "get", "got", "made", "red", "blue", "green", "black", "white",
            "king", "queen", "doctor", "teacher", "nurse", "lawyer", "river", "sea", "sun", "moon", "tree");
    private static final List<String> SUFFIXES = List.of("s", "ed", "ing", "er", "ly", "tion", "est", "ness");
    private static final String PUNCTUATION = ".,!?'\"-:;()";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TinyMaskedLm() {}

    /**
     * Writes model.onnx, tokenizer.json, tokenizer_config.json and config.json into {@code dir}; returns it. The graph
     * is in the plain Hugging Face export layout ({@code logits} at every position), as a user's export would be.
     */
    public static Path write(Path dir) {
        return write(dir, HeadForm.FULL);
    }

    /** The same, with the LM head in the given form: the weights are the same in both. */
    public static Path write(Path dir, HeadForm headForm) {
        try {
            Files.createDirectories(dir);
            List<String> vocab = vocabulary();
            BertMaskedLmGraph.write(config(vocab.size()), new RandomWeights(SEED, 0.2), headForm, dir.resolve("model.onnx"));
            writeTokenizerJson(dir.resolve("tokenizer.json"), vocab);
            writeTokenizerConfig(dir.resolve("tokenizer_config.json"));
            writeConfig(dir.resolve("config.json"), vocab.size());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the tiny test model into " + dir, e);
        }
    }

    /**
     * The tiny model with a fault a real folder can have: its config and tokenizer say it takes 512 tokens, but its
     * graph has position embeddings for {@value #MAX_POSITIONS} only. ONNX Runtime then fails every run that holds an
     * input longer than {@value #MODEL_MAX_LENGTH} tokens ("indices element out of data bounds"), and runs shorter
     * ones as usual: a real engine fault, keyed on one request's text.
     */
    public static Path writeWithTooFewPositions(Path dir) {
        write(dir);
        try {
            ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
            config.put("max_position_embeddings", 514);
            JSON.writeValue(dir.resolve("config.json").toFile(), config);
            ObjectNode tokenizerConfig = (ObjectNode) JSON.readTree(dir.resolve("tokenizer_config.json").toFile());
            tokenizerConfig.put("model_max_length", 512);
            JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite the tiny test model in " + dir, e);
        }
    }

    public static BertConfig config(int vocabSize) {
        return new BertConfig(LAYERS, HIDDEN, HEADS, INTERMEDIATE, vocabSize, MAX_POSITIONS, 1, 1e-5f, false);
    }

    /** Specials first (RoBERTa's ids), then pieces, then {@code <mask>} as the last id, as RoBERTa has it. */
    public static List<String> vocabulary() {
        List<String> v = new ArrayList<>(List.of(BOS, PAD, EOS, UNK, SPACE));
        for (char c = 'a'; c <= 'z'; c++) {
            v.add(String.valueOf(c));
            v.add(SPACE + c);
        }
        for (char c = '0'; c <= '9'; c++) {
            v.add(String.valueOf(c));
            v.add(SPACE + c);
        }
        for (char c : PUNCTUATION.toCharArray()) {
            v.add(String.valueOf(c));
            v.add(SPACE + c);
        }
        SUFFIXES.stream().filter(s -> s.length() > 1).forEach(v::add);
        WORDS.stream().filter(w -> w.length() > 1).forEach(w -> v.add(SPACE + w)); // "a", "i" are letters already
        v.add(MASK);
        return v;
    }

    public static int maskId() {
        return vocabulary().size() - 1;
    }

    /** Unigram log-probabilities: whole words beat suffixes, which beat spelling a word out letter by letter. */
    private static double score(String piece) {
        if (piece.startsWith("<") && piece.endsWith(">")) {
            return 0.0;
        }
        if (piece.equals(SPACE)) {
            return -12.0;
        }
        String bare = piece.startsWith(SPACE) ? piece.substring(1) : piece;
        if (bare.length() == 1) {
            return piece.startsWith(SPACE) ? -8.0 : -9.0;
        }
        return piece.startsWith(SPACE) ? -3.0 - WORDS.indexOf(bare) * 0.01 : -6.0;
    }

    private static void writeTokenizerJson(Path file, List<String> vocab) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of(BOS, PAD, EOS, UNK, MASK)) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.indexOf(special));
            t.put("content", special);
            t.put("single_word", false);
            t.put("lstrip", special.equals(MASK)); // as RoBERTa: "a <mask>" leaves no stray space piece
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putObject("normalizer").put("type", "Lowercase");
        root.set("pre_tokenizer", metaspace());

        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        special(single, BOS);
        sequence(single, "A");
        special(single, EOS);
        ArrayNode pair = post.putArray("pair");
        special(pair, BOS);
        sequence(pair, "A");
        special(pair, EOS);
        special(pair, EOS);
        sequence(pair, "B");
        special(pair, EOS);
        ObjectNode specials = post.putObject("special_tokens");
        for (String s : List.of(BOS, EOS)) {
            ObjectNode t = specials.putObject(s);
            t.put("id", s);
            t.putArray("ids").add(vocab.indexOf(s));
            t.putArray("tokens").add(s);
        }
        root.set("decoder", metaspace());

        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", UNK_ID);
        ArrayNode pieces = model.putArray("vocab");
        for (String piece : vocab) {
            pieces.addArray().add(piece).add(score(piece));
        }
        model.put("byte_fallback", false);
        JSON.writeValue(file.toFile(), root);
    }

    private static ObjectNode metaspace() {
        ObjectNode m = JSON.createObjectNode();
        m.put("type", "Metaspace");
        m.put("replacement", SPACE);
        m.put("prepend_scheme", "always");
        m.put("split", true);
        return m;
    }

    private static void special(ArrayNode template, String token) {
        ObjectNode t = template.addObject().putObject("SpecialToken");
        t.put("id", token);
        t.put("type_id", 0);
    }

    private static void sequence(ArrayNode template, String id) {
        ObjectNode t = template.addObject().putObject("Sequence");
        t.put("id", id);
        t.put("type_id", 0);
    }

    private static void writeTokenizerConfig(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("tokenizer_class", "PreTrainedTokenizerFast");
        root.put("bos_token", BOS);
        root.put("eos_token", EOS);
        root.put("unk_token", UNK);
        root.put("sep_token", EOS);
        root.put("cls_token", BOS);
        root.put("pad_token", PAD);
        root.put("mask_token", MASK);
        root.put("model_max_length", MODEL_MAX_LENGTH);
        root.put("clean_up_tokenization_spaces", false);
        JSON.writeValue(file.toFile(), root);
    }

    private static void writeConfig(Path file, int vocabSize) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("RobertaForMaskedLM");
        root.put("model_type", "roberta");
        root.put("vocab_size", vocabSize);
        root.put("hidden_size", HIDDEN);
        root.put("num_hidden_layers", LAYERS);
        root.put("num_attention_heads", HEADS);
        root.put("intermediate_size", INTERMEDIATE);
        root.put("hidden_act", "gelu");
        root.put("max_position_embeddings", MAX_POSITIONS);
        root.put("type_vocab_size", 1);
        root.put("layer_norm_eps", 1e-5);
        root.put("pad_token_id", PAD_ID);
        root.put("bos_token_id", BOS_ID);
        root.put("eos_token_id", EOS_ID);
        JSON.writeValue(file.toFile(), root);
    }
}
