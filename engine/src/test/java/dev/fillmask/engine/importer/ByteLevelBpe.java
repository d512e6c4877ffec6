package dev.fillmask.engine.importer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A RoBERTa-style tokenizer.json for tests: GPT-2's byte-level alphabet (every byte a printable character, the space
 * as {@code Ġ}), BPE merges that build each word from its first letter on, RoBERTa's post-processor and a
 * {@code <mask>} that takes the space before it. Words get a {@code Ġ} form (after a space) and a bare form (at the
 * start of the text), so "capital" and " capital" are different tokens, as in RoBERTa.
 */
final class ByteLevelBpe {
    static final String SPACE = "\u0120"; // Ġ: the byte-level form of ' '
    private static final List<String> SPECIALS = List.of("<s>", "<pad>", "</s>", "<unk>");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ByteLevelBpe() {}

    /** Specials, the 256 byte characters, then every prefix of each word (both forms), then {@code <mask>} last. */
    static List<String> vocab(List<String> words) {
        Set<String> v = new LinkedHashSet<>(SPECIALS);
        v.addAll(byteAlphabet());
        for (String form : wordForms(words)) {
            for (int end = 2; end <= form.length(); end++) {
                v.add(form.substring(0, end));
            }
        }
        v.add("<mask>");
        return new ArrayList<>(v);
    }

    static ObjectNode tokenizerJson(List<String> vocab, List<String> words) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>")) {
            TinyCheckpoints.addedToken(added, vocab.indexOf(special), special, special.equals("<mask>"));
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "RobertaProcessing");
        post.putArray("sep").add("</s>").add(vocab.indexOf("</s>"));
        post.putArray("cls").add("<s>").add(vocab.indexOf("<s>"));
        post.put("trim_offsets", true);
        post.put("add_prefix_space", false);
        ObjectNode decoder = root.putObject("decoder");
        decoder.put("type", "ByteLevel");
        decoder.put("add_prefix_space", true);
        decoder.put("trim_offsets", true);
        decoder.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode ids = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        // The Ġ forms' merges first: a merge that starts a bare word can then never split a word after a space.
        Set<String> merges = new LinkedHashSet<>();
        List<String> forms = wordForms(words);
        for (boolean spaced : new boolean[] {true, false}) {
            for (String form : forms) {
                if (form.startsWith(SPACE) != spaced) {
                    continue;
                }
                for (int end = 2; end <= form.length(); end++) {
                    merges.add(form.substring(0, end - 1) + " " + form.charAt(end - 1));
                }
            }
        }
        merges.forEach(model.putArray("merges")::add);
        return root;
    }

    private static List<String> wordForms(List<String> words) {
        Set<String> forms = new LinkedHashSet<>();
        for (String w : words) {
            forms.add(SPACE + w);
        }
        for (String w : words) {
            if (w.length() > 1) {
                forms.add(w);
            }
        }
        return new ArrayList<>(forms);
    }

    /** GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the others for 256, 257, … */
    static List<String> byteAlphabet() {
        List<String> chars = new ArrayList<>();
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            chars.add(String.valueOf((char) (printable ? b : next++)));
        }
        return chars;
    }
}
